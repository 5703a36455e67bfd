// 1000 concurrent streams on one connection, each echoing 64 KiB, over yamux
// and over mplex, with the switch limits raised as bench/ours.ts raises them.
// Guards against a stall (a stream whose negotiation or data never arrives)
// and against rejections that escape the stack instead of reaching the user
// through the stream.

import t from 'tap'
import { Libp2pNode } from '../../src/node/index.js'
import { yamux } from '../../src/yamux/index.js'
import { mplex } from '../../src/mplex/index.js'
import type { StreamMuxerFactory } from '../../src/muxer/types.js'
import type { Connection } from '../../src/upgrader/index.js'
import { ECHO_PROTOCOL } from '../../src/protocols/index.js'
import { endStream, readChunks, writeChunk } from '../../src/protocols/stream-io.js'
import { handleEcho } from '../../src/protocols/echo/index.js'
import { YamuxSession } from '../../src/yamux/session.js'
import type { YamuxStream } from '../../src/yamux/stream.js'
import { duplexPair } from '../helpers/duplex-pair.js'
import type { Duplex } from 'node:stream'
import { Connection as ConnectionClass } from '../../src/upgrader/index.js'
import { generateKeyPair, PeerId } from '../../src/peer/index.js'
import { multiaddr } from '../../src/multiaddr/index.js'

const STREAMS = 1_000
const STREAM_BYTES = 64 * 1024
/** The limits bench/ours.ts raises (the defaults protect a public node). */
const MAX_STREAMS = 2_000
const LIMITS = {
  maxStreamsPerConnection: MAX_STREAMS,
  maxInboundStreamsPerPeer: MAX_STREAMS,
  maxOutboundStreamsPerPeer: MAX_STREAMS,
  maxInboundStreamsPerProtocol: MAX_STREAMS
}

/** A payload whose every byte depends on its position and the stream, so a swapped or shifted chunk shows. */
function payloadFor (index: number): Uint8Array {
  const bytes = new Uint8Array(STREAM_BYTES)
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 31 + index * 7 + (i >> 8)) & 0xff
  return bytes
}

async function echoOnce (connection: Connection, index: number): Promise<void> {
  await echoOver(await connection.newStream(ECHO_PROTOCOL), index)
}

async function echoOver (stream: Duplex, index: number): Promise<void> {
  const payload = payloadFor(index)
  const reading = (async () => {
    const chunks: Uint8Array[] = []
    for await (const chunk of readChunks(stream)) chunks.push(chunk)
    return Buffer.concat(chunks)
  })()
  const writing = (async () => {
    await writeChunk(stream, payload)
    await endStream(stream)
  })()
  // both awaited together: a failed write must not leave `reading` rejecting unobserved
  const [back] = await Promise.all([reading, writing])
  if (!Buffer.from(payload).equals(back)) throw new Error(`stream ${index}: echo returned ${back.length} bytes that differ from the ${payload.length} sent`)
}

for (const [name, muxer] of [['yamux', yamux], ['mplex', mplex]] as Array<[string, StreamMuxerFactory]>) {
  t.test(`${STREAMS} concurrent echo streams of ${STREAM_BYTES} bytes on one ${name} connection`, async t => {
    const escaped: unknown[] = []
    const onEscape = (err: unknown): void => { escaped.push(err) }
    process.on('unhandledRejection', onEscape)
    process.on('uncaughtException', onEscape)
    const listener = new Libp2pNode({ listenAddrs: ['/ip4/127.0.0.1/tcp/0'], muxers: [muxer], limits: LIMITS, echo: true })
    const dialer = new Libp2pNode({ muxers: [muxer], limits: LIMITS })
    t.teardown(async () => {
      await dialer.stop()
      await listener.stop()
      process.off('unhandledRejection', onEscape)
      process.off('uncaughtException', onEscape)
    })
    await listener.start()
    await dialer.start()
    const connection = await dialer.dial(listener.multiaddrs[0])
    t.equal(connection.muxer, muxer.protocol)
    const results = await Promise.allSettled(Array.from({ length: STREAMS }, async (_, i) => { await echoOnce(connection, i) }))
    const failures = results.flatMap(r => r.status === 'rejected' ? [r.reason] : [])
    t.same(failures.map(String).slice(0, 5), [], 'every stream echoed its bytes exactly')
    t.equal(failures.length, 0)
    // give a late rejection a turn of the event loop to surface
    await new Promise(resolve => setImmediate(resolve))
    t.same(escaped.map(String), [], 'no unhandled rejection or uncaught exception')
    t.equal(dialer.switch.getConnections().length, 1, 'all streams shared one connection')
  })
}

// The mechanism behind the bench's stall, without sockets or the switch: both
// sessions have megabytes of Data queued on their connection (every frame
// within a granted window), and both answer with Window Updates. A rule that
// stopped reading once the whole write backlog passed 1 MiB made both sides
// stop reading at once, and nothing could drain again. Over an in-memory pair
// with backpressure this hangs on every run with that rule.
t.test(`${STREAMS} echo streams on raw yamux sessions over an in-memory pair: no mutual read pause`, async t => {
  const [a, b] = duplexPair()
  const client = new YamuxSession(a, { initiator: true, measureRtt: false, maxStreams: MAX_STREAMS })
  const server = new YamuxSession(b, { initiator: false, measureRtt: false, maxStreams: MAX_STREAMS })
  server.on('stream', (stream: YamuxStream) => { handleEcho(stream).catch(() => {}) })
  t.teardown(() => {
    client.abort(new Error('test over'))
    server.abort(new Error('test over'))
  })
  const results = await Promise.allSettled(Array.from({ length: STREAMS }, async (_, i) => { await echoOver(await client.openStream(), i) }))
  const failures = results.flatMap(r => r.status === 'rejected' ? [r.reason] : [])
  t.same(failures.map(String).slice(0, 5), [], 'every stream echoed its bytes exactly')
  t.equal(client.streams.length, 0, 'every stream finished')
})

