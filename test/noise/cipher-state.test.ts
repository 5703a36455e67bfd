// CipherState details the public vectors only touch at small nonces: the
// 96-bit nonce layout of noise.md §12.2 (32 zero bits, then n as 64-bit
// little-endian) at large n, and Rekey (§4.2, §11.3), each checked against
// @noble/ciphers called directly.

import t from 'tap'
import { chacha20poly1305 } from '@noble/ciphers/chacha.js'
import { CipherState, nobleCrypto, nodeCrypto } from '../../src/noise/index.js'

const key = Uint8Array.from({ length: 32 }, (_, i) => i * 7)
const ad = Uint8Array.of(1, 2, 3)
const plaintext = new TextEncoder().encode('nonce layout')

for (const crypto of [nodeCrypto, nobleCrypto]) {
  t.test(`${crypto.name}: nonce = 4 zero bytes || n little-endian`, async t => {
    for (const n of [0n, 1n, 0x0102030405060708n, (1n << 64n) - 2n]) {
      const c = new CipherState(crypto, key)
      c.setNonce(n)
      const nonce = new Uint8Array(12)
      for (let i = 0; i < 8; i++) nonce[4 + i] = Number((n >> BigInt(8 * i)) & 0xffn)
      t.same(c.encryptWithAd(ad, plaintext), chacha20poly1305(key, nonce, ad).encrypt(plaintext), `n = ${n}`)
      t.equal(c.nonceValue, n + 1n)
    }
  })

  t.test(`${crypto.name}: rekey = first 32 bytes of ENCRYPT(k, 2^64-1, empty, 32 zeros)`, async t => {
    const c = new CipherState(crypto, key)
    c.setNonce(5n)
    c.rekey()
    t.equal(c.nonceValue, 5n, 'rekey leaves n alone')
    const maxNonce = Uint8Array.of(0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)
    const newKey = chacha20poly1305(key, maxNonce, new Uint8Array(0)).encrypt(new Uint8Array(32)).subarray(0, 32)
    const expected = new CipherState(crypto, newKey)
    expected.setNonce(5n)
    t.same(c.encryptWithAd(ad, plaintext), expected.encryptWithAd(ad, plaintext))
  })
}

t.test('without a key, EncryptWithAd and DecryptWithAd pass data through', async t => {
  const c = new CipherState(nodeCrypto)
  t.notOk(c.hasKey())
  t.same(c.encryptWithAd(ad, plaintext), plaintext)
  t.same(c.decryptWithAd(ad, plaintext), plaintext)
  t.equal(c.nonceValue, 0n)
  t.throws(() => c.rekey(), { code: 'ERR_NOISE_INVALID_STATE' })
  t.throws(() => new CipherState(nodeCrypto, new Uint8Array(31)), { code: 'ERR_NOISE_INVALID_KEY' })
})

t.test('low-order X25519 points are refused with a typed error', async t => {
  for (const crypto of [nodeCrypto, nobleCrypto]) {
    t.throws(() => crypto.dh(new Uint8Array(32).fill(1), new Uint8Array(32)), { code: 'ERR_NOISE_INVALID_KEY' }, crypto.name)
  }
})
