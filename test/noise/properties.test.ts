// Properties: any split of the byte stream gives the same messages, for the
// transport decoder and for the whole handshake; payload codec round trips;
// every crypto back end agrees.

import t from 'tap'
import fc from 'fast-check'
import { Duplex } from 'node:stream'
import {
  CipherState, FrameDecoder, NoiseSecureStream, encodeFrame, nobleCrypto, nodeCrypto, nodeCryptoCipheriv,
  secureInbound, secureOutbound, encodeNoiseHandshakePayload, decodeNoiseHandshakePayload,
  MAX_PLAINTEXT_LENGTH, TAGLEN
} from '../../src/noise/index.js'
import { generateKeyPair } from '../../src/peer/index.js'
import { duplexPair } from '../helpers/duplex-pair.js'
import { lendReads } from '../helpers/lending.js'
import { readAll } from '../helpers/read-all.js'

const EMPTY = new Uint8Array(0)

/** Cuts `bytes` at the given (sorted, deduplicated) points. */
function splitAt (bytes: Uint8Array, points: number[]): Uint8Array[] {
  const cuts = [...new Set(points.map(p => p % (bytes.length + 1)))].sort((x, y) => x - y)
  const out: Uint8Array[] = []
  let last = 0
  for (const cut of [...cuts, bytes.length]) {
    if (cut > last) out.push(bytes.subarray(last, cut))
    last = cut
  }
  return out
}

t.test('FrameDecoder: any chunking yields the same messages', async t => {
  fc.assert(fc.property(
    fc.array(fc.uint8Array({ minLength: 16, maxLength: 300 }), { maxLength: 8 }),
    fc.array(fc.nat(), { maxLength: 20 }),
    (messages, points) => {
      const wire = Buffer.concat(messages.map(encodeFrame))
      const decoder = new FrameDecoder(16)
      const got: Uint8Array[] = []
      for (const chunk of splitAt(wire, points)) {
        // the chunk's memory is reused at once, as a lent read's is: nothing may keep a view of it
        const lent = Uint8Array.from(chunk)
        decoder.push(lent, m => { got.push(Uint8Array.from(m)) })
        lent.fill(0xee)
      }
      t.equal(decoder.buffered, 0)
      t.same(got.map(m => Buffer.from(m).toString('hex')), messages.map(m => Buffer.from(m).toString('hex')))
    }
  ), { numRuns: 100 })
})

for (const lending of [false, true]) {
  const how = lending ? 'lent reads (one buffer, overwritten after each)' : 'chunks it owns'
  t.test(`NoiseSecureStream over ${how}: sealed messages split anywhere decrypt to the same bytes`, async t => {
    await fc.assert(fc.asyncProperty(
      fc.array(fc.uint8Array({ maxLength: 2000 }), { minLength: 1, maxLength: 6 }),
      fc.array(fc.nat(), { maxLength: 30 }),
      async (plaintexts, points) => {
        const key = new Uint8Array(32).fill(9)
        const sender = new CipherState(nodeCrypto, key)
        const wire = Buffer.concat(plaintexts.map(p => encodeFrame(sender.encryptWithAd(EMPTY, p))))
        const [raw, conn] = duplexPair()
        if (lending) lendReads(conn)
        const stream = new NoiseSecureStream(conn, new CipherState(nodeCrypto, key), new CipherState(nodeCrypto, key))
        const received = readAll(stream)
        for (const chunk of splitAt(wire, points)) raw.write(chunk)
        raw.end()
        t.same(await received, Buffer.concat(plaintexts))
        stream.destroy()
      }
    ), { numRuns: 40 })
  })
}

