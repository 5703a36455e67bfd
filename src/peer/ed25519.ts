// Ed25519 keys (libp2p/specs peer-ids/peer-ids.md, "Ed25519"; RFC 8032).
//
// Data encodings:
//   public key   the 32-byte RFC 8032 encoding of the point A, as is
//   private key  seed ‖ public key, 64 bytes ("the preferred method"); the
//                legacy seed ‖ public ‖ public (96 bytes) is accepted on
//                decode and re-encoded as 64 bytes.
// Signatures are plain RFC 8032 Ed25519 over the message (no pre-hash).
//
// Theory of operation. node:crypto does the arithmetic. A private key goes
// in behind the fixed PKCS#8 prefix of RFC 8410 (the OID 1.3.101.112 and
// lengths never change) and its public half comes out of the SPKI export by
// slicing; a public key goes in as a JWK (RFC 8037 "OKP"), which OpenSSL
// imports ten times faster than the same key as DER. The KeyObject is built
// once per key (for a public key, when it is checked), so sign/verify cost
// only the curve work. The same remote key arrives several times per
// connection (Noise payload, identify, signed peer record) and again on every
// reconnection, so a small cache remembers the keys already checked, with
// their KeyObjects. A key
// that arrives with a signature to verify at once (the Noise handshake's)
// skips the point check, which costs as much as the verify: the verify
// decodes the point first and fails when it is not one (RFC 8032 5.1.7);
// only a failed verify runs the check, to tell a bad key from a bad
// signature.

import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto'
import { ed25519 } from '@noble/curves/ed25519.js'
import { asBuffer, concatBytes, equalBytes } from '../util/bytes.js'
import { copyBytes, inspectSymbol, invalidKey } from './bytes.js'
import { RecentMap } from '../util/recent-map.js'
import type { KeyVerification, PrivateKey, PublicKey } from './types.js'

/** RFC 8032: public keys are 32 bytes. */
export const ED25519_PUBLIC_KEY_BYTES = 32
/** RFC 8032: the private key is a 32-byte seed. */
export const ED25519_SEED_BYTES = 32
/** The spec's preferred private Data: seed ‖ public key. */
export const ED25519_PRIVATE_KEY_BYTES = ED25519_SEED_BYTES + ED25519_PUBLIC_KEY_BYTES
/** The spec's legacy private Data: seed ‖ public key ‖ public key. */
export const ED25519_LEGACY_PRIVATE_KEY_BYTES = ED25519_PRIVATE_KEY_BYTES + ED25519_PUBLIC_KEY_BYTES
/** RFC 8032: signatures are 64 bytes (R ‖ S). */
export const ED25519_SIGNATURE_BYTES = 64

/** RFC 8410 SubjectPublicKeyInfo header for Ed25519; the 32 key bytes follow. */
const SPKI_PREFIX = Uint8Array.from([0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00])
/** RFC 8410 PKCS#8 OneAsymmetricKey header for Ed25519; the 32 seed bytes follow. */
const PKCS8_PREFIX = Uint8Array.from([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20])

export class Ed25519PublicKey implements PublicKey {
  readonly type = 'Ed25519' as const
  readonly raw: Uint8Array
  /** The checked key's, from the cache; built on first verify when the constructor got none. */
  #keyObject: KeyObject | undefined

  /** Use ed25519PublicKeyFromRaw, which validates `raw`. */
  constructor (raw: Uint8Array, keyObject?: KeyObject) {
    this.raw = raw
    this.#keyObject = keyObject
  }

  verify (data: Uint8Array, signature: Uint8Array): boolean {
    if (signature.length !== ED25519_SIGNATURE_BYTES) return false
    this.#keyObject ??= publicKeyObject(this.raw)
    return verify(null, data, this.#keyObject, signature)
  }

  equals (other: PublicKey): boolean {
    return other.type === this.type && equalBytes(other.raw, this.raw)
  }
}

export class Ed25519PrivateKey implements PrivateKey {
  readonly type = 'Ed25519' as const
  readonly publicKey: Ed25519PublicKey
  readonly #seed: Uint8Array
  readonly #keyObject: KeyObject

