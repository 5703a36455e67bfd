// Hostile yamux peers (hashicorp/yamux spec.md; libp2p/specs yamux): after an
// honest Noise handshake the attacker writes raw yamux frames, built with our
// codec and then broken on purpose. Protocol violations must close the
// connection with the typed error (and a Go Away "Protocol error" on the
// wire); floods must be answered with resets and bounded memory; the
// listener keeps serving a good peer; nothing escapes to the process.

import t, { type Test } from 'tap'
import {
  decodeFrame, encodeFrame, Flag, FrameType, GoAwayCode, INITIAL_STREAM_WINDOW, type Frame
} from '../../src/yamux/index.js'
import { encodeMessages, MULTISTREAM_PROTOCOL_ID } from '../../src/multistream/index.js'
import {
  assertNothingEscaped, closed, codesOf, FrameCollector, goodPing, guardProcess, HOLD_PROTOCOL, nextConnectionClose,
  secureRaw, sleep, startTarget, type Target
} from './harness.js'

guardProcess(t)
t.setTimeout(90_000)

async function attacker (target: Target): Promise<{ socket: Awaited<ReturnType<typeof secureRaw>>['socket'], send: (bytes: Uint8Array) => void, collector: FrameCollector<Frame> }> {
  const { socket, secure } = await secureRaw(target, '/yamux/1.0.0')
  const collector = new FrameCollector<Frame>(secure.stream, decodeFrame)
  return { socket, send: bytes => { secure.stream.write(bytes) }, collector }
}

const syn = (streamId: number): Uint8Array => encodeFrame({ type: 'windowUpdate', flags: Flag.SYN, streamId, delta: 0 })

/** A protocol violation: the connection closes with `code` and a Go Away (Protocol error) is sent. */
async function violation (t: Test, code: string, bytes: (send: (b: Uint8Array) => void) => void): Promise<void> {
  const target = await startTarget(t)
  const closing = nextConnectionClose(target)
  const { socket, send, collector } = await attacker(target)
  bytes(send)
  const err = await closing
  t.ok(codesOf(err).includes(code), `closed with ${code} (got ${codesOf(err).join(' / ')})`)
  const goAway = await collector.waitFor(f => f.type === 'goAway')
  t.match(goAway, { type: 'goAway', streamId: 0, errorCode: GoAwayCode.ProtocolError }, 'Go Away with "Protocol error"')
  await closed(socket)
  t.ok(await goodPing(target) >= 0, 'a good peer is still served')
  await assertNothingEscaped(t)
}

t.test('a frame with the wrong version', async t => {
  await violation(t, 'ERR_YAMUX_INVALID_VERSION', send => {
    const frame = encodeFrame({ type: 'ping', flags: Flag.SYN, streamId: 0, opaque: 1 })
    frame[0] = 1
    send(frame)
  })
})

t.test('a frame of an unknown type', async t => {
  await violation(t, 'ERR_YAMUX_INVALID_TYPE', send => {
    const frame = encodeFrame({ type: 'ping', flags: Flag.SYN, streamId: 0, opaque: 1 })
    frame[1] = 0x7
    send(frame)
  })
})

t.test('data beyond the receive window', async t => {
  await violation(t, 'ERR_YAMUX_WINDOW_EXCEEDED', send => {
    send(encodeFrame({ type: 'data', flags: Flag.SYN, streamId: 1, data: new Uint8Array(INITIAL_STREAM_WINDOW + 1) }))
  })
})

t.test('stream ID reuse', async t => {
  await violation(t, 'ERR_YAMUX_DUPLICATE_STREAM', send => {
    send(syn(1))
    send(syn(1))
  })
})

t.test('an even stream ID from the client', async t => {
  // "The client side should use odd ID's, and the server even." We dialled: we are the client.
  await violation(t, 'ERR_YAMUX_INVALID_STREAM_ID', send => { send(syn(2)) })
})

