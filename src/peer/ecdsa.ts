// ECDSA keys on NIST P-256 (libp2p/specs peer-ids/peer-ids.md, "ECDSA";
// SEC 1, RFC 5480, RFC 5915).
//
// Data encodings:
//   public key   DER SubjectPublicKeyInfo (RFC 5480) with the uncompressed point
//   private key  DER ECPrivateKey (RFC 5915 / SEC 1) with the curve parameters
//                and the public key. The spec's prose says "DER-encoded PKIX",
//                but its test vector (and go-libp2p, which wrote it) is an
//                ECPrivateKey: 30 77 02 01 01 04 20 <d> a0 0a <P-256 OID> a1 44 ...
// Signatures: "hash the message with SHA 256, and then sign it with the
// ECDSA standard algorithm, then we encode it using DER-encoded ASN.1".
//
// Theory of operation. node:crypto parses and writes both DER structures;
// ./der-key.ts requires the parsed key to re-export to the same bytes, so a
// key has one encoding and a peer ID is a function of the key alone. Only P-256 is accepted: it is the
// curve the other implementations generate, and SHA-256 is its hash.

import { createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto'
import { equalBytes } from '../util/bytes.js'
import { copyBytes, inspectSymbol, invalidKey } from './bytes.js'
import { importCanonicalDer, selfTestPrivateKey } from './der-key.js'
import type { PrivateKey, PublicKey } from './types.js'

/** OpenSSL's name for P-256 (secp256r1), as node reports it. */
const NAMED_CURVE = 'prime256v1'
/**
 * Length of the canonical Data: SubjectPublicKeyInfo with the uncompressed
 * point 04 || x || y (SEC 1 2.3.3), and ECPrivateKey with it ("30 77 ...").
 * OpenSSL also reads and re-exports the compressed form (02|03 || x), which
 * would give one key two encodings and so two peer IDs; go-libp2p reads only
 * the uncompressed form, and every implementation writes it.
 */
const P256_SPKI_BYTES = 91
const P256_EC_PRIVATE_KEY_BYTES = 121
/** A fixed message for the private-key self-test (see ecdsaPrivateKeyFromRaw). */
const SELF_TEST_MESSAGE = new TextEncoder().encode('libp2p ECDSA private key self-test')

export class ECDSAPublicKey implements PublicKey {
  readonly type = 'ECDSA' as const
  readonly raw: Uint8Array
  readonly #keyObject: KeyObject

  /** Use ecdsaPublicKeyFromRaw, which validates `raw`. */
  constructor (raw: Uint8Array, keyObject: KeyObject) {
    this.raw = raw
    this.#keyObject = keyObject
  }

  verify (data: Uint8Array, signature: Uint8Array): boolean {
    try {
      return verify('sha256', data, { key: this.#keyObject, dsaEncoding: 'der' }, signature)
    } catch {
      return false // malformed DER from the other side is a bad signature, not a crash
    }
  }

  equals (other: PublicKey): boolean {
    return other.type === this.type && equalBytes(other.raw, this.raw)
  }
}

export class ECDSAPrivateKey implements PrivateKey {
  readonly type = 'ECDSA' as const
  readonly publicKey: ECDSAPublicKey
  readonly #raw: Uint8Array
  readonly #keyObject: KeyObject

  /** Use ecdsaPrivateKeyFromRaw / generateECDSAKeyPair. */
  constructor (raw: Uint8Array, keyObject: KeyObject) {
    this.#raw = raw
    this.#keyObject = keyObject
    const publicKeyObject = createPublicKey(keyObject)
    this.publicKey = new ECDSAPublicKey(new Uint8Array(publicKeyObject.export({ format: 'der', type: 'spki' })), publicKeyObject)
  }

  get raw (): Uint8Array {
    return copyBytes(this.#raw)
  }

  sign (data: Uint8Array): Uint8Array {
    return new Uint8Array(sign('sha256', data, { key: this.#keyObject, dsaEncoding: 'der' }))
  }

  [inspectSymbol] (): string {
    return 'ECDSAPrivateKey(P-256)'
  }
}

function checkCurve (keyObject: KeyObject, which: string): void {
  const curve = keyObject.asymmetricKeyDetails?.namedCurve
  if (keyObject.asymmetricKeyType !== 'ec' || curve !== NAMED_CURVE) {
    throw invalidKey('ECDSA', `${which} key must be on P-256, got ${keyObject.asymmetricKeyType ?? 'unknown'} ${curve ?? ''}`.trimEnd())
  }
}

export function generateECDSAKeyPair (): ECDSAPrivateKey {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  return new ECDSAPrivateKey(new Uint8Array(privateKey.export({ format: 'der', type: 'sec1' })), privateKey)
}

export function ecdsaPublicKeyFromRaw (raw: Uint8Array): ECDSAPublicKey {
  const keyObject = importCanonicalDer(raw, {
    keyType: 'ECDSA',
    which: 'public',
    der: 'spki',
    structure: 'DER SubjectPublicKeyInfo',
    canonicalNote: 'uncompressed point, no trailing bytes',
    check: checkCurve
  })
  if (raw.length !== P256_SPKI_BYTES) {
    throw invalidKey('ECDSA', `public key Data is ${raw.length} bytes, expected the ${P256_SPKI_BYTES}-byte SubjectPublicKeyInfo with an uncompressed point`)
  }
  return new ECDSAPublicKey(copyBytes(raw), keyObject)
}

export function ecdsaPrivateKeyFromRaw (raw: Uint8Array): ECDSAPrivateKey {
  const keyObject = importCanonicalDer(raw, {
    keyType: 'ECDSA',
    which: 'private',
    der: 'sec1',
    structure: 'DER ECPrivateKey',
    canonicalNote: 'with curve parameters and public key',
    check: checkCurve
  })
  if (raw.length !== P256_EC_PRIVATE_KEY_BYTES) {
    throw invalidKey('ECDSA', `private key Data is ${raw.length} bytes, expected the ${P256_EC_PRIVATE_KEY_BYTES}-byte ECPrivateKey with an uncompressed public key`)
  }
  const key = new ECDSAPrivateKey(copyBytes(raw), keyObject)
  // The ECPrivateKey carries its public key next to the scalar; a key whose
  // signatures its own public key rejects is corrupt.
  selfTestPrivateKey(key, SELF_TEST_MESSAGE, 'the public key in the private key Data does not belong to its scalar')
  return key
}
