// A remote that never sends its end of the socket. A connection's graceful
// close half-closes the socket and waits for the remote's end; without a
// bound, such a remote would keep the socket (and its descriptor) open
// forever, after the connection had left every count and limit. The socket
// must be released `socketCloseTimeoutMs` after the session closed,
// whichever side started the close.
//
// How a test sees that the target let go: the target's socket, once
// destroyed, answers the attacker's next bytes with a TCP reset; a socket
// still open reads and discards them.

import t from 'tap'
import { once } from 'node:events'
import type net from 'node:net'
import type { Duplex } from 'node:stream'
import { decodeFrame, encodeFrame, Flag, GoAwayCode, type Frame } from '../../src/yamux/index.js'
import type { Connection } from '../../src/upgrader/index.js'
import {
  assertNothingEscaped, FrameCollector, goodPing, guardProcess, secureRaw, sleep, startTarget, type Target
} from './harness.js'

guardProcess(t)
t.setTimeout(60_000)

const SOCKET_CLOSE_TIMEOUT_MS = 200

interface Holder { socket: net.Socket, channel: Duplex, collector: FrameCollector<Frame>, connection: Connection }

/** Completes the handshake honestly, then never half-closes, not even after the target's end arrives. */
async function holdOpen (target: Target): Promise<Holder> {
  const opened = once(target.sw, 'connection:open') as Promise<[Connection]>
  const { socket, secure } = await secureRaw(target, '/yamux/1.0.0')
  // node:net would answer the target's end with ours
  socket.allowHalfOpen = true
  const collector = new FrameCollector<Frame>(secure.stream, decodeFrame)
  const [connection] = await opened
  return { socket, channel: secure.stream, collector, connection }
}

/**
 * Writes a yamux ping every 50 ms and resolves with whether the socket was
 * reset (closed) within `ms`. The kernel answers the first bytes after the
 * target let go with a reset; node:net notices it at the next write.
 */
async function resetOnWrite (holder: Holder, ms = 2_000): Promise<boolean> {
  const deadline = performance.now() + ms
  while (!holder.socket.closed && performance.now() < deadline) {
    holder.channel.write(encodeFrame({ type: 'ping', flags: Flag.SYN, streamId: 0, opaque: 7 }))
    await sleep(50)
  }
  return holder.socket.closed
}

t.test('our close(): the socket is destroyed once the remote has not ended it within socketCloseTimeoutMs', async t => {
  const target = await startTarget(t, { socketCloseTimeoutMs: SOCKET_CLOSE_TIMEOUT_MS })
  const holder = await holdOpen(target)
  const ended = once(holder.socket, 'end')
  const start = performance.now()
  await Promise.race([holder.connection.close(), sleep(5_000).then(() => { throw new Error('close() did not resolve within 5 s') })])
  const elapsed = performance.now() - start
  // the timer cannot fire early: close() waited for the remote's end until the bound
  t.ok(elapsed >= SOCKET_CLOSE_TIMEOUT_MS - 5, `close() resolved once the socket was released (${elapsed.toFixed(0)} ms)`)
  t.equal(holder.connection.status, 'closed')
  await ended
  t.match(await holder.collector.waitFor(f => f.type === 'goAway'), { type: 'goAway', errorCode: GoAwayCode.Normal }, 'a graceful Go Away came first, then the end')
  t.equal(await resetOnWrite(holder), true, 'the socket is gone: the next bytes are answered by a reset')
  t.ok(await goodPing(target) >= 0, 'a good peer is still served')
  await assertNothingEscaped(t)
})

t.test('the remote closes with Go Away and then holds its socket open: released all the same', async t => {
  const target = await startTarget(t, { socketCloseTimeoutMs: SOCKET_CLOSE_TIMEOUT_MS })
  const holder = await holdOpen(target)
  const closing = once(holder.connection, 'close')
  holder.channel.write(encodeFrame({ type: 'goAway', flags: 0, streamId: 0, errorCode: GoAwayCode.Normal }))
  const [err] = await closing as [Error | undefined]
  t.equal(err, undefined, 'the session closed gracefully')
  await once(holder.socket, 'end')
  await sleep(SOCKET_CLOSE_TIMEOUT_MS + 100)
  t.equal(await resetOnWrite(holder), true, 'the socket is gone: the next bytes are answered by a reset')
  t.ok(await goodPing(target) >= 0, 'a good peer is still served')
  await assertNothingEscaped(t)
})

t.test('within the bound the socket waits: bytes the remote sends after our end are still read, not reset', async t => {
  const target = await startTarget(t, { socketCloseTimeoutMs: 5_000 })
  const holder = await holdOpen(target)
  const closing = holder.connection.close()
  await once(holder.socket, 'end')
  t.equal(await resetOnWrite(holder, 300), false, 'no reset while the target waits for our end')
  // our end now: the target's socket closes at once, long before its bound
  holder.socket.end()
  await closing
  t.equal(holder.connection.status, 'closed')
  await assertNothingEscaped(t)
})
