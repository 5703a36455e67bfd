// Keepalive (src/yamux/session.ts): hashicorp/yamux spec.md "Ping" — "It can
// also be used to heart-beat and do keep-alive over TCP". After
// keepAliveIntervalMs with nothing received the session pings; when nothing
// arrives keepAliveTimeoutMs after that ping, the remote is taken for gone and
// the session is torn down (go-yamux's rule). A raw peer plays the remote.
import t from 'tap'
import { once } from 'node:events'
import { isP2PError } from '../../src/util/errors.js'
import { Flag, type Frame } from '../../src/yamux/index.js'
import { sessionWithRawPeer, shutdown, tick, type RawPeer } from './fixtures/raw-peer.js'

// The session's timer is unref'd (a session alone must not keep a process
// alive) and an in-memory pair holds no handle: keep the process up meanwhile.
const hold = setInterval(() => {}, 1_000)
t.teardown(() => { clearInterval(hold) })

const isOurPing = (f: Frame): boolean => f.type === 'ping' && (f.flags & Flag.SYN) !== 0
const pingsFrom = (peer: RawPeer): number => peer.frames.filter(isOurPing).length

/** Answers every ping SYN from the session with its ACK, as a live remote does. */
function answerPings (peer: RawPeer): void {
  let answered = 0
  peer.socket.on('data', () => {
    // RawPeer's own 'data' listener (registered first) has decoded the frames
    const pings = peer.frames.filter(isOurPing)
    for (; answered < pings.length; answered++) {
      const ping = pings[answered]
      if (ping.type === 'ping') peer.send({ type: 'ping', flags: Flag.ACK, streamId: 0, opaque: ping.opaque })
    }
  })
}

t.test('a silent remote is pinged after the interval, then the session is torn down after the timeout', async t => {
  const start = performance.now()
  const { session, peer } = sessionWithRawPeer({ keepAliveIntervalMs: 100, keepAliveTimeoutMs: 150 })
  const stream = session.newStream()
  const streamError = once(stream, 'error')
  const closed = once(session, 'close')
  const ping = await peer.waitFor(isOurPing, 'a keepalive ping')
  const pingedAt = performance.now() - start
  t.ok(pingedAt >= 95, `no ping before the interval (${pingedAt.toFixed(0)} ms)`)
  t.match(ping, { type: 'ping', flags: Flag.SYN, streamId: 0 }, 'a Ping SYN on the session ID')
  const [err] = await closed as [Error]
  const closedAt = performance.now() - start
  t.ok(isP2PError(err, 'ERR_YAMUX_KEEPALIVE_TIMEOUT'), `typed close error: ${err.message}`)
  t.match(err.message, /no answer to our keepalive ping within 1\d\d ms/)
  t.ok(closedAt >= 95 + 145, `not before interval + timeout (${closedAt.toFixed(0)} ms)`)
  const [streamErr] = await streamError as [Error]
  t.ok(isP2PError(streamErr, 'ERR_STREAM_RESET'), 'the open stream is reset')
  t.ok(isP2PError(streamErr.cause, 'ERR_YAMUX_KEEPALIVE_TIMEOUT'), 'because of the keepalive timeout')
  await peer.waitForEnd()
  t.ok(peer.socket.destroyed || peer.ended, 'the connection is gone')
  t.equal(pingsFrom(peer), 1, 'one ping, then no more')
})

t.test('a remote that answers is kept: a ping every interval, no close', async t => {
  const { session, peer } = sessionWithRawPeer({ keepAliveIntervalMs: 80, keepAliveTimeoutMs: 80 })
  answerPings(peer)
  let closed = false
  session.on('close', () => { closed = true })
  await tick(600)
  t.equal(closed, false, 'the session is open after several intervals of silence')
  const pings = pingsFrom(peer)
  // one per interval of silence (~80 ms, timers late on a busy machine)
  t.ok(pings >= 3 && pings <= 8, `${pings} keepalive pings in 600 ms`)
  t.ok(session.rtt > 0, 'the answers measured the RTT')
  shutdown(session)
})

t.test('any input proves the remote alive: a busy session never pings', async t => {
  const { session, peer } = sessionWithRawPeer({ keepAliveIntervalMs: 100, keepAliveTimeoutMs: 100 })
  // the remote's own pings every 30 ms: input for us, which we answer
  for (let i = 0; i < 15; i++) {
    peer.send({ type: 'ping', flags: Flag.SYN, streamId: 0, opaque: i })
    await tick(30)
  }
  t.equal(peer.frames.filter(f => f.type === 'ping' && (f.flags & Flag.ACK) !== 0).length, 15, 'the remote was answered')
  t.equal(pingsFrom(peer), 0, 'no keepalive ping while input arrives')
  const silentFrom = performance.now()
  await peer.waitFor(isOurPing, 'a keepalive ping once the remote fell silent')
  t.ok(performance.now() - silentFrom >= 60, 'pinged an interval after the last input, not before')
  shutdown(session)
})

t.test('an answer that comes late, but within the timeout, keeps the session', async t => {
  const { session, peer } = sessionWithRawPeer({ keepAliveIntervalMs: 50, keepAliveTimeoutMs: 300 })
  let closed = false
  session.on('close', () => { closed = true })
  const ping = await peer.waitFor(isOurPing, 'a keepalive ping')
  await tick(150)
  if (ping.type === 'ping') peer.send({ type: 'ping', flags: Flag.ACK, streamId: 0, opaque: ping.opaque })
  await tick(250)
  t.equal(closed, false, 'still open past the first ping\'s deadline')
  t.ok(pingsFrom(peer) >= 2, 'and pinging again')
  shutdown(session)
})

t.test('keepAliveTimeoutMs 0: pings, never gives up (js-libp2p\'s way)', async t => {
  const { session, peer } = sessionWithRawPeer({ keepAliveIntervalMs: 50, keepAliveTimeoutMs: 0 })
  let closed = false
  session.on('close', () => { closed = true })
  await tick(400)
  t.equal(closed, false, 'a silent remote is kept')
  t.ok(pingsFrom(peer) >= 3, `pinged every interval (${pingsFrom(peer)})`)
  // (a private field: what a session that never gives up holds for its unanswered pings)
  const waiting = (session as unknown as { pings?: Map<number, unknown> }).pings?.size ?? 0
  t.equal(waiting, 1, 'only the last unanswered ping is waited for: they do not pile up')
  shutdown(session)
})

t.test('keepAliveIntervalMs 0: no keepalive at all', async t => {
  const { session, peer } = sessionWithRawPeer({ keepAliveIntervalMs: 0, keepAliveTimeoutMs: 10 })
  let closed = false
  session.on('close', () => { closed = true })
  await tick(300)
  t.equal(closed, false)
  t.equal(pingsFrom(peer), 0, 'never pinged')
  shutdown(session)
})

t.test('the timer ends with the session', async t => {
  const { session, peer } = sessionWithRawPeer({ keepAliveIntervalMs: 50, keepAliveTimeoutMs: 50 })
  shutdown(session)
  await tick(200)
  t.equal(pingsFrom(peer), 0, 'no ping after the session closed')
})

t.test('keepalive options are validated', async t => {
  for (const [name, value] of [['keepAliveIntervalMs', -1], ['keepAliveIntervalMs', 1.5], ['keepAliveTimeoutMs', 2 ** 31]] as const) {
    t.throws(() => sessionWithRawPeer({ [name]: value }), { code: 'ERR_INVALID_PARAMETERS', message: new RegExp(name) }, `${name} = ${value}`)
  }
})
