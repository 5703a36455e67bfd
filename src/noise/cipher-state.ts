// CipherState (noise.md rev 34 §5.1): a key k and a nonce counter n.
//
// Theory of operation: every EncryptWithAd/DecryptWithAd uses n as the
// nonce and then increments it, so the two sides of a channel must process
// messages in the same order. Until a key is set, both calls pass data
// through unchanged (the start of a handshake). The 96-bit ChaChaPoly nonce
// is 32 bits of zeros followed by n as a 64-bit little-endian integer
// (§12.2), laid out in one 12-byte buffer shared by every CipherState: the
// cipher reads it synchronously, before any other CipherState can run.

import { P2PError } from '../util/errors.js'
import { KEYLEN, MAX_NONCE, TAGLEN } from './constants.js'
import type { NoiseCrypto } from './crypto.js'

const EMPTY = new Uint8Array(0)
const NONCE = new Uint8Array(12)
const NONCE_VIEW = new DataView(NONCE.buffer)

export class CipherState {
  /** The key, or undefined for "empty" (§5.1 HasKey() is false). */
  private k: Uint8Array | undefined
  /** The nonce counter, a 64-bit unsigned integer. */
  private n = 0n

  constructor (private readonly crypto: NoiseCrypto, k?: Uint8Array) {
    if (k !== undefined) this.initializeKey(k)
  }

  /** §5.1 InitializeKey(key): sets k = key and n = 0. */
  initializeKey (key: Uint8Array): void {
    if (key.length !== KEYLEN) {
      throw new P2PError('ERR_NOISE_INVALID_KEY', `expected a ${KEYLEN}-byte cipher key, got ${key.length} bytes`)
    }
    this.k = key
    this.n = 0n
  }

  hasKey (): boolean {
    return this.k !== undefined
  }

  /** §5.1 SetNonce(nonce), for tests and for replaying vectors. */
  setNonce (nonce: bigint): void {
    this.n = nonce
  }

  get nonceValue (): bigint {
    return this.n
  }

  /**
   * §5.1 EncryptWithAd(ad, plaintext): "If k is non-empty returns
   * ENCRYPT(k, n++, ad, plaintext). Otherwise returns plaintext."
   * Returns the ciphertext and the tag as separate arrays (no copy).
   */
  encryptWithAdParts (ad: Uint8Array, plaintext: Uint8Array): { ciphertext: Uint8Array, tag: Uint8Array } {
    if (this.k === undefined) return { ciphertext: plaintext, tag: EMPTY }
    const sealed = this.crypto.encrypt(this.k, this.nextNonce(), ad, plaintext)
    this.n++
    return sealed
  }

  /**
   * EncryptWithAd of the concatenation of `plaintexts`, which are not
   * concatenated: the ciphertext comes back in pieces, to be written in
   * order before the tag. Without a key the pieces are the plaintexts.
   */
  encryptWithAdv (ad: Uint8Array, plaintexts: Uint8Array[]): { ciphertexts: Uint8Array[], tag: Uint8Array } {
    if (this.k === undefined) return { ciphertexts: plaintexts, tag: EMPTY }
    const sealed = this.crypto.encryptv(this.k, this.nextNonce(), ad, plaintexts)
    this.n++
    return sealed
  }

  /**
   * Whether encryptWithAdvInto() can be used: a key is set and the crypto
   * back end seals into memory it is given (NoiseCrypto.sealInto).
   */
  get sealsInto (): boolean {
    return this.k !== undefined && this.crypto.sealInto !== undefined
  }

  /**
   * EncryptWithAd of the concatenation of `plaintexts`, written into `out`
   * (exactly their length + TAGLEN bytes: ciphertext, then tag), for a
   * caller that reuses its buffers. Only when sealsInto is true.
   */
  encryptWithAdvInto (ad: Uint8Array, plaintexts: readonly Uint8Array[], out: Uint8Array): void {
    if (this.k === undefined || this.crypto.sealInto === undefined) {
      throw new P2PError('ERR_NOISE_INVALID_STATE', `encryptWithAdvInto() needs a key and a back end that seals into given memory (${this.crypto.name})`)
    }
    this.crypto.sealInto(this.k, this.nextNonce(), ad, plaintexts, out)
    this.n++
  }

  /** EncryptWithAd returning ciphertext || tag as one array. */
  encryptWithAd (ad: Uint8Array, plaintext: Uint8Array): Uint8Array {
    const { ciphertext, tag } = this.encryptWithAdParts(ad, plaintext)
    if (tag.length === 0) return ciphertext
    const out = new Uint8Array(ciphertext.length + TAGLEN)
    out.set(ciphertext, 0)
    out.set(tag, ciphertext.length)
    return out
  }

  /**
   * §5.1 DecryptWithAd(ad, ciphertext): "If an authentication failure
   * occurs in DECRYPT() then n is not incremented and an error is signaled
   * to the caller."
   */
  decryptWithAd (ad: Uint8Array, ciphertext: Uint8Array): Uint8Array {
    if (this.k === undefined) return ciphertext
    const nonce = this.nextNonce()
    const plaintext = this.crypto.decrypt(this.k, nonce, ad, ciphertext)
    if (plaintext === undefined) {
      throw new P2PError('ERR_NOISE_DECRYPT', `authentication failed for a ${ciphertext.length}-byte ciphertext at nonce ${this.n}`, { remote: true })
    }
    this.n++
    return plaintext
  }

  /**
   * §11.3 Rekey(): k = REKEY(k), the first 32 bytes of
   * ENCRYPT(k, maxnonce, zerolen, zeros) (§4.2). n is left unchanged.
   */
  rekey (): void {
    if (this.k === undefined) throw new P2PError('ERR_NOISE_INVALID_STATE', 'rekey() on a CipherState without a key')
    const nonce = new Uint8Array(12)
    new DataView(nonce.buffer).setBigUint64(4, MAX_NONCE, true)
    this.k = this.crypto.encrypt(this.k, nonce, EMPTY, new Uint8Array(KEYLEN)).ciphertext.slice(0, KEYLEN)
  }

  private nextNonce (): Uint8Array {
    // §5.1: "The maximum n value (2^64-1) is reserved for other use. If
    // incrementing n results in 2^64-1, then any further EncryptWithAd() or
    // DecryptWithAd() calls will signal an error to the caller."
    if (this.n >= MAX_NONCE) {
      throw new P2PError('ERR_NONCE_EXHAUSTED', `nonce reached 2^64-1: the channel must be closed (${this.n})`)
    }
    NONCE_VIEW.setBigUint64(4, this.n, true)
    return NONCE
  }
}
