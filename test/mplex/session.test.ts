import t from 'tap'
import { once } from 'node:events'
import { P2PError, isP2PError } from '../../src/util/errors.js'
import { mplex, PROTOCOL_ID, MAX_SEND_MESSAGE_SIZE, type MessageFrame, type MplexStream } from '../../src/mplex/index.js'
import { RawPeer, bytes, nextStream, normal, readAll, sessionPair, streamOutcome, whenClosed } from './fixtures/helpers.js'

t.test('factory: protocol ID and create()', async t => {
  t.equal(mplex.protocol, '/mplex/6.7.0')
  t.equal(PROTOCOL_ID, '/mplex/6.7.0')
  const { client, server } = sessionPair()
  t.equal(client.protocol, '/mplex/6.7.0')
  client.abort(new Error('done'))
  await once(server, 'close')
})

t.test('open a stream, data both ways, half-close both ways', async t => {
  const { client, server } = sessionPair()
  const accepted = nextStream(server)
  const s = client.newStream()
  t.equal(s.direction, 'outbound')
  t.equal(s.id, 1, 'the session initiator allocates odd IDs')
  s.write(bytes('ping'))
  s.end()
  const r = await accepted
  t.equal(r.direction, 'inbound')
  t.equal(r.id, 1)
  t.equal((await readAll(r)).toString(), 'ping', 'remote half-close ends the readable side')
  r.end(bytes('pong'))
  t.equal((await readAll(s)).toString(), 'pong')
  await Promise.all([whenClosed(s), whenClosed(r)])
  t.equal(s.errored, null)
  t.equal(client.streams.length, 0, 'finished streams are forgotten')
  t.equal(server.streams.length, 0)
  const s2In = nextStream(server)
  const s2 = client.newStream()
  t.equal(s2.id, 3)
  t.equal((await s2In).id, 3)
  const fromServer = nextStream(client)
  const t1 = server.newStream()
  t.equal(t1.id, 0, 'the session receiver allocates even IDs')
  t.equal((await fromServer).id, 0)
  t.equal(client.streams.length, 2)
  await Promise.all([client.close(), server.close()])
})

t.test('half-close: the other direction keeps working', async t => {
  const { client, server } = sessionPair()
  const accepted = nextStream(server)
  const s = client.newStream()
  s.end()
  const r = await accepted
  r.resume()
  await once(r, 'end')
  for (let i = 0; i < 5; i++) r.write(bytes(`chunk${i};`))
  r.end()
  t.equal((await readAll(s)).toString(), 'chunk0;chunk1;chunk2;chunk3;chunk4;')
  t.equal(s.write(bytes('x'), () => {}), false, 'writing after end() fails')
  s.on('error', () => {})
})

t.test('wire: NewStream carries the ID in decimal; flags depend on the role', async t => {
  const peer = new RawPeer({ initiator: true })
  const s = peer.session.newStream()
  s.on('error', () => {})
  s.write(bytes('a'))
  s.end()
  await peer.waitFrames(3)
  t.same(peer.frames.map(normal), [
    { type: 'NewStream', streamId: 1, name: '1' },
    { type: 'MessageInitiator', streamId: 1, data: '61' },
    { type: 'CloseInitiator', streamId: 1 }
  ])
  peer.session.on('stream', (r: MplexStream) => { r.on('error', () => {}); r.write(bytes('b')); r.end() })
  peer.send({ type: 'NewStream', streamId: 1, name: bytes('x') })
  await peer.waitFrames(5)
  t.same(peer.frames.slice(3).map(normal), [
    { type: 'MessageReceiver', streamId: 1, data: '62' },
    { type: 'CloseReceiver', streamId: 1 }
  ], 'on the remote\'s stream we write as receiver')
  peer.session.abort(new Error('end'))
})

t.test('our stream 1 and the remote\'s stream 1 are different streams', async t => {
  const peer = new RawPeer({ initiator: true })
  const ours = peer.session.newStream()
  const theirsP = nextStream(peer.session)
  peer.send({ type: 'NewStream', streamId: 1, name: bytes('1') })
  const theirs = await theirsP
  t.equal(ours.id, 1)
  t.equal(theirs.id, 1)
  t.not(ours, theirs)
  peer.send(
    { type: 'MessageReceiver', streamId: 1, data: [bytes('to-ours')] },
    { type: 'MessageInitiator', streamId: 1, data: [bytes('to-theirs')] },
    { type: 'CloseReceiver', streamId: 1 },
    { type: 'CloseInitiator', streamId: 1 }
  )
  const [a, b] = await Promise.all([readAll(ours), readAll(theirs)])
  t.equal(a.toString(), 'to-ours')
  t.equal(b.toString(), 'to-theirs')
  peer.session.abort(new Error('end'))
})

