// Every protocol violation mplex can see, and what it costs: the connection
// (framing or stream identity lost) or one stream.
import t from 'tap'
import { once } from 'node:events'
import { isP2PError, type P2PError } from '../../src/util/errors.js'
import { CONTROL_BACKLOG_LIMIT, MAX_MESSAGE_SIZE, encodeFrame, mplex, type MplexStream } from '../../src/mplex/index.js'
import { duplexPair } from '../helpers/duplex-pair.js'
import { RawPeer, bytes, nextStream, normal, readAll, streamOutcome, tick } from './fixtures/helpers.js'

async function sessionError (peer: RawPeer): Promise<Error | undefined> {
  const [err] = await once(peer.session, 'close') as [Error | undefined]
  return err
}

t.test('flag 7 closes the connection with ERR_MPLEX_INVALID_FLAG; open streams are reset', async t => {
  const peer = new RawPeer({ initiator: true })
  const s = peer.session.newStream()
  const outcome = streamOutcome(s)
  const closed = sessionError(peer)
  peer.raw.write(Buffer.from('0700', 'hex'))
  const err = await closed
  t.ok(isP2PError(err, 'ERR_MPLEX_INVALID_FLAG'))
  t.equal((err as P2PError).remote, true)
  const streamErr = await outcome
  t.ok(isP2PError(streamErr, 'ERR_STREAM_RESET'))
  t.equal((streamErr as P2PError).cause, err, 'the stream\'s reset names the cause')
  if (!peer.raw.readableEnded) await once(peer.raw, 'end')
  t.ok(peer.raw.readableEnded, 'the connection was torn down')
  t.same(peer.session.streams, [])
  t.throws(() => peer.session.newStream(), { code: 'ERR_MUXER_CLOSED' })
})

t.test('a stream whose opening, data and close come in the read that breaks the session is never announced', async t => {
  const peer = new RawPeer({ initiator: false })
  const events: string[] = []
  peer.session.on('stream', () => { events.push('stream') })
  peer.session.on('close', () => { events.push('close') })
  // NewStream 1, MessageInitiator 1 "hi", CloseInitiator 1, then flag 7
  peer.raw.write(Buffer.concat([
    encodeFrame({ type: 'NewStream', streamId: 1, name: new Uint8Array(0) }),
    encodeFrame({ type: 'MessageInitiator', streamId: 1, data: [Buffer.from('hi')] }),
    encodeFrame({ type: 'CloseInitiator', streamId: 1 }),
    Buffer.from('0700', 'hex')
  ]))
  await once(peer.session, 'close')
  for (let i = 0; i < 5; i++) await tick()
  t.same(events, ['close'], 'no stream announced on a dead session')
})

t.test('a length over 1 MiB closes the connection before the body arrives', async t => {
  const peer = new RawPeer({ initiator: false })
  const closed = sessionError(peer)
  peer.send({ type: 'NewStream', streamId: 1, name: bytes('1') })
  peer.session.on('stream', (s: MplexStream) => { s.on('error', () => {}) })
  // MessageInitiator, stream 1, length 1 MiB + 1, and no body
  peer.raw.write(Buffer.from('0a818040', 'hex'))
  t.ok(isP2PError(await closed, 'ERR_MPLEX_MESSAGE_TOO_LARGE'))
})

t.test('a message of exactly 1 MiB is delivered', async t => {
  const peer = new RawPeer({ initiator: false })
  const got = nextStream(peer.session)
  peer.send({ type: 'NewStream', streamId: 1, name: bytes('1') })
  const s = await got
  const body = Buffer.alloc(MAX_MESSAGE_SIZE, 0x5a)
  peer.send({ type: 'MessageInitiator', streamId: 1, data: [body] }, { type: 'CloseInitiator', streamId: 1 })
  t.ok((await readAll(s)).equals(body))
  s.on('error', () => {})
  peer.session.abort(new Error('end'))
})

t.test('NewStream for an ID the remote already has open closes the connection', async t => {
  const peer = new RawPeer({ initiator: true })
  const got = nextStream(peer.session)
  peer.send({ type: 'NewStream', streamId: 4, name: bytes('4') })
  const s = await got
  const outcome = streamOutcome(s)
  const closed = sessionError(peer)
  peer.send({ type: 'NewStream', streamId: 4, name: bytes('again') })
  t.ok(isP2PError(await closed, 'ERR_MPLEX_DUPLICATE_STREAM'))
  t.ok(isP2PError(await outcome, 'ERR_STREAM_RESET'))
})