  /** Use ed25519PrivateKeyFromSeed / ed25519PrivateKeyFromRaw. */
  constructor (seed: Uint8Array) {
    this.#seed = seed
    this.#keyObject = createPrivateKey({ key: asBuffer(concatBytes([PKCS8_PREFIX, seed])), format: 'der', type: 'pkcs8' })
    const publicHalf = createPublicKey(this.#keyObject)
    const spki = publicHalf.export({ format: 'der', type: 'spki' })
    this.publicKey = new Ed25519PublicKey(copyBytes(spki.subarray(SPKI_PREFIX.length)), publicHalf)
  }

  /** The spec's private Data: seed ‖ public key (64 bytes). */
  get raw (): Uint8Array {
    return concatBytes([this.#seed, this.publicKey.raw])
  }

  /** The 32-byte RFC 8032 seed. */
  get seed (): Uint8Array {
    return copyBytes(this.#seed)
  }

  sign (data: Uint8Array): Uint8Array {
    return new Uint8Array(sign(null, data, this.#keyObject))
  }

  [inspectSymbol] (): string {
    return `Ed25519PrivateKey(public ${Buffer.from(this.publicKey.raw).toString('hex')})`
  }
}

export function generateEd25519KeyPair (): Ed25519PrivateKey {
  const { privateKey } = generateKeyPairSync('ed25519')
  const pkcs8 = privateKey.export({ format: 'der', type: 'pkcs8' })
  return new Ed25519PrivateKey(copyBytes(pkcs8.subarray(PKCS8_PREFIX.length)))
}

/** A fixed key from a 32-byte seed, for tests and published vectors. */
export function ed25519PrivateKeyFromSeed (seed: Uint8Array): Ed25519PrivateKey {
  if (seed.length !== ED25519_SEED_BYTES) {
    throw invalidKey('Ed25519', `seed must be ${ED25519_SEED_BYTES} bytes, got ${seed.length}`)
  }
  return new Ed25519PrivateKey(copyBytes(seed))
}

function publicKeyObject (raw: Uint8Array): KeyObject {
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: asBuffer(raw).toString('base64url') }, format: 'jwk' })
}

/**
 * Keys that passed the point check, by their bytes, with their KeyObject.
 * Bounded: a peer cannot grow it, it only forgets older keys sooner.
 */
const checkedKeys = new RecentMap<string, KeyObject>(256)

export function ed25519PublicKeyFromRaw (raw: Uint8Array): Ed25519PublicKey {
  checkLength(raw)
  const keyObject = checkedKeys.remember(keyId(raw), () => {
    checkPoint(raw)
    return publicKeyObject(raw)
  })
  return new Ed25519PublicKey(copyBytes(raw), keyObject)
}

/**
 * The key `raw` encodes and whether `signature` signs `data` with it; throws
 * ERR_INVALID_KEY as ed25519PublicKeyFromRaw when `raw` is not a key. The
 * same checks, in another order: RFC 8032 5.1.7 step 1 decodes the key
 * before anything else ("If any of the decodings fail [...], the signature
 * is invalid"), so a key that verifies a signature is a point, and the
 * point check (a square root in JavaScript, as long as the verify) runs only
 * after a failed verify. Only the encoding's canonical form, which a
 * lenient decoder (OpenSSL's) does not check, is checked first.
 */
export function ed25519PublicKeyVerifying (raw: Uint8Array, data: Uint8Array, signature: Uint8Array): KeyVerification {
  checkLength(raw)
  const id = keyId(raw)
  const remembered = checkedKeys.get(id)
  if (remembered === undefined) checkCanonical(raw)
  const keyObject = remembered ?? publicKeyObject(raw)
  const publicKey = new Ed25519PublicKey(copyBytes(raw), keyObject)
  let valid = false
  try {
    valid = publicKey.verify(data, signature)
  } catch {
    // node:crypto throws for nothing a remote can send that we know of; were
    // it to, the signature would be an invalid one, as for the other key types
  }
  if (remembered === undefined) {
    if (!valid) checkPoint(raw)
    checkedKeys.set(id, keyObject)
  }
  return { publicKey, valid }
}

function checkLength (raw: Uint8Array): void {
  if (raw.length !== ED25519_PUBLIC_KEY_BYTES) {
    throw invalidKey('Ed25519', `public key Data must be ${ED25519_PUBLIC_KEY_BYTES} bytes, got ${raw.length}`)
  }
}

function keyId (raw: Uint8Array): string {
  return asBuffer(raw).toString('latin1')
}

/** RFC 8032 5.1.3: the field's prime p = 2^255 - 19. */
const P = (1n << 255n) - 19n

/**
 * The two rules of RFC 8032 5.1.3 that need no curve arithmetic: y (the low
 * 255 bits) must be below p, and x_0 (the top bit) must be 0 when x = 0,
 * which is when y = 1 or y = p - 1.
 */
function checkCanonical (raw: Uint8Array): void {
  const xSign = raw[31] >> 7
  // little-endian; the copy is reversed, not `raw`
  const y = BigInt('0x' + Buffer.from(raw).reverse().toString('hex')) & ((1n << 255n) - 1n)
  if (y >= P) throw invalidKey('Ed25519', 'public key is a non-canonical encoding (y ≥ p)')
  if (xSign === 1 && (y === 1n || y === P - 1n)) throw invalidKey('Ed25519', 'public key is a non-canonical encoding (x = 0 with its sign bit set)')
}

/**
 * RFC 8032 5.1.3: decoding fails unless the bytes are the canonical
 * encoding of a point on the curve (all of its rules, checkCanonical's
 * too). A key that is not a point can never verify a signature, so
 * ed25519PublicKeyFromRaw refuses it where it arrives (OpenSSL would
 * import it and only fail each verify); ed25519PublicKeyVerifying, only
 * once its verify failed.
 */
function checkPoint (raw: Uint8Array): void {
  try {
    ed25519.Point.fromBytes(raw, false)
  } catch (err) {
    throw invalidKey('Ed25519', 'public key is not the canonical encoding of a curve point', err)
  }
}

export function ed25519PrivateKeyFromRaw (raw: Uint8Array): Ed25519PrivateKey {
  if (raw.length !== ED25519_PRIVATE_KEY_BYTES && raw.length !== ED25519_LEGACY_PRIVATE_KEY_BYTES) {
    throw invalidKey('Ed25519', `private key Data must be ${ED25519_PRIVATE_KEY_BYTES} bytes (seed ‖ public key) or ${ED25519_LEGACY_PRIVATE_KEY_BYTES} (legacy), got ${raw.length}`)
  }
  const seed = raw.subarray(0, ED25519_SEED_BYTES)
  const storedPublic = raw.subarray(ED25519_SEED_BYTES, ED25519_PRIVATE_KEY_BYTES)
  if (raw.length === ED25519_LEGACY_PRIVATE_KEY_BYTES) {
    // "compare the two public key strings (32 bytes each) and verify they are
    // identical. [...] If they do not match, reject or error out because the
    // byte array is invalid."
    if (!equalBytes(storedPublic, raw.subarray(ED25519_PRIVATE_KEY_BYTES))) {
      throw invalidKey('Ed25519', 'legacy 96-byte private key holds two different public keys')
    }
  }
  const key = new Ed25519PrivateKey(copyBytes(seed))
  // The public half is redundant; a copy that disagrees with the seed means
  // the bytes are corrupt (or a different key was spliced in).
  if (!equalBytes(key.publicKey.raw, storedPublic)) {
    throw invalidKey('Ed25519', 'the public key in the private key Data does not belong to its seed')
  }
  return key
}
