// A remote that falls silent with its connection open: what a peer that lost
// power, or a NAT that dropped the mapping, looks like from our side (no FIN,
// no reset). The yamux keepalive must find it: a ping after
// keepAliveIntervalMs of silence, and the connection closed with
// ERR_YAMUX_KEEPALIVE_TIMEOUT when nothing arrives keepAliveTimeoutMs later.
// A live peer, equally idle, answers the pings and keeps its connection, even
// when our own process was too busy to read the answer in time.

import t from 'tap'
import { once } from 'node:events'
import { decodeFrame, encodeFrame, Flag, type Frame } from '../../src/yamux/index.js'
import { Switch } from '../../src/switch/index.js'
import { generateKeyPair } from '../../src/peer/index.js'
import type { Connection } from '../../src/upgrader/index.js'
import { isP2PError } from '../../src/util/errors.js'
import { assertNothingEscaped, FrameCollector, closed, goodPing, guardProcess, secureRaw, sleep, startTarget } from './harness.js'

guardProcess(t)
t.setTimeout(60_000)

const KEEPALIVE = { keepAliveIntervalMs: 150, keepAliveTimeoutMs: 150 }
const isPingSyn = (f: Frame): boolean => f.type === 'ping' && (f.flags & Flag.SYN) !== 0

t.test('a remote silent after its handshake: pinged, then its connection is closed', async t => {
  const target = await startTarget(t, KEEPALIVE)
  const opened = once(target.sw, 'connection:open') as Promise<[Connection]>
  const start = performance.now()
  // reads everything, answers nothing, never closes
  const { socket, secure } = await secureRaw(target, '/yamux/1.0.0')
  const collector = new FrameCollector<Frame>(secure.stream, decodeFrame)
  const [connection] = await opened
  const [err] = await once(connection, 'close') as [Error]
  const elapsed = performance.now() - start
  t.ok(isP2PError(err, 'ERR_YAMUX_KEEPALIVE_TIMEOUT'), `closed with a typed error: ${err?.message}`)
  t.ok(elapsed >= 295, `not before interval + timeout (${elapsed.toFixed(0)} ms)`)
  // one ping to learn the RTT at the start, one keepalive ping after the silence
  t.equal(collector.frames.filter(isPingSyn).length, 2, 'the target pinged before it gave up')
  await closed(socket)
  t.pass('the socket is gone')
  t.equal(target.sw.getConnections().length, 0, 'the switch holds no connection to it')
  t.ok(await goodPing(target) >= 0, 'a good peer is still served')
  await assertNothingEscaped(t)
})

t.test('a live peer, as idle, keeps its connection: it answers the pings', async t => {
  const target = await startTarget(t, KEEPALIVE)
  // the dialer pings the target too: both sides keep each other's connection checked
  const good = new Switch({ privateKey: generateKeyPair('Ed25519'), limits: KEEPALIVE })
  t.teardown(async () => { await good.stop() })
  const connection = await good.dial(target.addr)
  let closedWith: unknown = 'open'
  connection.once('close', (err?: Error) => { closedWith = err })
  await sleep(1_000)
  t.equal(closedWith, 'open', 'still open after six intervals of silence')
  t.equal(connection.status, 'open')
  t.equal(target.sw.getConnections().length, 1, 'and open on the target')
  t.ok(await goodPing(target) >= 0)
  await assertNothingEscaped(t)
})

t.test('our process blocked past the deadline while the answer waited unread: the connection is kept', async t => {
  const target = await startTarget(t, KEEPALIVE)
  const opened = once(target.sw, 'connection:open') as Promise<[Connection]>
  const { secure } = await secureRaw(target, '/yamux/1.0.0')
  const collector = new FrameCollector<Frame>(secure.stream, decodeFrame)
  const [connection] = await opened
  let closedWith: unknown = 'open'
  connection.once('close', (err?: Error) => { closedWith = err })
  // the RTT ping at the start has opaque 0; the keepalive ping comes after 150 ms of silence
  const ping = await collector.waitFor(f => isPingSyn(f) && f.type === 'ping' && f.opaque > 0)
  if (ping.type !== 'ping') throw new Error('not a ping')
  // answer at once: the ACK is in the target's socket buffer when the write completes...
  await new Promise<void>((resolve, reject) => { secure.stream.write(encodeFrame({ type: 'ping', flags: Flag.ACK, streamId: 0, opaque: ping.opaque }), err => { if (err != null) reject(err); else resolve() }) })
  // ...but the process (target included) is blocked past the ping's deadline
  const until = performance.now() + 3 * KEEPALIVE.keepAliveTimeoutMs
  while (performance.now() < until) { /* a long synchronous task */ }
  await sleep(50)
  t.equal(closedWith, 'open', 'the answer read after the block counts: the connection is kept')
  t.equal(connection.status, 'open')
  await assertNothingEscaped(t)
})