t.test('lent reads: a reader that stops is paused until it reads again, and loses nothing', async t => {
  const key = new Uint8Array(32).fill(4)
  const sender = new CipherState(nodeCrypto, key)
  // 64 full messages (4 MiB), far more than the secure stream buffers
  const plaintexts = Array.from({ length: 64 }, (_, i) => new Uint8Array(MAX_PLAINTEXT_LENGTH).fill(i))
  const [raw, conn] = duplexPair()
  const stats = lendReads(conn)
  const stream = new NoiseSecureStream(conn, new CipherState(nodeCrypto, key), new CipherState(nodeCrypto, key))
  const written = (async () => {
    for (const p of plaintexts) {
      if (!raw.write(encodeFrame(sender.encryptWithAd(EMPTY, p)))) await new Promise(resolve => raw.once('drain', resolve))
    }
    raw.end()
  })()
  // read one message, then stop reading
  const first = await new Promise<Buffer>(resolve => stream.once('data', resolve))
  stream.pause()
  await new Promise(resolve => setTimeout(resolve, 50))
  t.ok(stats.pauses > 0, 'the secure stream asked its connection to pause')
  t.ok(stream.readableLength <= 8 * MAX_PLAINTEXT_LENGTH, `a stopped reader holds a bounded amount (${stream.readableLength} bytes)`)
  const lentWhilePaused = stats.lent
  await new Promise(resolve => setTimeout(resolve, 20))
  t.equal(stats.lent, lentWhilePaused, 'nothing is lent while paused')
  const rest = await readAll(stream)
  await written
  t.ok(stats.resumes > 0, 'reading resumed the connection')
  t.same(Buffer.concat([first, rest]), Buffer.concat(plaintexts))
})

t.test('lent reads: bytes the handshake left in the connection come first', async t => {
  const key = new Uint8Array(32).fill(5)
  const sender = new CipherState(nodeCrypto, key)
  const [raw, conn] = duplexPair()
  // what was already buffered when the secure stream took over (e.g. sent with handshake message 3)
  raw.write(encodeFrame(sender.encryptWithAd(EMPTY, new TextEncoder().encode('first'))))
  await new Promise(resolve => setImmediate(resolve))
  t.ok(conn.readableLength > 0, 'the first message waits in the connection\'s buffer')
  lendReads(conn)
  const stream = new NoiseSecureStream(conn, new CipherState(nodeCrypto, key), new CipherState(nodeCrypto, key))
  raw.end(encodeFrame(sender.encryptWithAd(EMPTY, new TextEncoder().encode(' then lent'))))
  t.equal((await readAll(stream)).toString(), 'first then lent')
})

/** Relays bytes from `from` to `to`, re-chunked by the cycle of `sizes`. */
function relay (from: Duplex, to: Duplex, sizes: number[]): void {
  let i = 0
  from.on('data', (chunk: Buffer) => {
    for (let offset = 0; offset < chunk.length;) {
      const n = Math.max(1, sizes[i++ % sizes.length])
      to.write(chunk.subarray(offset, offset + n))
      offset += n
    }
  })
  from.on('end', () => to.end())
  from.on('close', () => { if (!to.destroyed) to.destroy() })
}

for (const lending of [false, true]) {
  t.test(`the whole handshake and transport survive any re-chunking${lending ? ' (lent reads)' : ''}`, async t => {
    const dialerKey = generateKeyPair('Ed25519')
    const listenerKey = generateKeyPair('Secp256k1')
    await fc.assert(fc.asyncProperty(
      fc.array(fc.integer({ min: 1, max: 97 }), { minLength: 1, maxLength: 10 }),
      fc.array(fc.integer({ min: 1, max: 97 }), { minLength: 1, maxLength: 10 }),
      fc.uint8Array({ maxLength: 3000 }),
      async (sizesUp, sizesDown, data) => {
        const [a, a2] = duplexPair()
        const [b2, b] = duplexPair()
        relay(a2, b2, sizesUp)
        relay(b2, a2, sizesDown)
        if (lending) {
          lendReads(a)
          lendReads(b)
        }
        const [out, inb] = await Promise.all([
          secureOutbound(a, { privateKey: dialerKey }),
          secureInbound(b, { privateKey: listenerKey })
        ])
        // the dialer sends right after message 3, so transport bytes share chunks with it
        out.stream.end(data)
        inb.stream.end(data.slice().reverse())
        t.same(await readAll(inb.stream), Buffer.from(data))
        t.same(await readAll(out.stream), Buffer.from(data.slice().reverse()))
        out.stream.destroy()
        inb.stream.destroy()
      }
    ), { numRuns: 15 })
  })
}

