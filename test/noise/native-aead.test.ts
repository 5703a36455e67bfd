// The native ChaCha20-Poly1305 (native/chachapoly.c via
// src/noise/native-aead.ts): built by `npm install`, byte for byte the AEAD
// of RFC 8439 as @noble computes it, tag checks that fail on any changed
// byte, and arguments that cannot make it read or write past a buffer.

import t from 'tap'
import fc from 'fast-check'
import { spawnSync } from 'node:child_process'
import path from 'node:path'
import { nativeAead, nativeAeadStatus, type NativeAead } from '../../src/noise/native-aead.js'
import { nobleCrypto } from '../../src/noise/crypto-noble.js'
import { nodeCrypto, nodeCryptoCipheriv } from '../../src/noise/crypto-node.js'

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex')

if (process.env.P2P_NATIVE_AEAD === '0') {
  t.equal(nativeAead, undefined, 'P2P_NATIVE_AEAD=0 turns the addon off')
  t.end()
} else {
  // `npm install` / `npm ci` build it; a machine without a compiler falls
  // back to node:crypto, but this project's CI must not do so unnoticed
  t.ok(nativeAead, `the native AEAD is built and loaded: ${nativeAeadStatus}`)
  if (nativeAead !== undefined) testAddon(nativeAead)
}

