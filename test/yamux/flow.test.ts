// Flow control and backpressure end to end: a slow reader stalls only its own
// stream, memory stays bounded, windows auto-tune; many interleaved streams
// over randomly split chunks; one run over real loopback TCP.
import t from 'tap'
import fc from 'fast-check'
import { once } from 'node:events'
import { createHash } from 'node:crypto'
import { createYamux, Flag, FrameType, type FrameHeader, type YamuxStream, type YamuxSession } from '../../src/yamux/index.js'
import { duplexPair, tcpPair } from '../helpers/duplex-pair.js'
import { readAll, sessionPair, sessionWithRawPeer, shutdown, tick } from './fixtures/raw-peer.js'

const pattern = (n: number, seed: number): Buffer => {
  const b = Buffer.allocUnsafe(n)
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed * 7 + (i >> 8)) & 0xff
  return b
}
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex')

t.test('a slow reader stalls only its own stream; memory stays bounded', async t => {
  const [client, server] = sessionPair()
  const inbound: YamuxStream[] = []
  server.on('stream', (s: YamuxStream) => { inbound.push(s) })
  const slow = client.newStream()
  const fast = client.newStream()
  slow.write('s')
  fast.write('f')
  await tick(5)
  const [slowIn, fastIn] = inbound
  slowIn.pause() // the application does not read this one
  const fastDone = readAll(fastIn)
  const big = pattern(4 * 1024 * 1024, 1)
  let slowWritten = false
  slow.write(pattern(2 * 1024 * 1024, 2), () => { slowWritten = true })
  fast.end(big)
  const got = await fastDone
  t.equal(sha(got.subarray(1)), sha(big), 'the fast stream delivered 4 MiB while the slow one is stalled')
  t.equal(slowWritten, false, 'the slow stream\'s writer is held back')
  t.ok(slowIn.readableLength <= 256 * 1024 + 1, `receiver buffers at most one window (${slowIn.readableLength})`)
  t.ok((slow as unknown as { sendWindow: number }).sendWindow === 0, 'its sender has used the window up')
  slowIn.resume()
  await new Promise<void>(resolve => { const check = (): void => { if (slowWritten) resolve(); else setTimeout(check, 5) }; check() })
  t.pass('the slow stream completes once read')
  shutdown(client, server)
})

/** A relay that re-splits every chunk at random between two sessions. */
function splitPair (rand: () => number): [YamuxSession, YamuxSession] {
  const [a, aRelay] = duplexPair()
  const [bRelay, b] = duplexPair()
  const relay = (from: typeof a, to: typeof a): void => {
    from.on('data', (chunk: Buffer) => {
      let i = 0
      while (i < chunk.length) {
        const n = 1 + Math.floor(rand() * Math.min(chunk.length - i, 70_000))
        to.write(chunk.subarray(i, i + n))
        i += n
      }
    })
    from.on('end', () => to.end())
    from.on('error', () => {})
  }
  relay(aRelay, bRelay)
  relay(bRelay, aRelay)
  return [createYamux(a, { initiator: true }), createYamux(b, { initiator: false })]
}

t.test('property: many interleaved streams over randomly split chunks echo exactly', async t => {
  await fc.assert(fc.asyncProperty(
    fc.array(fc.record({ size: fc.integer({ min: 0, max: 120_000 }), fromClient: fc.boolean(), chunk: fc.integer({ min: 1, max: 50_000 }) }), { minLength: 1, maxLength: 16 }),
    fc.integer(),
    async (specs, seed) => {
      let state = seed >>> 0
      const rand = (): number => { state = (state * 1664525 + 1013904223) >>> 0; return state / 2 ** 32 }
      const [client, server] = splitPair(rand)
      for (const side of [client, server]) side.on('stream', (s: YamuxStream) => { s.pipe(s) })
      const results = await Promise.all(specs.map(async (spec, i) => {
        const stream = (spec.fromClient ? client : server).newStream()
        const payload = pattern(spec.size, i)
        const back = readAll(stream)
        for (let off = 0; off < payload.length; off += spec.chunk) stream.write(payload.subarray(off, off + spec.chunk))
        stream.end()
        return sha(await back) === sha(payload)
      }))
      await client.close()
      return results.every(Boolean) && client.streams.length === 0
    }), { numRuns: 12 })
  t.pass('all streams echoed byte for byte')
})

t.test('receive window auto-tuning doubles up to the maximum', async t => {
  let clock = 0
  const [a, b] = duplexPair()
  const deltas: number[] = []
  const onFrame = (direction: 'in' | 'out', h: FrameHeader): void => {
    if (direction === 'out' && h.type === FrameType.WindowUpdate && h.streamId === 1 && h.length > 0) deltas.push(h.length)
  }
  const client = createYamux(a, { initiator: true, measureRtt: false })
  const server = createYamux(b, { initiator: false, measureRtt: false, now: () => clock, maxStreamWindow: 1024 * 1024, onFrame })
  const rtt = server.ping()
  clock = 10
  t.equal(await rtt, 10, 'the server learnt an RTT of 10 ms')
  server.on('stream', (s: YamuxStream) => { s.resume() })
  // the clock does not move: every window is used up within 4 RTTs, so it grows
  const stream = client.newStream()
  stream.end(Buffer.alloc(6 * 1024 * 1024))
  await once(stream, 'finish')
  await tick(10)
  // an update leaves as soon as half the window has been read: it grants that
  // half plus the growth (the window doubles), until the 1 MiB ceiling
  t.same(deltas.slice(0, 3), [128 * 1024 + 256 * 1024, 256 * 1024 + 512 * 1024, 512 * 1024], 'each update grants what was read plus the growth; capped at 1 MiB')
  t.ok(deltas.every(d => d <= 1024 * 1024 + 512 * 1024), 'never beyond consumed + growth to the maximum')
  t.ok((stream as unknown as { sendWindow: number }).sendWindow <= 1024 * 1024, 'the sender never holds more than the maximum window')
  shutdown(client, server)
})