t.test('a stream ID may be reused once its stream is finished', async t => {
  const peer = new RawPeer({ initiator: true })
  const seen: MplexStream[] = []
  peer.session.on('stream', (s: MplexStream) => { seen.push(s); s.on('error', () => {}) })
  peer.send({ type: 'NewStream', streamId: 2, name: bytes('2') }, { type: 'ResetInitiator', streamId: 2 })
  peer.send({ type: 'NewStream', streamId: 2, name: bytes('2') }, { type: 'MessageInitiator', streamId: 2, data: [bytes('hi')] })
  await tick()
  t.equal(seen.length, 2)
  t.ok(seen[0].destroyed)
  t.equal(seen[1].read()?.toString(), 'hi')
  peer.session.abort(new Error('end'))
})

t.test('frames for unknown streams are dropped; the session goes on', async t => {
  const peer = new RawPeer({ initiator: true })
  const got = nextStream(peer.session)
  peer.send(
    { type: 'MessageInitiator', streamId: 9, data: [bytes('nobody')] },
    { type: 'MessageReceiver', streamId: 9, data: [bytes('nobody')] },
    { type: 'CloseInitiator', streamId: 9 },
    { type: 'CloseReceiver', streamId: 9 },
    { type: 'ResetInitiator', streamId: 9 },
    { type: 'ResetReceiver', streamId: 9 },
    { type: 'NewStream', streamId: 9, name: bytes('9') },
    { type: 'MessageInitiator', streamId: 9, data: [bytes('somebody')] },
    { type: 'CloseInitiator', streamId: 9 }
  )
  const s = await got
  t.equal((await readAll(s)).toString(), 'somebody')
  t.same(peer.frames, [], 'nothing answered')
  s.on('error', () => {})
  peer.session.abort(new Error('end'))
})

t.test('data after the remote closed: that stream is reset, others go on', async t => {
  const peer = new RawPeer({ initiator: true })
  const streams: MplexStream[] = []
  peer.session.on('stream', (s: MplexStream) => { streams.push(s) })
  peer.send(
    { type: 'NewStream', streamId: 1, name: bytes('1') },
    { type: 'NewStream', streamId: 2, name: bytes('2') },
    { type: 'CloseInitiator', streamId: 1 }
  )
  await tick()
  const [bad, good] = streams
  const outcome = streamOutcome(bad)
  peer.send({ type: 'MessageInitiator', streamId: 1, data: [bytes('late')] })
  const err = await outcome
  t.ok(isP2PError(err, 'ERR_MPLEX_DATA_AFTER_CLOSE'))
  t.equal((err as P2PError).remote, true)
  await peer.waitFrames(1)
  t.same(normal(peer.frames[0]), { type: 'ResetReceiver', streamId: 1 })
  peer.send({ type: 'MessageInitiator', streamId: 2, data: [bytes('fine')] }, { type: 'CloseInitiator', streamId: 2 })
  t.equal((await readAll(good)).toString(), 'fine')
  good.on('error', () => {})
  peer.session.abort(new Error('end'))
})

t.test('a repeated Close is harmless', async t => {
  const peer = new RawPeer({ initiator: true })
  const got = nextStream(peer.session)
  peer.send(
    { type: 'NewStream', streamId: 1, name: bytes('1') },
    { type: 'MessageInitiator', streamId: 1, data: [bytes('x')] },
    { type: 'CloseInitiator', streamId: 1 },
    { type: 'CloseInitiator', streamId: 1 }
  )
  const s = await got
  t.equal((await readAll(s)).toString(), 'x')
  s.end()
  await peer.waitFrames(1)
  t.same(normal(peer.frames[0]), { type: 'CloseReceiver', streamId: 1 })
  t.same(peer.session.streams, [])
  peer.session.abort(new Error('end'))
})

