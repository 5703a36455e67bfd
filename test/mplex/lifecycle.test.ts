// Closing and aborting sessions, and connections that die under them.
import t from 'tap'
import { once } from 'node:events'
import { isP2PError, type P2PError } from '../../src/util/errors.js'
import type { MplexStream } from '../../src/mplex/index.js'
import { RawPeer, bytes, nextStream, normal, readAll, sessionPair, streamOutcome } from './fixtures/helpers.js'

t.test('close(): every stream is half-closed; resolves once the remote closed them too', async t => {
  const { client, server } = sessionPair()
  // the server echoes and closes when the client has closed
  server.on('stream', (s: MplexStream) => {
    s.on('data', (d: Buffer) => s.write(d))
    s.on('end', () => s.end())
  })
  const streams = [client.newStream(), client.newStream(), client.newStream()]
  const echoed = streams.map(readAll)
  streams.forEach((s, i) => s.write(bytes(`stream ${i}`)))
  const clientClosed = once(client, 'close')
  const serverClosed = once(server, 'close')
  await client.close()
  t.same((await Promise.all(echoed)).map(b => b.toString()), ['stream 0', 'stream 1', 'stream 2'])
  t.same(await clientClosed, [undefined], 'graceful close has no error')
  t.same(client.streams, [])
  t.throws(() => client.newStream(), { code: 'ERR_MUXER_CLOSED' })
  // the client ended the connection: the server's session ends too
  t.same(await serverClosed, [undefined])
  await client.close() // idempotent
})

t.test('close() with nothing open resolves at once; close() twice returns the same promise', async t => {
  const { client, server } = sessionPair()
  const p = client.close()
  t.equal(client.close(), p)
  await p
  await once(server, 'close')
})

t.test('while closing, a NewStream from the remote is reset', async t => {
  const peer = new RawPeer({ initiator: true })
  peer.session.on('stream', () => t.fail('no stream while closing'))
  const s = peer.session.newStream()
  const closing = peer.session.close()
  await peer.waitFrames(2)
  peer.send({ type: 'NewStream', streamId: 8, name: bytes('8') })
  await peer.waitFrames(3)
  t.same(peer.frames.map(normal), [
    { type: 'NewStream', streamId: 1, name: '1' },
    { type: 'CloseInitiator', streamId: 1 },
    { type: 'ResetReceiver', streamId: 8 }
  ])
  peer.send({ type: 'CloseReceiver', streamId: 1 })
  s.resume()
  await closing
  t.pass('closed once the remote closed stream 1')
})

t.test('close() resets what the remote does not close within closeTimeout', async t => {
  const { client, server } = sessionPair({ closeTimeout: 30 })
  const remote = nextStream(server)
  const s = client.newStream()
  s.write(bytes('x'))
  const r = await remote // never closes its side
  const remoteOutcome = streamOutcome(r)
  const localOutcome = streamOutcome(s)
  await client.close()
  t.ok(isP2PError(await localOutcome, 'ERR_CLOSE_TIMEOUT'))
  t.ok(isP2PError(await remoteOutcome, 'ERR_STREAM_RESET'), 'the remote saw a reset')
})

t.test('abort(err): local streams reset with cause err, the remote sees the connection end', async t => {
  const { client, server } = sessionPair()
  const remote = nextStream(server)
  const s = client.newStream()
  s.write(bytes('x'))
  const r = await remote
  const serverClosed = once(server, 'close')
  const clientClosed = once(client, 'close')
  const lo = streamOutcome(s)
  const ro = streamOutcome(r)
  const err = new Error('fatal')
  client.abort(err)
  t.same(await clientClosed, [err])
  const localErr = await lo
  t.ok(isP2PError(localErr, 'ERR_STREAM_RESET'))
  t.equal((localErr as P2PError).cause, err)
  const remoteErr = await ro
  t.ok(isP2PError(remoteErr, 'ERR_STREAM_RESET'))
  t.ok(isP2PError((remoteErr as P2PError).cause, 'ERR_CONNECTION_CLOSED'))
  await serverClosed
  client.abort(new Error('again')) // no-op
  t.throws(() => server.newStream(), { code: 'ERR_MUXER_CLOSED' })
})

t.test('the connection is destroyed mid-stream (either side): typed errors, no unhandled ones', async t => {
  for (const side of ['a', 'b'] as const) {
    const { client, server, a, b } = sessionPair()
    const remote = nextStream(server)
    const s = client.newStream()
    s.write(bytes('x'))
    const r = await remote
    const outcomes = [streamOutcome(s), streamOutcome(r)]
    const closes = [once(client, 'close'), once(server, 'close')]
    const victim = side === 'a' ? a : b
    victim.destroy(new Error('socket died'))
    for (const err of await Promise.all(outcomes)) t.ok(isP2PError(err, 'ERR_STREAM_RESET'), `${side}: stream reset`)
    await Promise.all(closes)
    // writes after the death fail through the callback, never throw
    await new Promise<void>(resolve => s.write(bytes('late'), () => { resolve() }))
  }
})

t.test('the connection ends cleanly with streams open: they are reset', async t => {
  const peer = new RawPeer({ initiator: true })
  const got = nextStream(peer.session)
  peer.send({ type: 'NewStream', streamId: 1, name: bytes('1') }, { type: 'MessageInitiator', streamId: 1, data: [bytes('a')] })
  const s = await got
  const outcome = streamOutcome(s)
  const closed = once(peer.session, 'close')
  peer.raw.end()
  t.same(await closed, [undefined], 'EOF at a frame boundary is not a session error')
  t.ok(isP2PError(await outcome, 'ERR_STREAM_RESET'))
})
