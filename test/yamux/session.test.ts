// Session behaviour between two of our own sessions over an in-memory pair:
// opening, data, half-close, reset, abort, close, ping, Go Away, limits.
import t from 'tap'
import { once } from 'node:events'
import { isP2PError } from '../../src/util/errors.js'
import { yamux, type YamuxStream, type YamuxSession } from '../../src/yamux/index.js'
import type { MuxedStream } from '../../src/muxer/types.js'
import { duplexPair } from '../helpers/duplex-pair.js'
import { readAll, sessionPair, shutdown, tick } from './fixtures/raw-peer.js'

async function nextStream (session: YamuxSession): Promise<YamuxStream> {
  const [stream] = await once(session, 'stream') as [YamuxStream]
  return stream
}

async function errorOf (stream: MuxedStream): Promise<unknown> {
  const [err] = await once(stream, 'error')
  return err
}

t.test('factory and protocol', async t => {
  t.equal(yamux.protocol, '/yamux/1.0.0')
  const [a, b] = duplexPair()
  const client = yamux.create(a, { initiator: true })
  const server = yamux.create(b, { initiator: false })
  t.equal(client.protocol, '/yamux/1.0.0')
  const s1 = client.newStream()
  const s2 = client.newStream()
  const s3 = server.newStream()
  t.equal(s1.id, 1, 'client uses odd IDs')
  t.equal(s2.id, 3)
  t.equal(s3.id, 2, 'server uses even IDs')
  t.equal(s1.direction, 'outbound')
  client.abort(new Error('done'))
  s1.on('error', () => {}); s2.on('error', () => {}); s3.on('error', () => {})
  await once(server, 'close')
})

t.test('echo in both directions with half-close', async t => {
  const [client, server] = sessionPair()
  server.on('stream', (stream: YamuxStream) => {
    t.equal(stream.direction, 'inbound')
    stream.pipe(stream)
  })
  const stream = client.newStream()
  const payload = Buffer.alloc(700_000).map((_, i) => (i * 7) & 0xff)
  stream.end(payload)
  const back = await readAll(stream)
  t.equal(back.length, payload.length)
  t.ok(back.equals(payload), 'same bytes back')
  await tick(10)
  t.equal(client.streams.length, 0, 'finished stream forgotten by the client')
  t.equal(server.streams.length, 0, 'and by the server')
  const serverClosed = once(server, 'close')
  await client.close()
  const [err] = await serverClosed
  t.equal(err, undefined, 'the remote closes cleanly after our Go Away')
})

t.test('half-close: the other direction keeps working', async t => {
  const [client, server] = sessionPair()
  const stream = client.newStream()
  stream.end('request')
  const inbound = await nextStream(server)
  t.equal((await readAll(inbound)).toString(), 'request', 'remote FIN ends the readable side')
  inbound.write('response part 1, ')
  await tick(5)
  inbound.end('part 2')
  t.equal((await readAll(stream)).toString(), 'response part 1, part 2')
  await client.close()
})

t.test('reset from the opener reaches the acceptor as ERR_STREAM_RESET', async t => {
  const [client, server] = sessionPair()
  const stream = client.newStream()
  stream.write('hello')
  const inbound = await nextStream(server)
  const err = errorOf(inbound)
  stream.destroy()
  const e = await err
  t.ok(isP2PError(e, 'ERR_STREAM_RESET'), 'typed error')
  t.equal((e as { remote: boolean }).remote, true)
  await tick(5)
  t.equal(server.streams.length, 0)
  t.equal(client.streams.length, 0)
  await client.close()
})

t.test('reset from the acceptor reaches the opener, and pending writes fail', async t => {
  const [client, server] = sessionPair()
  const stream = client.newStream()
  stream.write('x')
  const inbound = await nextStream(server)
  const err = errorOf(stream)
  inbound.destroy(new Error('local reason'))
  inbound.on('error', () => {})
  const e = await err
  t.ok(isP2PError(e, 'ERR_STREAM_RESET'))
  await client.close()
})

t.test('abort resets every stream on both sides', async t => {
  const [client, server] = sessionPair()
  const remoteErrors: Array<Promise<unknown>> = []
  server.on('stream', (s: YamuxStream) => { remoteErrors.push(errorOf(s)) })
  const streams = [client.newStream(), client.newStream()]
  for (const s of streams) s.write('a')
  await tick(5)
  t.equal(server.streams.length, 2)
  const localErrors = streams.map(errorOf)
  const serverClosed = once(server, 'close')
  client.abort(new Error('boom'))
  for (const e of await Promise.all(localErrors)) t.ok(isP2PError(e, 'ERR_STREAM_RESET'), 'local stream reset')
  for (const e of await Promise.all(remoteErrors)) t.ok(isP2PError(e, 'ERR_STREAM_RESET'), 'remote stream reset when the connection dies')
  const [closeErr] = await serverClosed
  t.ok(isP2PError(closeErr, 'ERR_YAMUX_CONNECTION_CLOSED'), 'the remote session closes with a typed error')
  t.throws(() => client.newStream(), { code: 'ERR_YAMUX_SESSION_CLOSED' })
  await t.rejects(client.ping(), { code: 'ERR_YAMUX_SESSION_CLOSED' })
})