t.test('openStream waits for the ACK backlog to drain, in order; newStream still refuses at once', async t => {
  const [a, b] = duplexPair()
  const client = new YamuxSession(a, { initiator: true, measureRtt: false, maxAckBacklog: 2 })
  // the raw peer: reads frames but acknowledges nothing until told to
  const received: Buffer[] = []
  b.on('data', (chunk: Buffer) => { received.push(chunk) })
  t.teardown(() => { client.abort(new Error('test over')) })
  const ignore = (): void => {}
  // raw session streams: the test is their user, and the teardown's abort resets them
  t.equal(client.canOpenNow(), true, 'an empty backlog: openStream would open at once')
  const first = (await client.openStream()).on('error', ignore)
  const second = (await client.openStream()).on('error', ignore)
  t.equal(first.id, 1)
  t.equal(second.id, 3)
  t.equal(client.canOpenNow(), false, 'a full backlog: openStream would wait')
  t.throws(() => client.newStream(), { code: 'ERR_YAMUX_ACK_BACKLOG_FULL' })
  const order: number[] = []
  const third = client.openStream().then(s => { order.push(s.id); return s.on('error', ignore) })
  const fourth = client.openStream().then(s => { order.push(s.id); return s.on('error', ignore) })
  await new Promise(resolve => setImmediate(resolve))
  t.same(order, [], 'both wait while two SYNs are unacknowledged')
  // Window Update (type 1), flags ACK (2), stream 1, length 0: version 0
  b.write(Buffer.from([0, 1, 0, 2, 0, 0, 0, 1, 0, 0, 0, 0]))
  t.equal((await third).id, 5, 'the ACK of stream 1 lets the oldest waiter open stream 5')
  t.equal(client.canOpenNow(), false, 'with an opener still waiting, a new one would queue behind it')
  await new Promise(resolve => setImmediate(resolve))
  t.same(order, [5], 'the other still waits: the backlog is full again')
  const controller = new AbortController()
  const aborted = client.openStream({ signal: controller.signal })
  controller.abort(new Error('gave up'))
  await t.rejects(aborted, { message: 'gave up' }, 'an aborted wait rejects with the reason')
  second.destroy() // a reset stream leaves the backlog too
  t.equal((await fourth).id, 7)
  await new Promise(resolve => setImmediate(resolve)) // frames of one tick leave together, on the next
  // the SYNs on the wire: Window Update frames with flag SYN (1) for 1, 3, 5, 7, and the RST (8) of 3 (spec.md: SYN 0x1, ACK 0x2, FIN 0x4, RST 0x8)
  const wire = Buffer.concat(received)
  const frames: Array<[number, number, number]> = []
  for (let o = 0; o + 12 <= wire.length; o += 12) frames.push([wire[o + 1], wire.readUInt16BE(o + 2), wire.readUInt32BE(o + 4)])
  t.same(frames, [[1, 1, 1], [1, 1, 3], [1, 1, 5], [1, 8, 3], [1, 1, 7]])
})

t.test('openStream fails at once when the session closes under its waiters', async t => {
  const [a] = duplexPair()
  const client = new YamuxSession(a, { initiator: true, measureRtt: false, maxAckBacklog: 1 })
  ;(await client.openStream()).on('error', () => {})
  const waiting = client.openStream()
  client.abort(new Error('gone'))
  await t.rejects(waiting, { code: 'ERR_YAMUX_SESSION_CLOSED' })
})

t.test('a remote that never answers the negotiation: every stream fails through the stream, nothing escapes', async t => {
  const escaped: unknown[] = []
  const onEscape = (err: unknown): void => { escaped.push(err) }
  process.on('unhandledRejection', onEscape)
  process.on('uncaughtException', onEscape)
  const [a, b] = duplexPair()
  const session = new YamuxSession(a, { initiator: true, measureRtt: false })
  // the remote: a yamux session that accepts streams and never writes a byte on them
  const silent = new YamuxSession(b, { initiator: false, measureRtt: false })
  silent.on('stream', (stream: YamuxStream) => { stream.on('error', () => {}).resume() })
  const connection = new ConnectionClass({
    id: 'test',
    remotePeer: PeerId.fromPublicKey(generateKeyPair('Ed25519').publicKey),
    remoteAddr: multiaddr('/ip4/127.0.0.1/tcp/1'),
    direction: 'outbound',
    encryption: '/noise',
    session
  })
  t.teardown(() => {
    process.off('unhandledRejection', onEscape)
    process.off('uncaughtException', onEscape)
  })
  // past the ACK backlog: the silent remote ACKs nothing (it never writes), so
  // stream 257 on opens only when a timed-out stream's reset leaves the backlog
  const COUNT = 300
  const results = await Promise.allSettled(Array.from({ length: COUNT }, async (_, i) => {
    const stream = await connection.newStream(ECHO_PROTOCOL, { timeoutMs: 50 })
    await echoOver(stream, i)
  }))
  const codes = new Set(results.map(r => r.status === 'rejected' ? (r.reason as { code?: string }).code : 'fulfilled'))
  t.same([...codes], ['ERR_NEGOTIATION_TIMEOUT'], `each of the ${COUNT} streams reports the timeout to its user`)
  connection.abort(new Error('giving up'))
  silent.abort(new Error('test over'))
  await new Promise(resolve => setTimeout(resolve, 20))
  t.same(escaped.map(String), [], 'no unhandled rejection or uncaught exception')
})
