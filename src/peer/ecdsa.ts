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
// Theory of operation. node:crypto parses and writes both DER structures.
// Decoding re-exports what it parsed and requires the same bytes back, so a
// key has one encoding (no trailing garbage, no alternative DER forms) and a
// peer ID is a function of the key alone. Only P-256 is accepted: it is the
// curve the other implementations generate, and SHA-256 is its hash.

import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto'
import { asBuffer, copyBytes, equalBytes, inspectSymbol, invalidKey } from './bytes.js'
import type { PrivateKey, PublicKey } from './types.js'

/** OpenSSL's name for P-256 (secp256r1), as node reports it. */
const NAMED_CURVE = 'prime256v1'
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
  let keyObject: KeyObject
  try {
    keyObject = createPublicKey({ key: asBuffer(raw), format: 'der', type: 'spki' })
  } catch (err) {
    throw invalidKey('ECDSA', 'public key Data is not a DER SubjectPublicKeyInfo with a valid point', err)
  }
  checkCurve(keyObject, 'public')
  if (!equalBytes(keyObject.export({ format: 'der', type: 'spki' }), raw)) {
    throw invalidKey('ECDSA', 'public key Data is not the canonical DER SubjectPublicKeyInfo (uncompressed point, no trailing bytes)')
  }
  return new ECDSAPublicKey(copyBytes(raw), keyObject)
}

export function ecdsaPrivateKeyFromRaw (raw: Uint8Array): ECDSAPrivateKey {
  let keyObject: KeyObject
  try {
    keyObject = createPrivateKey({ key: asBuffer(raw), format: 'der', type: 'sec1' })
  } catch (err) {
    throw invalidKey('ECDSA', 'private key Data is not a DER ECPrivateKey', err)
  }
  checkCurve(keyObject, 'private')
  if (!equalBytes(keyObject.export({ format: 'der', type: 'sec1' }), raw)) {
    throw invalidKey('ECDSA', 'private key Data is not the canonical DER ECPrivateKey (with curve parameters and public key)')
  }
  const key = new ECDSAPrivateKey(copyBytes(raw), keyObject)
  // The ECPrivateKey carries its public key next to the scalar; a key whose
  // signatures its own public key rejects is corrupt.
  let ok = false
  try {
    ok = key.publicKey.verify(SELF_TEST_MESSAGE, key.sign(SELF_TEST_MESSAGE))
  } catch (err) {
    throw invalidKey('ECDSA', 'private key cannot sign', err)
  }
  if (!ok) throw invalidKey('ECDSA', 'the public key in the private key Data does not belong to its scalar')
  return key
}