t.test('10,000 SYNs without reading: over the limits they are reset, memory stays bounded', async t => {
  const target = await startTarget(t, { streamNegotiationTimeoutMs: 2_000 })
  const { socket, send, collector } = await attacker(target)
  const before = process.memoryUsage()
  const SYNS = 10_000
  const frames = new Uint8Array(SYNS * 12)
  for (let i = 0; i < SYNS; i++) frames.set(syn(2 * i + 1), i * 12)
  send(frames)
  const limit = target.sw.resources.limits.maxInboundStreamsPerPeer
  // every stream over the per-peer limit is reset at once, before any negotiation
  const resets = (): number => collector.frames.filter(f => (f.flags & Flag.RST) !== 0).length
  for (let i = 0; i < 200 && resets() < SYNS - limit; i++) await sleep(25)
  t.ok(resets() >= SYNS - limit, `${resets()} of ${SYNS} streams were reset (limit ${limit} per peer)`)
  t.ok(target.sw.resources.usage().inboundStreams <= limit, 'never more inbound streams than the per-peer limit')
  t.ok(target.sw.metrics.refused.maxInboundStreamsPerPeer >= SYNS - limit, 'each refusal was counted')
  t.ok(await goodPing(target) >= 0, 'a good peer is served during the flood')
  const grown = process.memoryUsage().heapUsed - before.heapUsed
  t.ok(grown < 64 * 1024 * 1024, `heap grew by ${(grown / 1e6).toFixed(1)} MB`)
  t.equal(target.connections[0].status, 'open', 'the flood is refused stream by stream; the connection stays up')
  socket.destroy()
  await sleep(100)
  t.equal(target.sw.resources.usage().inboundStreams, 0, 'every stream reservation was given back')
  await assertNothingEscaped(t)
})

t.test('endless pings from a peer that never reads the answers', async t => {
  const target = await startTarget(t)
  const { socket, send } = await attacker(target)
  // stop reading: the pongs pile up on the listener's side until it stops reading us
  socket.pause()
  const before = process.memoryUsage()
  const PINGS = 150_000
  const batch = new Uint8Array(10_000 * 12)
  for (let i = 0; i < 10_000; i++) batch.set(encodeFrame({ type: 'ping', flags: Flag.SYN, streamId: 0, opaque: i }), i * 12)
  for (let sent = 0; sent < PINGS; sent += 10_000) {
    send(batch)
    await sleep(1)
  }
  await sleep(300)
  t.ok(await goodPing(target) >= 0, 'a good peer is served during the ping flood')
  const after = process.memoryUsage()
  const grown = (after.heapUsed + after.external) - (before.heapUsed + before.external)
  // 150,000 pongs queued without bound would be ~2 MB of frames plus a write request each (tens of MB)
  t.ok(grown < 96 * 1024 * 1024, `memory grew by ${(grown / 1e6).toFixed(1)} MB`)
  t.equal(target.connections[0].status, 'open', 'pings are legal: the flood is throttled (the listener stops reading), not a violation')
  socket.destroy()
  await sleep(100)
  t.ok(await goodPing(target) >= 0, 'and after it')
  await assertNothingEscaped(t)
})

t.test('a stream never read: the window stops the sender; what the stream buffers stays bounded', async t => {
  const target = await startTarget(t)
  const { socket, send, collector } = await attacker(target)
  // open a stream to the protocol whose handler never reads, then send as long as we are given credit
  const hello = encodeMessages([MULTISTREAM_PROTOCOL_ID, HOLD_PROTOCOL])
  send(encodeFrame({ type: 'data', flags: Flag.SYN, streamId: 1, data: hello }))
  await collector.waitFor(f => f.type === 'data' && f.streamId === 1)
  const credit = (): number => INITIAL_STREAM_WINDOW + collector.frames
    .filter((f): f is Extract<Frame, { type: 'windowUpdate' }> => f.type === 'windowUpdate' && f.streamId === 1)
    .reduce((sum, f) => sum + f.delta, 0)
  let sent = hello.length
  const CHUNK = 64 * 1024
  for (let idle = 0; idle < 4 && sent < 64 * 1024 * 1024;) {
    const room = credit() - sent
    if (room <= 0) {
      idle++
      await sleep(50)
      continue
    }
    idle = 0
    const n = Math.min(room, CHUNK)
    send(encodeFrame({ type: 'data', flags: 0, streamId: 1, data: new Uint8Array(n) }))
    sent += n
    await sleep(0)
  }
  const bound = target.sw.resources.limits.maxStreamBufferBytes + INITIAL_STREAM_WINDOW
  t.ok(sent <= bound, `the sender was stopped after ${sent} bytes (bound ${bound})`)
  t.equal(target.held.length, 1, 'the handler holds the stream')
  t.ok(target.held[0].readableLength <= bound, `the stream buffers ${target.held[0].readableLength} bytes`)
  t.equal(target.connections[0].status, 'open', 'the connection stays up')
  t.ok(await goodPing(target) >= 0, 'a good peer is served meanwhile')
  socket.destroy()
  await assertNothingEscaped(t)
})

t.test('frame type table is what the spec says', async t => {
  t.same(FrameType, { Data: 0, WindowUpdate: 1, Ping: 2, GoAway: 3 })
})