t.test('node:crypto and @noble agree on every primitive', async t => {
  fc.assert(fc.property(
    fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 32, maxLength: 32 }),
    fc.uint8Array({ maxLength: 200 }), fc.uint8Array({ maxLength: 64 }), fc.bigInt({ min: 0n, max: (1n << 64n) - 2n }),
    (priv1, priv2, plaintext, ad, n) => {
      const pub1 = nodeCrypto.publicKey(priv1)
      t.same(pub1, nobleCrypto.publicKey(priv1))
      const pub2 = nobleCrypto.publicKey(priv2)
      t.same(nodeCrypto.dh(priv2, pub1), nobleCrypto.dh(priv1, pub2))
      t.same(nodeCrypto.hash(plaintext, ad), nobleCrypto.hash(plaintext, ad))
      t.same(nodeCrypto.hmac(priv1, plaintext, ad), nobleCrypto.hmac(priv1, plaintext, ad))
      const a = new CipherState(nodeCrypto, priv1)
      const b = new CipherState(nobleCrypto, priv1)
      a.setNonce(n)
      b.setNonce(n)
      const sealed = a.encryptWithAd(ad, plaintext)
      t.same(sealed, b.encryptWithAd(ad, plaintext))
      b.setNonce(n)
      t.same(b.decryptWithAd(ad, sealed), plaintext)
    }
  ), { numRuns: 30 })
})

t.test('encryptv of pieces is ENCRYPT of their concatenation, on every back end', async t => {
  fc.assert(fc.property(
    fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ maxLength: 3000 }),
    fc.array(fc.nat(), { maxLength: 6 }), fc.uint8Array({ maxLength: 64 }), fc.nat({ max: 2 ** 32 }),
    (key, plaintext, points, ad, n) => {
      // pieces may be empty, and a cut inside a 64-byte ChaCha20 block must not matter
      const pieces = [EMPTY, ...splitAt(plaintext, points), EMPTY]
      const nonce = new Uint8Array(12)
      new DataView(nonce.buffer).setUint32(4, n, true)
      const whole = nobleCrypto.encrypt(key, nonce, ad, plaintext)
      for (const crypto of [nodeCrypto, nodeCryptoCipheriv, nobleCrypto]) {
        const { ciphertexts, tag } = crypto.encryptv(key, nonce, ad, pieces)
        t.same(Buffer.concat(ciphertexts), Buffer.from(whole.ciphertext), crypto.name)
        t.same(tag, whole.tag, crypto.name)
      }
    }
  ), { numRuns: 40 })
  const c = new CipherState(nodeCrypto)
  const pieces = [new Uint8Array([1, 2]), new Uint8Array([3])]
  t.equal(c.encryptWithAdv(EMPTY, pieces).ciphertexts, pieces, 'without a key the pieces pass through')
})

