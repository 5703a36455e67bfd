// @noble back end of ./crypto.ts: pure JavaScript X25519 (@noble/curves),
// ChaCha20-Poly1305 (@noble/ciphers), SHA-256 and HMAC (@noble/hashes).
// Slower than node:crypto; it exists to cross-check the native back end
// against the public vectors and for runtimes without node:crypto.

import { x25519 } from '@noble/curves/ed25519.js'
import { chacha20poly1305 } from '@noble/ciphers/chacha.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { hmac } from '@noble/hashes/hmac.js'
import { randomBytes } from 'node:crypto'
import { concatBytes } from '../util/bytes.js'
import { P2PError } from '../util/errors.js'
import { DHLEN, TAGLEN } from './constants.js'
import type { NoiseCrypto } from './crypto.js'

export const nobleCrypto: NoiseCrypto = {
  name: '@noble',
  generatePrivateKey: () => new Uint8Array(randomBytes(DHLEN)),
  publicKey (privateKey) {
    if (privateKey.length !== DHLEN) {
      throw new P2PError('ERR_NOISE_INVALID_KEY', `expected a ${DHLEN}-byte X25519 private key, got ${privateKey.length} bytes`)
    }
    return x25519.getPublicKey(privateKey)
  },
  dh (privateKey, publicKey) {
    if (publicKey.length !== DHLEN) {
      throw new P2PError('ERR_NOISE_INVALID_KEY', `expected a ${DHLEN}-byte X25519 public key, got ${publicKey.length} bytes`, { remote: true })
    }
    try {
      return x25519.getSharedSecret(privateKey, publicKey)
    } catch (err) {
      throw new P2PError('ERR_NOISE_INVALID_KEY', `X25519 with the remote public key failed: ${(err as Error).message}`, { cause: err, remote: true })
    }
  },
  hash: (...parts) => sha256(concatBytes(parts)),
  hmac: (key, ...parts) => hmac(sha256, key, concatBytes(parts)),
  encrypt (k, nonce, ad, plaintext) {
    const sealed = chacha20poly1305(k, nonce, ad).encrypt(plaintext)
    const split = sealed.length - TAGLEN
    return { ciphertext: sealed.subarray(0, split), tag: sealed.subarray(split) }
  },
  encryptv (k, nonce, ad, plaintexts) {
    const { ciphertext, tag } = nobleCrypto.encrypt(k, nonce, ad, concatBytes(plaintexts))
    return { ciphertexts: [ciphertext], tag }
  },
  decrypt (k, nonce, ad, ciphertextAndTag) {
    if (ciphertextAndTag.length < TAGLEN) return undefined
    try {
      return chacha20poly1305(k, nonce, ad).decrypt(ciphertextAndTag)
    } catch {
      return undefined
    }
  }
}
