// Hostile peers against the memory budgets (src/resources/memory.ts):
// buffered bytes per connection (maxConnectionBufferBytes) and in total
// (maxBufferBytes). yamux: an attacker opens streams and never reads — the
// listener reserves 256 KiB per stream (the window it grants) up to the
// connection's budget and answers further SYNs with RST. mplex: a stream never
// read is reset when the connection's budget is full, while another stream
// on the same connection goes on. A good peer is served; when the attackers
// leave, every reserved byte is back.

import t from 'tap'
import { encodeFrame as encodeYamux, decodeFrame as decodeYamux, Flag, INITIAL_STREAM_WINDOW, type Frame as YamuxFrame } from '../../src/yamux/index.js'
import { encodeFrame as encodeMplex, decodeFrame as decodeMplex, type Frame as MplexFrame } from '../../src/mplex/index.js'
import { encodeMessages, MULTISTREAM_PROTOCOL_ID } from '../../src/multistream/index.js'
import { ECHO_PROTOCOL } from '../../src/protocols/index.js'
import type { ByteQueue } from '../../src/util/byte-queue.js'
import {
  assertNothingEscaped, codesOf, FrameCollector, goodPing, guardProcess, HOLD_PROTOCOL, pseudoRandomBytes,
  secureRaw, sleep, startTarget, type Target
} from './harness.js'

guardProcess(t)
t.setTimeout(60_000)

const W = INITIAL_STREAM_WINDOW
const MiB = 1024 * 1024
const HOLD_HELLO = encodeMessages([MULTISTREAM_PROTOCOL_ID, HOLD_PROTOCOL])