t.test('reset: destroy() sends Reset; the remote sees ERR_STREAM_RESET', async t => {
  const { client, server } = sessionPair()
  const accepted = nextStream(server)
  const s = client.newStream()
  s.write(bytes('x'))
  const r = await accepted
  const outcome = streamOutcome(r)
  s.destroy()
  const err = await outcome
  t.ok(isP2PError(err, 'ERR_STREAM_RESET'), 'remote reset is ERR_STREAM_RESET')
  t.equal((err as P2PError).remote, true)
  t.equal(await streamOutcome(s), undefined, 'destroy() without an error emits none locally')
  t.equal(client.streams.length, 0)
  t.equal(server.streams.length, 0)
  // destroy(err): the local side gets err
  const accepted2 = nextStream(server)
  const s2 = client.newStream()
  s2.write(bytes('y'))
  const r2 = await accepted2
  const o2 = streamOutcome(r2)
  const mine = new Error('mine')
  const o1 = streamOutcome(s2)
  s2.destroy(mine)
  t.equal(await o1, mine)
  t.ok(isP2PError(await o2, 'ERR_STREAM_RESET'))
  // reset from the receiver side
  const accepted3 = nextStream(server)
  const s3 = client.newStream()
  s3.write(bytes('z'))
  const r3 = await accepted3
  const o3 = streamOutcome(s3)
  r3.destroy()
  t.ok(isP2PError(await o3, 'ERR_STREAM_RESET'))
  await Promise.all([client.close(), server.close()])
})

t.test('reset after a half-close; destroy() after both closes sends nothing', async t => {
  const peer = new RawPeer({ initiator: true })
  const s = peer.session.newStream()
  s.end()
  await peer.waitFrames(2)
  s.on('error', () => {})
  s.destroy()
  await peer.waitFrames(3)
  t.same(normal(peer.frames[2]), { type: 'ResetInitiator', streamId: 1 }, 'half-closed stream destroyed = reset')
  const s2 = peer.session.newStream()
  s2.end()
  peer.send({ type: 'CloseReceiver', streamId: 3 })
  await once(s2, 'finish')
  s2.resume()
  await once(s2, 'close')
  s2.destroy()
  peer.session.newStream().destroy()
  await peer.waitFrames(7)
  t.same(peer.frames.slice(3).map(normal), [
    { type: 'NewStream', streamId: 3, name: '3' },
    { type: 'CloseInitiator', streamId: 3 },
    { type: 'NewStream', streamId: 5, name: '5' },
    { type: 'ResetInitiator', streamId: 5 }
  ], 'no Reset for the stream both sides had closed')
  peer.session.abort(new Error('end'))
})

t.test('remote reset while writing: writes fail with errors, not EOF', async t => {
  const { client, server } = sessionPair()
  const accepted = nextStream(server)
  const s = client.newStream()
  s.write(bytes('x'))
  const r = await accepted
  const outcome = streamOutcome(s)
  r.destroy()
  const err = await outcome
  t.ok(isP2PError(err, 'ERR_STREAM_RESET'))
  await new Promise<void>(resolve => s.write(bytes('more'), e => { t.ok(e, 'write after reset errors'); resolve() }))
  await Promise.all([client.close(), server.close()])
})

t.test('large writes are cut into Message frames of at most 64 KiB', async t => {
  const peer = new RawPeer({ initiator: false })
  const s = peer.session.newStream()
  s.on('error', () => {})
  const data = Buffer.alloc(3 * MAX_SEND_MESSAGE_SIZE + 123)
  for (let i = 0; i < data.length; i++) data[i] = (i * 7) & 0xff
  s.end(data)
  await peer.waitFrames(6)
  const [open, ...rest] = peer.frames
  t.same(normal(open), { type: 'NewStream', streamId: 0, name: '0' })
  const messages = rest.slice(0, 4) as MessageFrame[]
  t.same(messages.map(f => f.type), ['MessageInitiator', 'MessageInitiator', 'MessageInitiator', 'MessageInitiator'])
  t.same(messages.map(f => Buffer.concat(f.data).length), [65536, 65536, 65536, 123])
  t.ok(Buffer.concat(messages.flatMap(f => f.data)).equals(data), 'bytes intact')
  t.same(normal(rest[4]), { type: 'CloseInitiator', streamId: 0 })
  peer.session.abort(new Error('end'))
})

t.test('writev: corked small writes go out in order, joined into one Message frame', async t => {
  const peer = new RawPeer({ initiator: true })
  const s = peer.session.newStream()
  s.on('error', () => {})
  s.cork()
  for (let i = 0; i < 10; i++) s.write(bytes(`${i},`))
  s.uncork()
  s.end()
  await peer.waitFrames(3)
  t.same(peer.frames.map(normal), [
    { type: 'NewStream', streamId: 1, name: '1' },
    { type: 'MessageInitiator', streamId: 1, data: Buffer.from('0,1,2,3,4,5,6,7,8,9,').toString('hex') },
    { type: 'CloseInitiator', streamId: 1 }
  ])
  peer.session.abort(new Error('end'))
})

t.test('onFrame traces frames in and out', async t => {
  const trace: string[] = []
  const { client, server } = sessionPair({ onFrame: (d, f) => trace.push(`${d} ${f.type} ${f.streamId}`) })
  server.on('stream', (r: MplexStream) => { r.resume(); r.on('end', () => r.end()) })
  const s = client.newStream()
  s.end(bytes('hi'))
  s.resume()
  await once(s, 'close')
  t.same(trace, ['out NewStream 1', 'out MessageInitiator 1', 'out CloseInitiator 1', 'in CloseReceiver 1'])
  await Promise.all([client.close(), server.close()])
})