t.test('over maxInboundStreams: the new stream is answered with a reset', async t => {
  const peer = new RawPeer({ initiator: true, maxInboundStreams: 2 })
  const streams: MplexStream[] = []
  peer.session.on('stream', (s: MplexStream) => { streams.push(s); s.on('error', () => {}) })
  peer.send(
    { type: 'NewStream', streamId: 1, name: bytes('1') },
    { type: 'NewStream', streamId: 2, name: bytes('2') },
    { type: 'NewStream', streamId: 3, name: bytes('3') },
    { type: 'MessageInitiator', streamId: 3, data: [bytes('dropped')] }
  )
  await peer.waitFrames(1)
  t.equal(streams.length, 2)
  t.same(peer.frames.map(normal), [{ type: 'ResetReceiver', streamId: 3 }])
  // after one finishes there is room again
  peer.send({ type: 'ResetInitiator', streamId: 1 }, { type: 'NewStream', streamId: 5, name: bytes('5') })
  await tick()
  t.same(streams.map(s => s.id), [1, 2, 5])
  peer.session.abort(new Error('end'))
})

t.test('nobody listening for streams: inbound streams are reset', async t => {
  const peer = new RawPeer({ initiator: true })
  peer.send({ type: 'NewStream', streamId: 7, name: bytes('7') })
  await peer.waitFrames(1)
  t.same(peer.frames.map(normal), [{ type: 'ResetReceiver', streamId: 7 }])
  t.same(peer.session.streams, [])
  peer.session.abort(new Error('end'))
})

t.test('over maxOutboundStreams: newStream() throws until one finishes', async t => {
  const peer = new RawPeer({ initiator: true, maxOutboundStreams: 2 })
  const a = peer.session.newStream()
  peer.session.newStream()
  t.throws(() => peer.session.newStream(), { code: 'ERR_MPLEX_TOO_MANY_STREAMS', remote: false })
  a.destroy()
  t.equal(peer.session.newStream().id, 5)
  for (const s of peer.session.streams) s.on('error', () => {})
  peer.session.abort(new Error('end'))
})

t.test('options are checked', async t => {
  t.throws(() => new RawPeer({ initiator: true, maxStreamBufferSize: MAX_MESSAGE_SIZE - 1 }), { code: 'ERR_INVALID_PARAMETERS' })
})

t.test('a connection that ends mid-frame: close(err), streams reset, no unhandled errors', async t => {
  const peer = new RawPeer({ initiator: true })
  const got = nextStream(peer.session)
  peer.send({ type: 'NewStream', streamId: 1, name: bytes('1') })
  const s = await got
  const outcome = streamOutcome(s)
  const closed = sessionError(peer)
  peer.raw.end(Buffer.from('0a05686568', 'hex')) // 3 of 5 body bytes, then EOF
  const err = await closed
  t.ok(isP2PError(err, 'ERR_CONNECTION_CLOSED'))
  const streamErr = await outcome
  t.ok(isP2PError(streamErr, 'ERR_STREAM_RESET'))
  t.ok(isP2PError((streamErr as P2PError).cause, 'ERR_CONNECTION_CLOSED'))
})

const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }

t.test('a peer that opens stream after stream to be refused, and never reads the resets: we stop reading, memory stays bounded', async t => {
  const [a, b] = duplexPair()
  // no 'stream' listener: every NewStream is refused with a reset
  const session = mplex.create(a, { initiator: false })
  // NewStream for ID 5 (empty name), again and again: a refused ID is free to reuse
  const newStream = encodeFrame({ type: 'NewStream', streamId: 5, name: new Uint8Array(0) })
  const burst = Buffer.concat(Array.from({ length: 100_000 }, () => newStream)) // 200 kB
  // the peer never reads our resets and ignores backpressure: 2 MB of NewStreams
  for (let i = 0; i < 10; i++) {
    b.write(burst)
    await sleep(1)
  }
  await sleep(20)
  t.ok(a.writableLength <= CONTROL_BACKLOG_LIMIT + 64 * 1024, `resets queued on our side stay bounded (${a.writableLength} bytes)`)
  t.ok(a.isPaused(), 'we stopped reading the connection')
  t.ok(b.writableLength > 512 * 1024, `the flood stays in the flooder's own buffer (${b.writableLength} bytes)`)
  b.resume()
  for (let i = 0; i < 300 && a.isPaused(); i++) await sleep(10)
  t.notOk(a.isPaused(), 'reading resumes once the peer reads')
  session.abort(new Error('done'))
})