function testAddon (aead: NativeAead): void {
  t.equal(nodeCrypto.name, 'node:crypto + native ChaCha20-Poly1305', 'nodeCrypto uses it')

  t.test('RFC 8439 §2.8.2: the AEAD test vector', async t => {
    const key = hex('808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f')
    const nonce = hex('070000004041424344454647')
    const ad = hex('50515253c0c1c2c3c4c5c6c7')
    const plaintext = Buffer.from("Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.")
    const expected = hex(`
      d31a8d34648e60db7b86afbc53ef7ec2 a4aded51296e08fea9e2b5a736ee62d6
      3dbea45e8ca9671282fafb69da92728b 1a71de0a9e060b2905d6a5b67ecd3b36
      92ddbd7f2d778b8c9803aee328091b58 fab324e4fad675945585808b4831d7bc
      3ff4def08e4b7a9de576d26586cec64b 6116
      1ae10b594f09e26a7e902ecbd0600691`)
    const sealed = Buffer.alloc(plaintext.length + 16)
    // in three pieces, one cut inside a 64-byte ChaCha20 block
    aead.seal(key, nonce, ad, [plaintext.subarray(0, 7), plaintext.subarray(7, 100), plaintext.subarray(100)], sealed)
    t.same(sealed, expected, 'ciphertext and tag')
    const opened = Buffer.alloc(plaintext.length)
    t.equal(aead.open(key, nonce, ad, sealed, opened), true)
    t.same(opened, plaintext)
  })

  t.test('seal equals @noble, open returns the plaintext, for any key, nonce, AD and cut', async t => {
    fc.assert(fc.property(
      fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 12, maxLength: 12 }),
      fc.uint8Array({ maxLength: 80 }), fc.uint8Array({ maxLength: 3000 }), fc.array(fc.nat({ max: 3000 }), { maxLength: 5 }),
      (key, nonce, ad, plaintext, cuts) => {
        const points = [...new Set(cuts.filter(c => c <= plaintext.length))].sort((a, b) => a - b)
        const pieces = [0, ...points].map((from, i) => plaintext.subarray(from, [...points, plaintext.length][i]))
        const { ciphertext, tag } = nobleCrypto.encrypt(key, nonce, ad, plaintext)
        const sealed = new Uint8Array(plaintext.length + 16)
        aead.seal(key, nonce, ad, pieces, sealed)
        t.same(Buffer.from(sealed), Buffer.concat([ciphertext, tag]))
        const opened = new Uint8Array(plaintext.length)
        t.equal(aead.open(key, nonce, ad, sealed, opened), true)
        t.same(Buffer.from(opened), Buffer.from(plaintext))
      }
    ), { numRuns: 60 })
  })

  // chachapoly.c hands OpenSSL a message in 8 KiB slices, cut at the
  // message's multiples of 8 KiB whatever the pieces: messages up to the
  // Noise maximum, pieces cut anywhere (mid-block, mid-slice, on a slice's
  // edge), opened into a new buffer and in place, and a changed byte found
  // in any slice
  t.test('messages of many slices: seal equals @noble for any cut, open in place, any changed byte fails', async t => {
    const slice = 8192
    fc.assert(fc.property(
      fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 12, maxLength: 12 }),
      fc.integer({ min: slice - 1, max: 65519 }),
      fc.array(fc.oneof(fc.nat({ max: 65519 }), fc.integer({ min: 1, max: 7 }).map(k => k * slice)), { maxLength: 6 }),
      fc.nat(), fc.integer({ min: 1, max: 255 }),
      (key, nonce, length, cuts, at, flip) => {
        const plaintext = new Uint8Array(length).map((_, i) => (i * 31 + length) & 0xff)
        const points = [...new Set(cuts.filter(c => c <= length))].sort((a, b) => a - b)
        const pieces = [0, ...points].map((from, i) => plaintext.subarray(from, [...points, length][i]))
        const { ciphertext, tag } = nobleCrypto.encrypt(key, nonce, new Uint8Array(0), plaintext)
        const sealed = new Uint8Array(length + 16)
        aead.seal(key, nonce, new Uint8Array(0), pieces, sealed)
        t.ok(Buffer.from(sealed).equals(Buffer.concat([ciphertext, tag])), `seal of ${length} bytes cut at ${points.join(', ')}`)
        const tampered = sealed.slice()
        tampered[at % tampered.length] ^= flip
        t.equal(aead.open(key, nonce, new Uint8Array(0), tampered, new Uint8Array(length)), false, `byte ${at % tampered.length} changed`)
        t.equal(aead.open(key, nonce, new Uint8Array(0), sealed, sealed.subarray(0, length)), true, 'opened in place')
        t.ok(Buffer.from(sealed.subarray(0, length)).equals(plaintext), 'the plaintext back')
      }
    ), { numRuns: 30 })
  })

  t.test('open fails, and zeroes its output, when any byte of the message, the AD, the nonce or the key changes', async t => {
    fc.assert(fc.property(
      fc.uint8Array({ minLength: 1, maxLength: 400 }), fc.uint8Array({ minLength: 1, maxLength: 20 }), fc.nat(), fc.integer({ min: 1, max: 255 }),
      fc.constantFrom('message', 'ad', 'nonce', 'key'),
      (plaintext, ad, at, flip, what) => {
        const key = new Uint8Array(32).fill(9)
        const nonce = new Uint8Array(12).fill(4)
        const sealed = new Uint8Array(plaintext.length + 16)
        aead.seal(key, nonce, ad, [plaintext], sealed)
        const target = { message: sealed, ad, nonce, key }[what]
        target[at % target.length] ^= flip
        const opened = new Uint8Array(plaintext.length).fill(0xee)
        t.equal(aead.open(key, nonce, ad, sealed, opened), false, `a byte of the ${what} changed`)
        t.ok(opened.every(b => b === 0), 'no unauthenticated plaintext is left')
      }
    ), { numRuns: 60 })
  })

  t.test('open in place, and a failure leaves the next call right', async t => {
    const key = new Uint8Array(32).fill(1)
    const nonce = new Uint8Array(12)
    const plaintext = Buffer.from('a message opened where its ciphertext lay')
    const sealed = Buffer.alloc(plaintext.length + 16)
    aead.seal(key, nonce, new Uint8Array(0), [plaintext], sealed)
    const bad = Buffer.from(sealed)
    bad[0] ^= 1
    t.equal(aead.open(key, nonce, new Uint8Array(0), bad, Buffer.alloc(plaintext.length)), false)
    t.equal(aead.open(key, nonce, new Uint8Array(0), sealed, sealed.subarray(0, plaintext.length)), true)
    t.same(sealed.subarray(0, plaintext.length), plaintext)
  })

  t.test('the empty message: a tag alone', async t => {
    const key = new Uint8Array(32).fill(2)
    const nonce = new Uint8Array(12).fill(3)
    const sealed = new Uint8Array(16)
    aead.seal(key, nonce, new Uint8Array(0), [], sealed)
    const { tag } = nobleCrypto.encrypt(key, nonce, new Uint8Array(0), new Uint8Array(0))
    t.same(Buffer.from(sealed), Buffer.from(tag))
    t.equal(aead.open(key, nonce, new Uint8Array(0), sealed, new Uint8Array(0)), true)
  })

  t.test('wrong arguments throw typed errors and touch no byte outside the buffers given', async t => {
    const key = new Uint8Array(32)
    const nonce = new Uint8Array(12)
    const ad = new Uint8Array(0)
    const plaintext = new Uint8Array(100).fill(5)
    const backing = new Uint8Array(200).fill(0xaa)
    const cases: Array<[string, () => unknown, string]> = [
      ['a 31-byte key', () => { aead.seal(key.subarray(1), nonce, ad, [plaintext], new Uint8Array(116)) }, 'ERR_NATIVE_AEAD_ARGUMENTS'],
      ['an 8-byte nonce', () => { aead.open(key, nonce.subarray(4), ad, new Uint8Array(116), new Uint8Array(100)) }, 'ERR_NATIVE_AEAD_ARGUMENTS'],
      ['out one byte short', () => { aead.seal(key, nonce, ad, [plaintext], backing.subarray(50, 165)) }, 'ERR_NATIVE_AEAD_ARGUMENTS'],
      ['out one byte long', () => { aead.seal(key, nonce, ad, [plaintext], backing.subarray(50, 167)) }, 'ERR_NATIVE_AEAD_ARGUMENTS'],
      ['out shorter than a tag', () => { aead.seal(key, nonce, ad, [], backing.subarray(50, 60)) }, 'ERR_NATIVE_AEAD_ARGUMENTS'],
      ['a piece that is not a Uint8Array', () => { aead.seal(key, nonce, ad, ['text' as unknown as Uint8Array], new Uint8Array(20)) }, 'ERR_NATIVE_AEAD_ARGUMENTS'],
      ['plaintexts that are not an array', () => { aead.seal(key, nonce, ad, plaintext as unknown as Uint8Array[], new Uint8Array(116)) }, 'ERR_NATIVE_AEAD_ARGUMENTS'],
      ['a Uint16Array key', () => { aead.seal(new Uint16Array(16) as unknown as Uint8Array, nonce, ad, [], new Uint8Array(16)) }, 'ERR_NATIVE_AEAD_ARGUMENTS'],
      ['an input shorter than a tag', () => { aead.open(key, nonce, ad, new Uint8Array(15), new Uint8Array(0)) }, 'ERR_NATIVE_AEAD_ARGUMENTS'],
      ['open\'s out of the wrong length', () => { aead.open(key, nonce, ad, new Uint8Array(116), backing.subarray(50, 151)) }, 'ERR_NATIVE_AEAD_ARGUMENTS'],
      ['open\'s out overlapping its input', () => { aead.open(key, nonce, ad, backing.subarray(0, 116), backing.subarray(1, 101)) }, 'ERR_NATIVE_AEAD_ARGUMENTS'],
      ['four arguments', () => { (aead.open as unknown as (...a: unknown[]) => boolean)(key, nonce, ad, new Uint8Array(16)) }, 'ERR_NATIVE_AEAD_ARGUMENTS'],
      // refused before a single element is read
      ['2^32 - 1 pieces (holes)', () => { aead.seal(key, nonce, ad, new Array(2 ** 32 - 1) as Uint8Array[], new Uint8Array(16)) }, 'ERR_NATIVE_AEAD_ARGUMENTS'],
      ['65537 pieces', () => { aead.seal(key, nonce, ad, new Array(65537).fill(new Uint8Array(0)) as Uint8Array[], new Uint8Array(16)) }, 'ERR_NATIVE_AEAD_ARGUMENTS']
    ]
    for (const [what, call, code] of cases) t.throws(call, { code }, what)
    // the bytes around every out given above are as they were
    t.ok(backing.subarray(0, 50).every(b => b === 0xaa) && backing.subarray(167).every(b => b === 0xaa), 'nothing written outside')
    // and the contexts still seal right
    const sealed = new Uint8Array(116)
    aead.seal(key, nonce, ad, [plaintext], sealed)
    const { ciphertext, tag } = nobleCrypto.encrypt(key, nonce, ad, plaintext)
    t.same(Buffer.from(sealed), Buffer.concat([ciphertext, tag]))
  })

  t.test('seal refuses a plaintext that overlaps out, before it writes a byte', async t => {
    const key = new Uint8Array(32).fill(1)
    const nonce = new Uint8Array(12)
    const ad = new Uint8Array(0)
    const buffer = new Uint8Array(300)
    for (let i = 0; i < buffer.length; i++) buffer[i] = i & 0xff
    const before = Uint8Array.from(buffer)
    // shifted by one byte, the case that sealed silently into a message that authenticated with other bytes
    t.throws(() => { aead.seal(key, nonce, ad, [buffer.subarray(0, 200)], buffer.subarray(1, 217)) }, { code: 'ERR_NATIVE_AEAD_ARGUMENTS' }, 'one piece, out one byte on')
    // a later piece overlapping what an earlier piece's ciphertext would have overwritten
    t.throws(() => { aead.seal(key, nonce, ad, [new Uint8Array(50), buffer.subarray(260, 270)], buffer.subarray(224, 300)) }, { code: 'ERR_NATIVE_AEAD_ARGUMENTS' }, 'a second piece inside out')
    t.same(buffer, before, 'not a byte written')
    // next to each other is fine
    aead.seal(key, nonce, ad, [buffer.subarray(0, 100)], buffer.subarray(100, 216))
    const { ciphertext, tag } = nobleCrypto.encrypt(key, nonce, ad, before.subarray(0, 100))
    t.same(Buffer.from(buffer.subarray(100, 216)), Buffer.concat([ciphertext, tag]), 'adjacent buffers seal right')
  })

  t.test('JavaScript that runs while the pieces are read (an accessor element) runs before the seal: it can neither detach out under the seal nor re-key the cipher', async t => {
    const key = new Uint8Array(32).fill(1)
    const nonce = new Uint8Array(12).fill(2)
    const ad = new Uint8Array(0)
    const plaintext = new Uint8Array(100).fill(5)
    const expected = (k: Uint8Array): Buffer => {
      const { ciphertext, tag } = nobleCrypto.encrypt(k, nonce, ad, plaintext)
      return Buffer.concat([ciphertext, tag])
    }
    const withGetter = (first: Uint8Array, get: () => Uint8Array): Uint8Array[] => {
      const pieces = [first, first]
      Object.defineProperty(pieces, 1, { get })
      return pieces
    }

    // the getter hands out's memory to another ArrayBuffer: out is now empty
    const out = new Uint8Array(116)
    const detaching = withGetter(plaintext, () => {
      structuredClone(out.buffer, { transfer: [out.buffer] })
      return new Uint8Array(0)
    })
    t.throws(() => { aead.seal(key, nonce, ad, detaching, out) }, { code: 'ERR_NATIVE_AEAD_ARGUMENTS' }, 'out, detached by a getter, is refused, not written')
    t.equal(out.length, 0, 'the getter did detach out')

    // the getter seals another message with another key on the same context
    const otherKey = new Uint8Array(32).fill(9)
    const inner = new Uint8Array(116)
    const reentrant = withGetter(plaintext, () => {
      aead.seal(otherKey, nonce, ad, [plaintext], inner)
      return new Uint8Array(0)
    })
    const outer = new Uint8Array(116)
    aead.seal(key, nonce, ad, reentrant, outer)
    t.same(Buffer.from(inner), expected(otherKey), 'the inner seal is right')
    t.same(Buffer.from(outer), expected(key), 'the outer seal is right: the inner one ran before it started')

    // a getter that throws: its own error reaches the caller, and out is not written
    const untouched = new Uint8Array(116)
    const throwing = withGetter(plaintext, () => { throw new RangeError('from the getter') })
    t.throws(() => { aead.seal(key, nonce, ad, throwing, untouched) }, { name: 'RangeError', message: 'from the getter' }, 'the getter\'s exception, not ours')
    t.same(Buffer.from(untouched), Buffer.alloc(116), 'nothing sealed into out')
  })

  t.test('nodeCrypto seals and opens as node:crypto does, and rejects what it rejects', async t => {
    const key = new Uint8Array(32).fill(6)
    const nonce = new Uint8Array(12).fill(8)
    const ad = Buffer.from('handshake hash')
    const plaintext = new Uint8Array(65519).map((_, i) => i * 7)
    const ours = nodeCrypto.encryptv(key, nonce, ad, [plaintext.subarray(0, 12), plaintext.subarray(12)])
    const theirs = nodeCryptoCipheriv.encryptv(key, nonce, ad, [plaintext])
    t.same(Buffer.concat(ours.ciphertexts), Buffer.concat(theirs.ciphertexts))
    t.same(ours.tag, theirs.tag)
    const message = Buffer.concat([...ours.ciphertexts, ours.tag])
    t.same(nodeCrypto.decrypt(key, nonce, ad, message), Buffer.from(plaintext))
    t.equal(nodeCrypto.decrypt(key, nonce, ad, message.subarray(0, 15)), undefined, 'shorter than a tag')
    message[100] ^= 1
    t.equal(nodeCrypto.decrypt(key, nonce, ad, message), undefined, 'a changed byte')
    t.equal(nodeCryptoCipheriv.decrypt(key, nonce, ad, message), undefined)
  })

  t.test('P2P_NATIVE_AEAD=0 falls back to node:crypto', async t => {
    const script = `import { nodeCrypto } from ${JSON.stringify(path.join(import.meta.dirname, '../../src/noise/crypto-node.ts'))}; console.log(nodeCrypto.name)`
    const child = spawnSync(process.execPath, [...process.execArgv, '--input-type=module', '-e', script], {
      env: { ...process.env, P2P_NATIVE_AEAD: '0' }, encoding: 'utf8', timeout: 60_000
    })
    t.equal(child.stdout.trim(), 'node:crypto', child.stderr)
  })
}
