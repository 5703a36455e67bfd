// mplex has no flow control: a slow reader is reset (only its stream), the
// connection is never paused for it, and writers wait for the connection's 'drain'.
import t from 'tap'
import { once } from 'node:events'
import { Duplex } from 'node:stream'
import { duplexPair } from '../helpers/duplex-pair.js'
import { isP2PError } from '../../src/util/errors.js'
import { MAX_MESSAGE_SIZE, createMplex, type MplexStream } from '../../src/mplex/index.js'
import { RawPeer, nextStream, readAll, sessionPair, streamOutcome } from './fixtures/helpers.js'

t.test('a stalled reader is reset; the other stream keeps flowing; memory stays bounded', async t => {
  const limit = MAX_MESSAGE_SIZE
  const { client, server } = sessionPair({}, { maxStreamBufferSize: limit })
  const inbound: MplexStream[] = []
  let maxBuffered = 0
  server.on('stream', (s: MplexStream) => { inbound.push(s) })
  const slow = client.newStream()
  const fast = client.newStream()
  // keep writing on `slow` until it is reset; count what the connection carried
  const slowOutcome = streamOutcome(slow)
  const chunk = Buffer.alloc(64 * 1024, 1)
  const total = 8 * limit
  const fastData = Buffer.alloc(total, 2)
  await new Promise(resolve => setImmediate(resolve))
  const [slowIn, fastIn] = inbound
  const slowInOutcome = streamOutcome(slowIn) // never reads
  const fastRead = readAll(fastIn)
  fastIn.on('data', () => { maxBuffered = Math.max(maxBuffered, slowIn.readableLength) })
  fast.end(fastData)
  let sent = 0
  while (!slow.destroyed && sent < total) {
    if (!slow.write(chunk)) await Promise.race([once(slow, 'drain').catch(() => {}), slowOutcome])
    sent += chunk.length
  }
  const inErr = await slowInOutcome
  t.ok(isP2PError(inErr, 'ERR_MPLEX_STREAM_BUFFER_OVERFLOW'), 'the slow stream is reset locally with ERR_MPLEX_STREAM_BUFFER_OVERFLOW')
  t.ok(isP2PError(await slowOutcome, 'ERR_STREAM_RESET'), 'its writer sees a reset')
  t.ok(maxBuffered <= limit, `the stalled stream never held more than the limit (${maxBuffered} <= ${limit})`)
  t.ok((await fastRead).equals(fastData), 'the other stream got all its bytes')
  await Promise.all([client.close(), server.close()])
})

t.test('a connection nobody reads: writes wait for drain, buffered bytes stay bounded', async t => {
  const [a, b] = duplexPair()
  const session = createMplex(a, { initiator: true })
  const s = session.newStream()
  s.on('error', () => {})
  const chunk = Buffer.alloc(16 * 1024, 3)
  let completed = 0
  const total = 200
  for (let i = 0; i < total; i++) s.write(chunk, () => { completed++ })
  for (let i = 0; i < 20; i++) await new Promise(resolve => setImmediate(resolve))
  const accepted = completed * chunk.length
  t.ok(completed < total, `only part of the writes completed while nobody reads (${completed} of ${total})`)
  t.ok(a.writableLength + b.readableLength < 1024 * 1024, `the connection holds little (${a.writableLength + b.readableLength} bytes)`)
  t.ok(accepted < 1024 * 1024, `and the stream's writes completed for ${accepted} bytes only`)
  // now read: everything flows
  const frames: Buffer[] = []
  b.on('data', (d: Buffer) => frames.push(d))
  await new Promise<void>(resolve => s.write(Buffer.alloc(0), () => resolve()))
  while (completed < total) await new Promise(resolve => setImmediate(resolve))
  t.equal(completed, total)
  const received = Buffer.concat(frames).length
  t.ok(received > total * chunk.length, 'all bytes crossed once the peer read')
  session.abort(new Error('done'))
})

t.test('a slow (not stalled) reader on a big transfer is fine', async t => {
  const { client, server } = sessionPair()
  const got = nextStream(server)
  const s = client.newStream()
  const data = Buffer.alloc(3 * MAX_MESSAGE_SIZE)
  for (let i = 0; i < data.length; i += 4096) data[i] = i >> 12
  s.end(data)
  const r = await got
  t.ok((await readAll(r)).equals(data))
  await Promise.all([client.close(), server.close()])
})

t.test('streams writing into a backed-up connection take turns', async t => {
  const peer = new RawPeer({ initiator: true })
  const a = peer.session.newStream()
  const b = peer.session.newStream()
  a.on('error', () => {})
  b.on('error', () => {})
  const size = 16 * 64 * 1024
  a.end(Buffer.alloc(size, 0xaa))
  b.end(Buffer.alloc(size, 0xbb))
  await peer.waitFrames(2 + 2 * 16 + 2)
  const order = peer.frames.filter(f => f.type === 'MessageInitiator').map(f => f.streamId)
  t.equal(order.length, 32)
  const firstHalf = order.slice(0, 16)
  t.ok(firstHalf.includes(1) && firstHalf.includes(3), `both streams progress (${order.join(',')})`)
  let switches = 0
  for (let i = 1; i < order.length; i++) if (order[i] !== order[i - 1]) switches++
  t.ok(switches >= 8, `frames interleave (${switches} switches)`)
  peer.session.abort(new Error('end'))
})

t.test('small writes that _writev joins into a copy of its own are called back without waiting for the connection to handle it', async t => {
  // a connection that keeps every write until released
  const held: Array<() => void> = []
  const connection = new Duplex({ read () {}, write (_chunk, _encoding, callback) { held.push(callback) }, writev (_chunks, callback) { held.push(callback) } })
  const release = async (): Promise<void> => {
    for (const callback of held.splice(0)) callback()
    await new Promise(resolve => setImmediate(resolve))
  }
  const session = createMplex(connection, { initiator: true })
  const stream = session.newStream()
  stream.on('error', () => {})
  let bigDone = false
  stream.write(Buffer.alloc(100 * 1024, 1), () => { bigDone = true })
  await new Promise(resolve => setImmediate(resolve))
  let smallDone = 0
  for (let i = 0; i < 3; i++) stream.write(Buffer.alloc(2 * 1024, 2), () => { smallDone++ })
  for (let i = 0; i < 4 && !bigDone; i++) await release()
  t.ok(bigDone, 'the large write (views of the writer\'s buffer) completed once the connection handled it')
  await new Promise(resolve => setImmediate(resolve))
  t.ok(held.length > 0, 'the connection holds the joined small writes')
  t.equal(smallDone, 3, 'and they are done all the same: the connection has our copy, not the writer\'s buffers')
  session.abort(new Error('done'))
})