t.test('close(): Go Away, ends streams, waits for the remote to finish them', async t => {
  const [client, server] = sessionPair()
  server.on('stream', (s: YamuxStream) => {
    s.resume()
    s.on('end', () => { setTimeout(() => s.end('bye'), 20) })
  })
  const stream = client.newStream()
  stream.write('hi')
  const collected = readAll(stream)
  const serverClosed = once(server, 'close')
  const closed = client.close()
  let done = false
  void closed.then(() => { done = true })
  await tick(5)
  t.equal(done, false, 'waits while the remote still writes')
  t.throws(() => client.newStream(), { code: 'ERR_YAMUX_GO_AWAY' })
  await closed
  t.equal((await collected).toString(), 'bye', 'the remote finished its side')
  await serverClosed
  t.throws(() => server.newStream(), { code: 'ERR_YAMUX_SESSION_CLOSED' })
})

t.test('close() with no open streams is immediate, on both sides', async t => {
  const [client, server] = sessionPair()
  const serverClosed = once(server, 'close')
  const clientClosed = once(client, 'close')
  await client.close()
  t.same(await clientClosed, [undefined], 'clean close event')
  t.same(await serverClosed, [undefined], 'the remote closes cleanly on Go Away (Normal)')
  await client.close()
  t.pass('close() twice is fine')
})

t.test('abort from the accepting side', async t => {
  const [client, server] = sessionPair()
  server.on('stream', (s: YamuxStream) => { s.on('error', () => {}) })
  const stream = client.newStream()
  stream.write('a')
  await tick(5)
  const err = errorOf(stream)
  server.abort(new Error('server gives up'))
  t.ok(isP2PError(await err, 'ERR_STREAM_RESET'))
})

t.test('close() times out into abort', async t => {
  const [client, server] = sessionPair({ closeTimeoutMs: 50 })
  server.on('stream', (s: YamuxStream) => { s.resume(); s.on('error', () => {}) })
  const stream = client.newStream()
  const err = errorOf(stream)
  stream.write('x')
  const closeEvent = once(client, 'close')
  await client.close()
  t.ok(isP2PError(await err, 'ERR_STREAM_RESET'))
  const [e] = await closeEvent
  t.ok(isP2PError(e, 'ERR_YAMUX_CLOSE_TIMEOUT'))
})

t.test('goAway(): remote SYNs are reset, our streams go on', async t => {
  const [client, server] = sessionPair()
  const existing = client.newStream()
  existing.write('1')
  const inbound = await nextStream(server)
  server.goAway()
  await tick(5)
  t.throws(() => client.newStream(), { code: 'ERR_YAMUX_GO_AWAY' }, 'the remote refuses new streams')
  t.throws(() => server.newStream(), { code: 'ERR_YAMUX_GO_AWAY' }, 'and we may not open after our own Go Away')
  inbound.end('still works')
  t.equal((await readAll(existing.end())).toString(), 'still works')
  client.abort(new Error('end'))
})

t.test('ping measures RTT with the injected clock', async t => {
  let clock = 1000
  const [client] = sessionPair({ now: () => clock, measureRtt: false })
  const p = client.ping()
  clock += 42
  t.equal(await p, 42)
  t.equal(client.rtt, 42)
  const both = await Promise.all([client.ping(), client.ping(), client.ping()])
  t.same(both, [0, 0, 0], 'concurrent pings matched by opaque value')
  client.abort(new Error('end'))
})

t.test('an inbound stream nobody listens for is reset', async t => {
  const [client] = sessionPair()
  const stream = client.newStream()
  const err = errorOf(stream)
  stream.write('anyone?')
  t.ok(isP2PError(await err, 'ERR_STREAM_RESET'))
  client.abort(new Error('end'))
})

t.test('limits: max streams and ACK backlog', async t => {
  const [client, server] = sessionPair({ maxStreams: 3, maxAckBacklog: 2 })
  const opened = [client.newStream(), client.newStream()]
  t.throws(() => client.newStream(), { code: 'ERR_YAMUX_ACK_BACKLOG_FULL' }, 'SHOULD at most allow an ACK backlog')
  const accepted: YamuxStream[] = []
  // every accepted stream (the third's SYN may arrive as the client aborts) fails quietly at the end
  server.on('stream', (s: YamuxStream) => { s.on('error', () => {}); accepted.push(s); s.write('ack') })
  await tick(10)
  t.equal(accepted.length, 2)
  const third = client.newStream()
  t.throws(() => client.newStream(), { code: 'ERR_YAMUX_TOO_MANY_STREAMS' })
  for (const s of [...opened, third]) s.on('error', () => {})
  client.abort(new Error('end'))
})

t.test('stream IDs run out at 2^32 - 1; bad options are refused', async t => {
  const [client] = sessionPair({ measureRtt: false })
  // white-box: skip ahead instead of opening two billion streams
  ;(client as unknown as { nextStreamId: number }).nextStreamId = 0xffff_ffff
  const last = client.newStream()
  t.equal(last.id, 0xffff_ffff, 'the last odd ID')
  t.throws(() => client.newStream(), { code: 'ERR_YAMUX_STREAM_IDS_EXHAUSTED' })
  const [a] = duplexPair()
  t.throws(() => yamux.create(a, { initiator: true, maxMessageSize: 0 }), { code: 'ERR_INVALID_PARAMETERS' })
  shutdown(client)
})
