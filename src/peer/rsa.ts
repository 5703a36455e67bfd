// RSA keys (libp2p/specs peer-ids/peer-ids.md, "RSA"; RFC 8017, RFC 5280).
//
// Data encodings:
//   public key   "the DER-encoded PKIX format": SubjectPublicKeyInfo with the
//                rsaEncryption OID and an RSAPublicKey
//   private key  "a PKCS1 key using ASN.1 DER": RSAPrivateKey (RFC 8017 A.1.2)
// Signatures: "hash it with SHA-256 and then sign it using the
// RSASSA-PKCS1-V1.5-SIGN method".
//
// Theory of operation. node:crypto parses, writes, signs and verifies; we
// only check sizes and that each encoding is canonical (re-exporting the
// parsed key must give the same bytes back, so a key has one encoding and
// one peer ID).
//
// Key sizes (our decision; the spec names none):
//   - generation: at least 2048 bits (RSA_MIN_GENERATE_BITS), default 2048;
//   - decoding and verifying: 2048 to 8192 bits, public exponent odd and at
//     most 2^31 - 1 (RSA_MAX_PUBLIC_EXPONENT). Below 2048 bits an RSA key
//     no longer gives the ~112-bit security the other key types do (NIST SP
//     800-57), and go-libp2p refuses such keys too, so a peer using one could
//     not connect to much of the network anyway. Above 8192 bits a key costs
//     the verifier quadratically more per signature while adding nothing:
//     the cap bounds what a hostile peer can make us compute.

import { createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto'
import { equalBytes } from '../util/bytes.js'
import { copyBytes, inspectSymbol, invalidKey } from './bytes.js'
import { importCanonicalDer, selfTestPrivateKey } from './der-key.js'
import type { PrivateKey, PublicKey } from './types.js'

/** Smallest modulus we decode or verify with (see the header). */
export const RSA_MIN_BITS = 2048
/** Largest modulus we decode, verify with or generate (see the header). */
export const RSA_MAX_BITS = 8192
/**
 * Largest public exponent we accept. Why: verification costs one
 * exponentiation by e, so a hostile key with an 8192-bit e would cost as
 * much to verify as a private-key operation; real keys use 65537, and Go's
 * crypto/rsa refuses any e above 2^31 - 1 too.
 */
export const RSA_MAX_PUBLIC_EXPONENT = 2n ** 31n - 1n
/** Smallest modulus generateKeyPair('RSA') will make. */
export const RSA_MIN_GENERATE_BITS = 2048
/** Modulus size when the caller does not ask for one. */
export const RSA_DEFAULT_BITS = 2048
/** A fixed message for the private-key self-test (see rsaPrivateKeyFromRaw). */
const SELF_TEST_MESSAGE = new TextEncoder().encode('libp2p RSA private key self-test')

export class RSAPublicKey implements PublicKey {
  readonly type = 'RSA' as const
  readonly raw: Uint8Array
  /** The modulus size in bits. */
  readonly bits: number
  readonly #keyObject: KeyObject

  /** Use rsaPublicKeyFromRaw, which validates `raw`. */
  constructor (raw: Uint8Array, keyObject: KeyObject) {
    this.raw = raw
    this.#keyObject = keyObject
    this.bits = keyObject.asymmetricKeyDetails?.modulusLength ?? 0
  }

  verify (data: Uint8Array, signature: Uint8Array): boolean {
    try {
      // RSA keys default to RSASSA-PKCS1-v1_5 padding in node:crypto
      return verify('sha256', data, this.#keyObject, signature)
    } catch {
      return false
    }
  }

  equals (other: PublicKey): boolean {
    return other.type === this.type && equalBytes(other.raw, this.raw)
  }
}

export class RSAPrivateKey implements PrivateKey {
  readonly type = 'RSA' as const
  readonly publicKey: RSAPublicKey
  readonly #raw: Uint8Array
  readonly #keyObject: KeyObject

  /** Use rsaPrivateKeyFromRaw / generateRSAKeyPair. */
  constructor (raw: Uint8Array, keyObject: KeyObject) {
    this.#raw = raw
    this.#keyObject = keyObject
    const publicKeyObject = createPublicKey(keyObject)
    this.publicKey = new RSAPublicKey(new Uint8Array(publicKeyObject.export({ format: 'der', type: 'spki' })), publicKeyObject)
  }

  get raw (): Uint8Array {
    return copyBytes(this.#raw)
  }

  sign (data: Uint8Array): Uint8Array {
    return new Uint8Array(sign('sha256', data, this.#keyObject))
  }

  [inspectSymbol] (): string {
    return `RSAPrivateKey(${this.publicKey.bits} bits)`
  }
}

function checkBits (keyObject: KeyObject, which: string): void {
  if (keyObject.asymmetricKeyType !== 'rsa') {
    throw invalidKey('RSA', `${which} key Data holds a ${keyObject.asymmetricKeyType ?? 'unknown'} key, expected rsa`)
  }
  const bits = keyObject.asymmetricKeyDetails?.modulusLength ?? 0
  if (bits < RSA_MIN_BITS || bits > RSA_MAX_BITS) {
    throw invalidKey('RSA', `${which} key has a ${bits}-bit modulus; expected ${RSA_MIN_BITS} to ${RSA_MAX_BITS} bits`)
  }
  // RFC 8017 3.1: "the RSA public exponent e is an integer between 3 and n - 1"
  // (and must be odd to be invertible modulo the even λ(n)).
  const e = keyObject.asymmetricKeyDetails?.publicExponent ?? 0n
  if (e < 3n || e % 2n === 0n || e > RSA_MAX_PUBLIC_EXPONENT) {
    throw invalidKey('RSA', `${which} key has public exponent ${e > RSA_MAX_PUBLIC_EXPONENT ? `of ${e.toString(2).length} bits` : e}; expected an odd number from 3 to 2^31 - 1`)
  }
}

export function generateRSAKeyPair (bits = RSA_DEFAULT_BITS): RSAPrivateKey {
  if (!Number.isSafeInteger(bits) || bits < RSA_MIN_GENERATE_BITS || bits > RSA_MAX_BITS || bits % 8 !== 0) {
    throw invalidKey('RSA', `cannot generate a ${bits}-bit key: bits must be a multiple of 8 from ${RSA_MIN_GENERATE_BITS} to ${RSA_MAX_BITS}`)
  }
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: bits, publicExponent: 65537 })
  return new RSAPrivateKey(new Uint8Array(privateKey.export({ format: 'der', type: 'pkcs1' })), privateKey)
}

export function rsaPublicKeyFromRaw (raw: Uint8Array): RSAPublicKey {
  const keyObject = importCanonicalDer(raw, { keyType: 'RSA', which: 'public', der: 'spki', structure: 'DER SubjectPublicKeyInfo', check: checkBits })
  return new RSAPublicKey(copyBytes(raw), keyObject)
}

export function rsaPrivateKeyFromRaw (raw: Uint8Array): RSAPrivateKey {
  const keyObject = importCanonicalDer(raw, { keyType: 'RSA', which: 'private', der: 'pkcs1', structure: 'DER PKCS#1 RSAPrivateKey', check: checkBits })
  const key = new RSAPrivateKey(copyBytes(raw), keyObject)
  // OpenSSL does not check that the CRT parameters agree with n, e and d on
  // import; a corrupt key would sign garbage. One signature proves it.
  selfTestPrivateKey(key, SELF_TEST_MESSAGE, 'private key parameters are inconsistent (its signature does not verify)')
  return key
}
