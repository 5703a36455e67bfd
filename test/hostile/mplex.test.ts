// Hostile mplex peers (libp2p/specs mplex/README.md): after an honest Noise
// handshake the attacker writes raw mplex frames. mplex has no flow control,
// so the limits that keep memory bounded are ours: a data segment over 1 MiB
// is refused from its length prefix (the connection closes before any of the
// body is buffered), and a stream whose reader lags is reset, not the
// connection. The listener keeps serving a good peer; nothing escapes.

import t from 'tap'
import { decodeFrame, encodeFrame, Flag, frameHeaderLength, writeFrameHeader, MAX_MESSAGE_SIZE, type Frame } from '../../src/mplex/index.js'
import { encodeMessages, MULTISTREAM_PROTOCOL_ID } from '../../src/multistream/index.js'
import { ByteQueue } from '../../src/util/byte-queue.js'
import {
  assertNothingEscaped, closed, codesOf, FrameCollector, goodPing, guardProcess, HOLD_PROTOCOL, nextConnectionClose,
  secureRaw, sleep, startTarget, type Target
} from './harness.js'

guardProcess(t)
t.setTimeout(90_000)

async function attacker (target: Target): Promise<{ socket: Awaited<ReturnType<typeof secureRaw>>['socket'], send: (bytes: Uint8Array) => void, collector: FrameCollector<Frame> }> {
  const { socket, secure } = await secureRaw(target, '/mplex/6.7.0')
  const collector = new FrameCollector<Frame>(secure.stream, (queue: ByteQueue) => decodeFrame(queue))
  return { socket, send: bytes => { secure.stream.write(bytes) }, collector }
}

/** NewStream, then the multistream proposal of `protocol` in a MessageInitiator frame. */
function openStream (streamId: number, protocol: string): Uint8Array {
  return Buffer.concat([
    encodeFrame({ type: 'NewStream', streamId, name: new TextEncoder().encode(String(streamId)) }),
    encodeFrame({ type: 'MessageInitiator', streamId, data: [encodeMessages([MULTISTREAM_PROTOCOL_ID, protocol])] })
  ])
}

t.test('a message over 1 MiB is refused from its length prefix', async t => {
  const target = await startTarget(t)
  const closing = nextConnectionClose(target)
  const { socket, send } = await attacker(target)
  send(encodeFrame({ type: 'NewStream', streamId: 0, name: new Uint8Array(0) }))
  // only the header: the listener must not wait for (or buffer) the body
  const length = MAX_MESSAGE_SIZE + 1
  const header = new Uint8Array(frameHeaderLength(Flag.MessageInitiator, 0, length))
  writeFrameHeader(header, 0, Flag.MessageInitiator, 0, length)
  send(header)
  const err = await closing
  t.ok(codesOf(err).includes('ERR_MPLEX_MESSAGE_TOO_LARGE'), `closed with ERR_MPLEX_MESSAGE_TOO_LARGE (got ${codesOf(err).join(' / ')})`)
  await closed(socket)
  t.ok(await goodPing(target) >= 0, 'a good peer is still served')
  await assertNothingEscaped(t)
})

t.test('a stream never read is reset past its buffer limit; the connection and other streams live on', async t => {
  const target = await startTarget(t)
  const { socket, send, collector } = await attacker(target)
  send(openStream(0, HOLD_PROTOCOL))
  // the listener echoes the header and the protocol: the handler now holds the stream
  await collector.waitFor(f => f.type === 'MessageReceiver' && f.streamId === 0)
  const limit = target.sw.resources.limits.maxStreamBufferBytes
  const chunk = new Uint8Array(64 * 1024)
  for (let sent = 0; sent <= limit + chunk.length; sent += chunk.length) {
    send(encodeFrame({ type: 'MessageInitiator', streamId: 0, data: [chunk] }))
  }
  const reset = await collector.waitFor(f => f.type === 'ResetReceiver' && f.streamId === 0)
  t.match(reset, { type: 'ResetReceiver', streamId: 0 }, 'the stream was reset')
  await sleep(50)
  t.ok(target.held[0].destroyed, 'the held stream was destroyed on the listener')
  t.ok(codesOf(target.held[0].errored).includes('ERR_MPLEX_STREAM_BUFFER_OVERFLOW'), `with ERR_MPLEX_STREAM_BUFFER_OVERFLOW (got ${codesOf(target.held[0].errored).join(' / ')})`)
  t.equal(target.connections[0].status, 'open', 'the connection stays up')
  // another stream on the same connection still works
  send(openStream(1, '/echo/1.0.0'))
  await collector.waitFor(f => f.type === 'MessageReceiver' && f.streamId === 1)
  t.ok(await goodPing(target) >= 0, 'a good peer is served')
  socket.destroy()
  await assertNothingEscaped(t)
})

t.test('1,000 NewStreams without reading: over the per-peer limit they are reset', async t => {
  const target = await startTarget(t, { streamNegotiationTimeoutMs: 2_000 })
  const { socket, send, collector } = await attacker(target)
  const N = 1_000
  send(Buffer.concat(Array.from({ length: N }, (_, i) => encodeFrame({ type: 'NewStream', streamId: i, name: new Uint8Array(0) }))))
  const limit = target.sw.resources.limits.maxInboundStreamsPerPeer
  const resets = (): number => collector.frames.filter(f => f.type === 'ResetReceiver').length
  for (let i = 0; i < 200 && resets() < N - limit; i++) await sleep(25)
  t.ok(resets() >= N - limit, `${resets()} of ${N} streams were reset`)
  t.ok(target.sw.resources.usage().inboundStreams <= limit)
  t.ok(await goodPing(target) >= 0)
  socket.destroy()
  await assertNothingEscaped(t)
})