async function until (condition: () => boolean, what: string, ms = 5_000): Promise<void> {
  for (const deadline = Date.now() + ms; !condition();) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`)
    await sleep(10)
  }
}

interface YamuxAttacker {
  socket: Awaited<ReturnType<typeof secureRaw>>['socket']
  send: (bytes: Uint8Array) => void
  collector: FrameCollector<YamuxFrame>
  /** Opens streams `ids` to the protocol whose handler never reads (SYN + proposal in one Data frame). */
  open: (ids: number[]) => void
  /** The stream IDs the listener reset. */
  resets: () => number[]
}

async function yamuxAttacker (target: Target): Promise<YamuxAttacker> {
  const { socket, secure } = await secureRaw(target, '/yamux/1.0.0')
  const collector = new FrameCollector<YamuxFrame>(secure.stream, decodeYamux)
  const send = (bytes: Uint8Array): void => { secure.stream.write(bytes) }
  return {
    socket,
    send,
    collector,
    open: ids => { send(Buffer.concat(ids.map(id => encodeYamux({ type: 'data', flags: Flag.SYN, streamId: id, data: HOLD_HELLO })))) },
    resets: () => collector.frames.filter(f => (f.flags & Flag.RST) !== 0).map(f => f.streamId)
  }
}

/** The client's odd stream IDs from the `from`-th to the `to`-th (exclusive). */
const oddIds = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => 2 * (from + i) + 1)

t.test('yamux: streams opened and never read stop at the connection budget; more SYNs get RST', async t => {
  const BUDGET = 4 * MiB
  const target = await startTarget(t, { maxConnectionBufferBytes: BUDGET })
  const attacker = await yamuxAttacker(target)
  const OPENED = 40
  const FIT = BUDGET / W
  attacker.open(oddIds(0, OPENED))
  await until(() => attacker.resets().length >= OPENED - FIT && target.held.length >= FIT, 'the listener answered every SYN')
  t.same(attacker.resets(), oddIds(FIT, OPENED), `the first ${FIT} streams fit (${FIT} × 256 KiB = 4 MiB), the other ${OPENED - FIT} were reset`)
  t.equal(target.held.length, FIT, 'the handler holds the streams that fit')
  const connection = target.connections[0]
  t.equal(connection.memory?.reserved, BUDGET, 'the connection holds exactly its budget')
  t.equal(target.sw.metrics.refused.maxConnectionBufferBytes, OPENED - FIT, 'each refusal counted')

  // the attacker may fill every window it was granted; it can make us hold no more
  const fill = new Uint8Array(W - HOLD_HELLO.length)
  for (const id of oddIds(0, FIT)) attacker.send(encodeYamux({ type: 'data', flags: 0, streamId: id, data: fill }))
  await until(() => target.held.reduce((n, s) => n + s.readableLength, 0) >= FIT * fill.length, 'the windows were filled')
  t.equal(connection.memory?.reserved, BUDGET, 'still exactly the budget with every window full')
  t.notOk(attacker.collector.frames.some(f => f.type === 'windowUpdate' && f.delta > 0), 'no credit granted beyond the initial windows (nobody reads)')
  attacker.open(oddIds(OPENED, OPENED + 2))
  await until(() => attacker.resets().length >= OPENED - FIT + 2, 'the later SYNs were answered')
  t.equal(connection.status, 'open', 'refused stream by stream; the connection stays up')

  t.ok(await goodPing(target) >= 0, 'a good peer on another connection is served meanwhile')
  attacker.socket.destroy()
  await until(() => target.sw.getConnections().length === 0, 'every connection closed')
  t.equal(target.sw.resources.usage().bufferBytes, 0, 'usage back to 0 after the attacker left')
  t.equal(connection.memory?.reserved, 0)
  await assertNothingEscaped(t)
})

t.test('yamux: the total budget holds across connections, and comes back when one leaves', async t => {
  const target = await startTarget(t, { maxConnectionBufferBytes: 2 * MiB, maxBufferBytes: 3 * MiB })
  const a = await yamuxAttacker(target)
  a.open(oddIds(0, 8))
  await until(() => target.held.length >= 8, 'a\'s eight streams are held')
  t.same(a.resets(), [], 'a: eight streams, its whole 2 MiB')
  const b = await yamuxAttacker(target)
  b.open(oddIds(0, 8))
  await until(() => b.resets().length >= 4, 'b was answered')
  t.same(b.resets(), oddIds(4, 8), 'b: four fit in what is left of the 3 MiB total, four are reset')
  t.equal(target.sw.metrics.refused.maxBufferBytes, 4, 'refused by the total, not by b\'s own budget')
  t.equal(target.sw.metrics.refused.maxConnectionBufferBytes, 0)
  t.equal(target.sw.resources.usage().bufferBytes, 3 * MiB)
  const [connA, connB] = target.connections
  t.equal((connA.memory?.reserved ?? 0) + (connB.memory?.reserved ?? 0), 3 * MiB, 'the total is the sum of the connections')

  a.socket.destroy()
  await until(() => target.sw.resources.usage().bufferBytes === MiB, 'a\'s share was given back')
  b.open(oddIds(8, 12))
  await until(() => target.held.length >= 16, 'b\'s new streams are held')
  t.equal(b.resets().length, 4, 'room again: b\'s next four streams fit')
  t.equal(target.sw.resources.usage().bufferBytes, 2 * MiB)
  t.ok(await goodPing(target) >= 0, 'a good peer is served with the room left')
  b.socket.destroy()
  await until(() => target.sw.getConnections().length === 0, 'every connection closed')
  t.equal(target.sw.resources.usage().bufferBytes, 0, 'everything given back')
  await assertNothingEscaped(t)
})

t.test('mplex: a stream never read is reset at the connection budget; another on the same connection still delivers', async t => {
  const BUDGET = 2 * MiB
  const target = await startTarget(t, { maxConnectionBufferBytes: BUDGET })
  const { socket, secure } = await secureRaw(target, '/mplex/6.7.0')
  const collector = new FrameCollector<MplexFrame>(secure.stream, (queue: ByteQueue) => decodeMplex(queue))
  const send = (bytes: Uint8Array): void => { secure.stream.write(bytes) }
  const openStream = (id: number, protocol: string): Uint8Array => Buffer.concat([
    encodeMplex({ type: 'NewStream', streamId: id, name: new TextEncoder().encode(String(id)) }),
    encodeMplex({ type: 'MessageInitiator', streamId: id, data: [encodeMessages([MULTISTREAM_PROTOCOL_ID, protocol])] })
  ])
  send(openStream(0, HOLD_PROTOCOL))
  send(openStream(1, ECHO_PROTOCOL))
  const echoReply = encodeMessages([MULTISTREAM_PROTOCOL_ID, ECHO_PROTOCOL]).length
  await collector.waitFor(f => f.type === 'MessageReceiver' && f.streamId === 0)
  await collector.waitFor(f => f.type === 'MessageReceiver' && f.streamId === 1)

  // 64 KiB at a time to the stream nobody reads, 16 KiB to the echo stream, interleaved
  const hoard = new Uint8Array(64 * 1024)
  const echoed = Buffer.from(pseudoRandomBytes(48 * 16 * 1024, 11))
  for (let i = 0; i < 48; i++) {
    send(encodeMplex({ type: 'MessageInitiator', streamId: 0, data: [hoard] }))
    send(encodeMplex({ type: 'MessageInitiator', streamId: 1, data: [echoed.subarray(i * 16 * 1024, (i + 1) * 16 * 1024)] }))
    if (i % 8 === 7) await sleep(5)
  }
  send(encodeMplex({ type: 'CloseInitiator', streamId: 1 }))
  const reset = await collector.waitFor(f => f.type === 'ResetReceiver' && f.streamId === 0)
  t.match(reset, { type: 'ResetReceiver', streamId: 0 }, 'the stream never read was reset')
  await until(() => target.held[0]?.destroyed === true, 'the held stream is destroyed')
  t.ok(codesOf(target.held[0].errored).includes('ERR_RESOURCE_LIMIT_EXCEEDED'), `with ERR_RESOURCE_LIMIT_EXCEEDED (got ${codesOf(target.held[0].errored).join(' / ')})`)
  t.ok(target.sw.metrics.refused.maxConnectionBufferBytes >= 1, 'the refusal was counted')

  await collector.waitFor(f => f.type === 'CloseReceiver' && f.streamId === 1)
  const back = Buffer.concat(collector.frames
    .filter((f): f is Extract<MplexFrame, { data: readonly Uint8Array[] }> => f.type === 'MessageReceiver' && f.streamId === 1)
    .flatMap(f => f.data))
  t.equal(back.length, echoReply + echoed.length, 'the echo stream answered every byte')
  t.ok(back.subarray(echoReply).equals(echoed), 'byte for byte')
  t.notOk(collector.frames.some(f => f.type === 'ResetReceiver' && f.streamId === 1), 'the echo stream was never reset')
  const connection = target.connections[0]
  t.equal(connection.status, 'open', 'the connection stays up')
  t.ok((connection.memory?.reserved ?? 0) < BUDGET, 'the reset stream gave its bytes back')
  t.ok(await goodPing(target) >= 0, 'a good peer is served')
  socket.destroy()
  await until(() => target.sw.getConnections().length === 0, 'every connection closed')
  t.equal(target.sw.resources.usage().bufferBytes, 0, 'usage back to 0')
  await assertNothingEscaped(t)
})