t.test('no auto-tuning when the reader, not the window, is the limit', async t => {
  let clock = 0
  const [a, b] = duplexPair()
  const deltas: number[] = []
  const client = createYamux(a, { initiator: true, measureRtt: false })
  const server = createYamux(b, {
    initiator: false, measureRtt: false, now: () => clock,
    onFrame: (d, h) => { if (d === 'out' && h.type === FrameType.WindowUpdate && h.length > 0) deltas.push(h.length) }
  })
  const rtt = server.ping()
  clock = 1
  await rtt
  server.on('stream', (s: YamuxStream) => { s.on('data', () => { clock += 1000 }) })
  const stream = client.newStream()
  stream.end(Buffer.alloc(2 * 1024 * 1024))
  await once(stream, 'finish')
  await tick(10)
  t.ok(deltas.length > 0)
  t.ok(deltas.every(d => d <= 256 * 1024), `window stays 256 KiB (${deltas.join(',')})`)
  shutdown(client, server)
})

t.test('over real loopback TCP: 8 streams echo 1 MiB each, then close', async t => {
  const [c, s] = await tcpPair()
  const client = createYamux(c, { initiator: true })
  const server = createYamux(s, { initiator: false })
  server.on('stream', (st: YamuxStream) => { st.pipe(st) })
  const rtt = await client.ping()
  t.ok(rtt >= 0 && rtt < 1000, `ping over TCP: ${rtt.toFixed(3)} ms`)
  const ok = await Promise.all(Array.from({ length: 8 }, async (_, i) => {
    const stream = client.newStream()
    const payload = pattern(1024 * 1024, i)
    const back = readAll(stream)
    stream.end(payload)
    return sha(await back) === sha(payload)
  }))
  t.same(ok, Array(8).fill(true))
  const serverClosed = once(server, 'close')
  await client.close()
  await serverClosed
  await once(c, 'close')
})

t.test('a window update leaves at once, not with the turn\'s batch', async t => {
  // the remote's sender may be stalled on this credit; a busy receiver's turn
  // (one socket read after another) ended 10-15 ms later than the update
  const { session, peer } = sessionWithRawPeer({ initiator: false })
  session.on('stream', (s: YamuxStream) => { s.on('data', () => {}) })
  // scheduled before the session's batch is, so it runs first in the check
  // phase; awaited itself (a timer could fire first on a loaded machine)
  const updateBeforeBatchFlush = new Promise<boolean>(resolve => {
    setImmediate(() => { resolve(peer.frames.some(f => f.type === 'windowUpdate' && f.streamId === 1 && f.delta > 0)) })
  })
  peer.send({ type: 'data', flags: Flag.SYN, streamId: 1, data: new Uint8Array(200 * 1024) })
  t.equal(await updateBeforeBatchFlush, true, 'the update reached the remote before the batch was flushed')
  const update = await peer.waitFor(f => f.type === 'windowUpdate' && f.streamId === 1 && f.delta > 0, 'a window update')
  t.ok(update.type === 'windowUpdate' && update.delta >= 128 * 1024, 'it grants what was read')
  shutdown(session)
})

t.test('credit goes back for every read, not only when Node calls _read', async t => {
  // Node calls _read once until the next push, and from inside read() before
  // it removes the bytes it returns. A credit check made only then came too
  // early: with a readable highWaterMark as large as the window, a reader
  // taking 64 KiB at a time got no Window Update at all, and the remote,
  // out of window, could send nothing more to make Node call _read again.
  const { session, peer } = sessionWithRawPeer({ initiator: false })
  const WINDOW = 256 * 1024
  let inbound: YamuxStream | undefined
  session.on('stream', (s: YamuxStream) => {
    (s as unknown as { _readableState: { highWaterMark: number } })._readableState.highWaterMark = WINDOW
    inbound = s
  })
  const frame = new Uint8Array(WINDOW / 4)
  peer.send({ type: 'data', flags: Flag.SYN, streamId: 1, data: frame })
  for (let i = 1; i < 4; i++) peer.send({ type: 'data', flags: 0, streamId: 1, data: frame })
  await tick(5)
  if (inbound === undefined) throw new Error('no inbound stream')
  t.equal(inbound.readableLength, WINDOW, 'the whole window waits in the buffer, nothing read yet')
  t.notOk(peer.frames.some(f => f.type === 'windowUpdate' && f.delta > 0), 'no credit for unread bytes')
  // one read, then (after Node's _read and anything it queued) the other three
  t.equal((inbound.read(WINDOW / 4) as Buffer).length, WINDOW / 4)
  await tick(5)
  for (let i = 1; i < 4; i++) t.equal((inbound.read(WINDOW / 4) as Buffer).length, WINDOW / 4)
  const update = await peer.waitFor(f => f.type === 'windowUpdate' && f.streamId === 1 && f.delta > 0, 'a window update')
  t.ok(update.type === 'windowUpdate' && update.delta >= WINDOW / 2, `the reads were credited (${update.type === 'windowUpdate' ? update.delta : 0} bytes)`)
  shutdown(session)
})
