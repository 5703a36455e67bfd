// The Noise write path the benchmarks drove into shape (src/noise/secure-stream.ts
// packs writes queued together into shared scratch space instead of
// concatenating them): any mix of write sizes, corked or not, arrives
// byte for byte, and every message on the wire respects the spec's limit
// (libp2p/specs noise "Wire Format": "noise_message_len ... limited to 65535").

import t from 'tap'
import fc from 'fast-check'
import { CipherState, FrameDecoder, NoiseSecureStream, nodeCrypto } from '../../src/noise/index.js'
import { duplexPair } from '../helpers/duplex-pair.js'

const MAX_NOISE_MESSAGE_LENGTH = 65535

t.test('queued writes of any sizes arrive intact, in messages of at most 65535 bytes', async t => {
  await fc.assert(fc.asyncProperty(
    fc.array(fc.oneof(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 60_000, max: 140_000 })), { minLength: 1, maxLength: 8 }),
    fc.boolean(),
    async (sizes, corked) => {
      const key = new Uint8Array(32).fill(3)
      const [a, b] = duplexPair()
      const sender = new NoiseSecureStream(a, new CipherState(nodeCrypto, key), new CipherState(nodeCrypto, key))
      const messages: number[] = []
      const plain: Buffer[] = []
      const decoder = new FrameDecoder(16)
      const receiver = new CipherState(nodeCrypto, key)
      const done = new Promise<void>(resolve => {
        b.on('data', (chunk: Uint8Array) => {
          decoder.push(chunk, m => {
            messages.push(m.length)
            plain.push(Buffer.from(receiver.decryptWithAd(new Uint8Array(0), m)))
          })
        })
        b.on('end', () => { resolve() })
      })
      let seed = 1
      const writes = sizes.map(n => Uint8Array.from({ length: n }, () => (seed = (seed * 73 + 41) % 251)))
      if (corked) sender.cork()
      for (const w of writes) sender.write(w)
      if (corked) sender.uncork()
      sender.end()
      await done
      t.ok(Buffer.concat(plain).equals(Buffer.concat(writes)), 'the same bytes in the same order')
      t.ok(messages.every(n => n <= MAX_NOISE_MESSAGE_LENGTH && n >= 16), 'every message within the limit and holding a tag')
      const total = writes.reduce((s, w) => s + w.length, 0)
      t.ok(messages.length <= writes.length + Math.ceil(total / (MAX_NOISE_MESSAGE_LENGTH - 16)), 'no more messages than writes plus splits')
      sender.destroy()
    }
  ), { numRuns: 40 })
})
