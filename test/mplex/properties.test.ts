// Property tests: many streams, frames interleaved and split at random.
import t from 'tap'
import fc from 'fast-check'
import { duplexPair } from '../helpers/duplex-pair.js'
import { createMplex, encodeFrame, type Frame, type MplexStream } from '../../src/mplex/index.js'
import { readAll, sessionPair } from './fixtures/helpers.js'

const enc = new TextEncoder()

t.test('property: a remote\'s interleaved frames, split anywhere, reach the right streams', async t => {
  // per stream: a list of payloads; the remote interleaves them in `order`
  const arb = fc.record({
    payloads: fc.array(fc.array(fc.uint8Array({ minLength: 1, maxLength: 64 }), { maxLength: 6 }), { minLength: 1, maxLength: 8 }),
    seed: fc.array(fc.nat(), { maxLength: 200 }),
    cuts: fc.array(fc.integer({ min: 1, max: 50 }), { maxLength: 60 })
  })
  await fc.assert(fc.asyncProperty(arb, async ({ payloads, seed, cuts }) => {
    // build the interleaved frame list: each stream's frames stay in order
    const pending = payloads.map((p, id): Frame[] => [
      { type: 'NewStream', streamId: id, name: enc.encode(String(id)) },
      ...p.map((d): Frame => ({ type: 'MessageInitiator', streamId: id, data: [d] })),
      { type: 'CloseInitiator', streamId: id }
    ])
    const frames: Frame[] = []
    let k = 0
    while (pending.some(p => p.length > 0)) {
      const live = pending.filter(p => p.length > 0)
      frames.push(live[(seed[k++ % Math.max(seed.length, 1)] ?? 0) % live.length].shift() as Frame)
    }
    const bytes = Buffer.concat(frames.map(encodeFrame))
    const [a, b] = duplexPair()
    const session = createMplex(a, { initiator: true })
    const results = new Map<number, Promise<Buffer>>()
    session.on('stream', (s: MplexStream) => { results.set(s.id, readAll(s)) })
    let pos = 0
    for (const c of cuts) {
      if (pos >= bytes.length) break
      b.write(bytes.subarray(pos, pos + c))
      pos += c
    }
    b.write(bytes.subarray(pos))
    await new Promise(resolve => setImmediate(resolve))
    for (let id = 0; id < payloads.length; id++) {
      const got = await results.get(id)
      if (got === undefined || !got.equals(Buffer.concat(payloads[id]))) return false
    }
    session.abort(new Error('done'))
    return true
  }), { numRuns: 60 })
  t.pass('60 runs')
})

t.test('property: many concurrent echo streams between two sessions', async t => {
  const arb = fc.array(fc.array(fc.integer({ min: 1, max: 100_000 }), { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 12 })
  await fc.assert(fc.asyncProperty(arb, async sizes => {
    const { client, server } = sessionPair()
    server.on('stream', (s: MplexStream) => {
      s.pipe(s) // echo, then half-close when the client does
    })
    const runs = sizes.map(async (chunkSizes, i) => {
      const s = client.newStream()
      const chunks = chunkSizes.map((n, j) => Buffer.alloc(n, (i * 31 + j) & 0xff))
      const echoed = readAll(s)
      for (const c of chunks) s.write(c)
      s.end()
      return (await echoed).equals(Buffer.concat(chunks))
    })
    const ok = (await Promise.all(runs)).every(Boolean)
    await Promise.all([client.close(), server.close()])
    return ok
  }), { numRuns: 15 })
  t.pass('15 runs')
})

t.test('property: random bytes from the network never throw out of the session', async t => {
  await fc.assert(fc.asyncProperty(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 20 }), async chunks => {
    const [a, b] = duplexPair()
    const session = createMplex(a, { initiator: false })
    let closeErr: unknown = 'open'
    session.on('close', (err?: Error) => { closeErr = err })
    session.on('stream', (s: MplexStream) => { s.on('error', () => {}); s.resume() })
    b.on('error', () => {})
    b.resume()
    for (const c of chunks) if (!b.destroyed) b.write(c)
    await new Promise(resolve => setImmediate(resolve))
    // still open, or closed with a typed error
    const typed = closeErr === 'open' || (closeErr as { code?: unknown }).code !== undefined
    session.abort(new Error('done'))
    return typed
  }), { numRuns: 200 })
  t.pass('200 runs')
})
