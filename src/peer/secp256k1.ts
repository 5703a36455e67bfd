// secp256k1 keys (libp2p/specs peer-ids/peer-ids.md, "Secp256k1"; SEC 1,
// BIP 62).
//
// Data encodings ("the standard Bitcoin EC encoding"):
//   public key   the 33-byte compressed SEC 1 point: 0x02/0x03 ‖ x
//   private key  the 32-byte big-endian scalar d, 1 <= d < n
// Signatures: "hash the message with SHA 256, then sign it using the
// standard Bitcoin EC signature algorithm (BIP0062), and then use standard
// Bitcoin encoding" — ECDSA over SHA-256(message), DER-encoded (r, s).
//
// Theory of operation. node:crypto has no raw secp256k1 key import that is
// portable across OpenSSL builds, so @noble/curves does the arithmetic. We
// sign with low S (BIP 62 "Low S values in signatures", which is what Bitcoin
// nodes produce) and, to interoperate with implementations that do not
// normalise S, verify either S. Only the compressed public key form is
// accepted: it is the one every libp2p implementation writes.

import { secp256k1 } from '@noble/curves/secp256k1.js'
import { equalBytes } from '../util/bytes.js'
import { copyBytes, inspectSymbol, invalidKey } from './bytes.js'
import type { PrivateKey, PublicKey } from './types.js'

/** SEC 1 compressed point: one prefix byte and the 32-byte x coordinate. */
export const SECP256K1_PUBLIC_KEY_BYTES = 33
/** A scalar modulo the 256-bit group order. */
export const SECP256K1_PRIVATE_KEY_BYTES = 32

export class Secp256k1PublicKey implements PublicKey {
  readonly type = 'Secp256k1' as const
  readonly raw: Uint8Array

  /** Use secp256k1PublicKeyFromRaw, which validates `raw`. */
  constructor (raw: Uint8Array) {
    this.raw = raw
  }

  verify (data: Uint8Array, signature: Uint8Array): boolean {
    try {
      // prehash: noble hashes `data` with SHA-256 first, as the spec asks
      return secp256k1.verify(signature, data, this.raw, { prehash: true, format: 'der', lowS: false })
    } catch {
      return false // malformed DER from the other side is a bad signature, not a crash
    }
  }

  equals (other: PublicKey): boolean {
    return other.type === this.type && equalBytes(other.raw, this.raw)
  }
}

export class Secp256k1PrivateKey implements PrivateKey {
  readonly type = 'Secp256k1' as const
  readonly publicKey: Secp256k1PublicKey
  readonly #d: Uint8Array

  /** Use secp256k1PrivateKeyFromRaw, which validates `d`. */
  constructor (d: Uint8Array) {
    this.#d = d
    this.publicKey = new Secp256k1PublicKey(secp256k1.getPublicKey(d, true))
  }

  get raw (): Uint8Array {
    return copyBytes(this.#d)
  }

  sign (data: Uint8Array): Uint8Array {
    return secp256k1.sign(data, this.#d, { prehash: true, format: 'der', lowS: true })
  }

  [inspectSymbol] (): string {
    return `Secp256k1PrivateKey(public ${Buffer.from(this.publicKey.raw).toString('hex')})`
  }
}

export function generateSecp256k1KeyPair (): Secp256k1PrivateKey {
  return new Secp256k1PrivateKey(secp256k1.utils.randomSecretKey())
}

export function secp256k1PublicKeyFromRaw (raw: Uint8Array): Secp256k1PublicKey {
  if (raw.length !== SECP256K1_PUBLIC_KEY_BYTES) {
    throw invalidKey('Secp256k1', `public key Data must be the ${SECP256K1_PUBLIC_KEY_BYTES}-byte compressed point, got ${raw.length} bytes`)
  }
  try {
    secp256k1.Point.fromBytes(raw).assertValidity()
  } catch (err) {
    throw invalidKey('Secp256k1', 'public key is not a point on the curve', err)
  }
  return new Secp256k1PublicKey(copyBytes(raw))
}

export function secp256k1PrivateKeyFromRaw (raw: Uint8Array): Secp256k1PrivateKey {
  if (raw.length !== SECP256K1_PRIVATE_KEY_BYTES) {
    throw invalidKey('Secp256k1', `private key Data must be ${SECP256K1_PRIVATE_KEY_BYTES} bytes, got ${raw.length}`)
  }
  if (!secp256k1.utils.isValidSecretKey(raw)) {
    throw invalidKey('Secp256k1', 'private key is not a scalar in [1, n-1]')
  }
  return new Secp256k1PrivateKey(copyBytes(raw))
}
