// Hostile peers at the last stage: inside a muxed stream, where each stream
// negotiates its protocol with multistream-select, and on the muxed
// connection itself. A broken negotiation resets that stream only (yamux
// RST); the connection and its other streams live on. Random bytes where
// muxer frames belong close the connection with a typed error.

import t, { type Test } from 'tap'
import { decodeFrame, encodeFrame, Flag, type Frame } from '../../src/yamux/index.js'
import { encodeMessage, encodeMessages, MAX_PROPOSALS, MULTISTREAM_PROTOCOL_ID } from '../../src/multistream/index.js'
import { encodeUvarint } from '../../src/util/varint.js'
import { isP2PError } from '../../src/util/errors.js'
import {
  assertNothingEscaped, closed, codesOf, FrameCollector, goodPing, guardProcess, nextConnectionClose, pseudoRandomBytes,
  secureRaw, startTarget, type Target
} from './harness.js'

guardProcess(t)
t.setTimeout(60_000)

const NEGOTIATION_TIMEOUT_MS = 400

async function attacker (target: Target): Promise<{ socket: Awaited<ReturnType<typeof secureRaw>>['socket'], send: (bytes: Uint8Array) => void, collector: FrameCollector<Frame> }> {
  const { socket, secure } = await secureRaw(target, '/yamux/1.0.0')
  const collector = new FrameCollector<Frame>(secure.stream, decodeFrame)
  return { socket, send: bytes => { secure.stream.write(bytes) }, collector }
}

const isReset = (streamId: number) => (f: Frame): boolean => f.streamId === streamId && (f.flags & Flag.RST) !== 0

/** Opens stream `id` carrying `data`, expects it reset while the connection and a sibling stream live on. */
async function streamIsReset (t: Test, target: Target, data: Uint8Array, ms = 5_000): Promise<void> {
  const { socket, send, collector } = await attacker(target)
  send(encodeFrame({ type: 'data', flags: Flag.SYN, streamId: 1, data }))
  await collector.waitFor(isReset(1), ms)
  t.pass('the stream was reset (RST)')
  t.equal(target.connections[0].status, 'open', 'the connection stays up')
  // a sibling stream on the same connection still negotiates
  send(encodeFrame({ type: 'data', flags: Flag.SYN, streamId: 3, data: encodeMessages([MULTISTREAM_PROTOCOL_ID, '/echo/1.0.0']) }))
  const onStream3 = (): Buffer => Buffer.concat(collector.frames.flatMap(f => f.type === 'data' && f.streamId === 3 ? [f.data] : []))
  await collector.waitFor(() => onStream3().includes(Buffer.from(encodeMessage('/echo/1.0.0'))))
  t.same(onStream3(), encodeMessages([MULTISTREAM_PROTOCOL_ID, '/echo/1.0.0']), 'a sibling stream is served: header and protocol echoed')
  t.ok(await goodPing(target) >= 0, 'a good peer is served')
  socket.destroy()
  await assertNothingEscaped(t)
}

t.test('random bytes on a new stream', async t => {
  const target = await startTarget(t, { streamNegotiationTimeoutMs: NEGOTIATION_TIMEOUT_MS })
  await streamIsReset(t, target, pseudoRandomBytes(200, 42))
})

t.test('an over-long multistream message on a stream', async t => {
  const target = await startTarget(t, { streamNegotiationTimeoutMs: 5_000 })
  await streamIsReset(t, target, Buffer.concat([encodeUvarint(100_000), Buffer.from('/multistream/1.0.0\n')]))
})

t.test('endless `na`-provoking proposals on a stream', async t => {
  const target = await startTarget(t, { streamNegotiationTimeoutMs: 5_000 })
  const proposals = encodeMessages([MULTISTREAM_PROTOCOL_ID, ...Array.from({ length: MAX_PROPOSALS + 50 }, (_, i) => `/nope/${i}`)])
  await streamIsReset(t, target, proposals)
})

t.test('a truncated proposal, then silence: reset at the negotiation timeout', async t => {
  const target = await startTarget(t, { streamNegotiationTimeoutMs: NEGOTIATION_TIMEOUT_MS })
  const started = Date.now()
  await streamIsReset(t, target, encodeMessage(MULTISTREAM_PROTOCOL_ID).subarray(0, 5))
  t.ok(Date.now() - started >= NEGOTIATION_TIMEOUT_MS - 50, 'not before the timeout')
})

t.test('random bytes where muxer frames belong close the connection with a typed error', async t => {
  const target = await startTarget(t)
  for (const seed of [11, 12, 13]) {
    const closing = nextConnectionClose(target)
    const { socket, send } = await attacker(target)
    send(pseudoRandomBytes(4096, seed))
    const err = await closing
    t.ok(isP2PError(err), `seed ${seed}: a typed error (${codesOf(err).join(' / ')})`)
    t.match(codesOf(err)[0], /^ERR_YAMUX_/, 'a yamux error code')
    socket.resume()
    await closed(socket)
  }
  t.ok(await goodPing(target) >= 0, 'a good peer is served')
  await assertNothingEscaped(t)
})