t.test('NoiseSecureStream seals any mix of small and large writes as whole messages, packed full', async t => {
  await fc.assert(fc.asyncProperty(
    // each inner array is one batch of writes that reaches the stream at once (one _writev)
    fc.array(fc.array(fc.oneof(fc.nat({ max: 40 }), fc.integer({ min: 3000, max: 6000 }), fc.integer({ min: 60_000, max: 140_000 })), { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 4 }),
    async batches => {
      const key = new Uint8Array(32).fill(5)
      const [raw, conn] = duplexPair()
      const stream = new NoiseSecureStream(conn, new CipherState(nodeCrypto, key), new CipherState(nodeCrypto, key))
      const wire: Buffer[] = []
      raw.on('data', (chunk: Buffer) => { wire.push(chunk) })
      const written: Uint8Array[] = []
      let fullMessagesAtMost = 0
      for (const batch of batches) {
        stream.cork()
        let bytes = 0
        for (const size of batch) {
          const chunk = new Uint8Array(size).map((_, i) => (i * 7 + written.length) & 0xff)
          written.push(chunk)
          stream.write(chunk)
          bytes += size
        }
        stream.uncork()
        fullMessagesAtMost += Math.ceil(bytes / MAX_PLAINTEXT_LENGTH)
        await new Promise(resolve => setImmediate(resolve))
      }
      await new Promise<void>(resolve => { stream.end(resolve) })
      // opened by the other back end: a byte sealed wrong, out of order or twice fails here
      const receive = new CipherState(nobleCrypto, key)
      const opened: Uint8Array[] = []
      new FrameDecoder(TAGLEN).push(Buffer.concat(wire), message => {
        t.ok(message.length <= MAX_PLAINTEXT_LENGTH + TAGLEN)
        const plaintext = receive.decryptWithAd(EMPTY, message)
        t.ok(plaintext.length > 0, 'no empty message')
        opened.push(plaintext)
      })
      t.same(Buffer.concat(opened), Buffer.concat(written))
      t.ok(opened.length <= fullMessagesAtMost, `${opened.length} messages, at most ${fullMessagesAtMost}: a batch fills each message before the next`)
      stream.destroy()
    }
  ), { numRuns: 25 })
})

t.test('a key pair generated by node:crypto is the same key pair to @noble', async t => {
  for (let i = 0; i < 20; i++) {
    const priv = nodeCrypto.generatePrivateKey()
    t.equal(priv.length, 32)
    // the public half is remembered at generation; noble derives it from the 32 bytes alone
    t.same(nodeCrypto.publicKey(priv), nobleCrypto.publicKey(priv))
    // and a copy of the bytes (no cached KeyObject) gives the same DH result
    const other = nobleCrypto.generatePrivateKey()
    t.same(nodeCrypto.dh(priv, nobleCrypto.publicKey(other)), nodeCrypto.dh(Uint8Array.from(priv), nobleCrypto.publicKey(other)))
    t.same(nodeCrypto.dh(priv, nobleCrypto.publicKey(other)), nobleCrypto.dh(other, nodeCrypto.publicKey(priv)))
  }
})

t.test('keys made ahead are fresh, used once and whole', async t => {
  // the spare key is made in the turn after one is taken: draw across turns so it is used
  const seen = new Set<string>()
  for (let i = 0; i < 20; i++) {
    const priv = nodeCrypto.generatePrivateKey()
    const hex = Buffer.from(priv).toString('hex')
    t.notOk(seen.has(hex), `key ${i} was never handed out before`)
    seen.add(hex)
    t.same(nodeCrypto.publicKey(priv), nobleCrypto.publicKey(priv), `key ${i}: its remembered public half is its own`)
    await new Promise(resolve => setImmediate(resolve))
  }
})

t.test('a remote public key imported once serves every copy and view of its bytes', async t => {
  const priv = nobleCrypto.generatePrivateKey()
  const remote = nobleCrypto.publicKey(nobleCrypto.generatePrivateKey())
  const expected = nobleCrypto.dh(priv, remote)
  const padded = new Uint8Array(40)
  padded.set(remote, 5)
  t.same(nodeCrypto.dh(priv, remote), expected)
  t.same(nodeCrypto.dh(priv, Uint8Array.from(remote)), expected, 'a copy')
  t.same(nodeCrypto.dh(priv, padded.subarray(5, 37)), expected, 'a view at an offset')
  const other = nobleCrypto.publicKey(nobleCrypto.generatePrivateKey())
  t.same(nodeCrypto.dh(priv, other), nobleCrypto.dh(priv, other), 'another key is not mistaken for it')
})

t.test('NoiseHandshakePayload round trip', async t => {
  fc.assert(fc.property(
    fc.uint8Array({ minLength: 1, maxLength: 100 }), fc.uint8Array({ minLength: 1, maxLength: 100 }),
    fc.option(fc.record({ streamMuxers: fc.array(fc.string({ maxLength: 20 }), { maxLength: 4 }), webtransportCerthashes: fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 3 }) }), { nil: undefined }),
    (identityKey, identitySig, extensions) => {
      const payload = extensions === undefined ? { identityKey, identitySig } : { identityKey, identitySig, extensions }
      t.same(decodeNoiseHandshakePayload(encodeNoiseHandshakePayload(payload)), payload)
    }
  ), { numRuns: 100 })
})

t.test('largest plaintext per message', async t => {
  t.equal(MAX_PLAINTEXT_LENGTH, 65535 - 16)
})
