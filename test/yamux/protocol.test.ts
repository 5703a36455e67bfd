// The session against a raw peer that writes hand-built frames: every
// protocol violation, and the quirks of real peers (js-libp2p, go-yamux).
import t from 'tap'
import { once } from 'node:events'
import { isP2PError } from '../../src/util/errors.js'
import { Duplex } from 'node:stream'
import { createYamux, encodeFrame, Flag, GoAwayCode, type Frame, type YamuxStream } from '../../src/yamux/index.js'
import { readAll, sessionWithRawPeer, shutdown, tick } from './fixtures/raw-peer.js'
import { duplexPair } from '../helpers/duplex-pair.js'

const { SYN, ACK, FIN, RST } = Flag
const isGoAway = (code: number) => (f: Frame): boolean => f.type === 'goAway' && f.errorCode === code && f.streamId === 0
const dataBytes = (frames: Frame[], streamId: number): number =>
  frames.reduce((n, f) => n + (f.type === 'data' && f.streamId === streamId ? f.data.length : 0), 0)

t.test('protocol errors: Go Away (Protocol error), typed close error, streams reset', async t => {
  const cases: Array<{ name: string, code: string, bytes?: string, frames?: Frame[] }> = [
    { name: 'version 1', code: 'ERR_YAMUX_INVALID_VERSION', bytes: '010000000000000000000000' },
    { name: 'type 4', code: 'ERR_YAMUX_INVALID_TYPE', bytes: '000400000000000000000000' },
    { name: 'window exceeded', code: 'ERR_YAMUX_WINDOW_EXCEEDED', frames: [{ type: 'data', flags: SYN, streamId: 2, data: new Uint8Array(256 * 1024 + 1) }] },
    { name: 'SYN with our parity', code: 'ERR_YAMUX_INVALID_STREAM_ID', frames: [{ type: 'windowUpdate', flags: SYN, streamId: 3, delta: 0 }] },
    { name: 'SYN on stream 0', code: 'ERR_YAMUX_INVALID_STREAM_ID', frames: [{ type: 'windowUpdate', flags: SYN, streamId: 0, delta: 0 }] },
    { name: 'duplicate SYN', code: 'ERR_YAMUX_DUPLICATE_STREAM', frames: [{ type: 'windowUpdate', flags: SYN, streamId: 2, delta: 0 }, { type: 'data', flags: SYN, streamId: 2, data: new Uint8Array(3) }] }
  ]
  for (const c of cases) {
    const { session, peer } = sessionWithRawPeer()
    const streamErrors: Array<Promise<unknown>> = []
    session.on('stream', (s: YamuxStream) => { streamErrors.push(once(s, 'error').then(([e]) => e)) })
    const own = session.newStream()
    const ownError = once(own, 'error').then(([e]) => e)
    const closed = once(session, 'close')
    if (c.bytes !== undefined) peer.sendBytes(Buffer.from(c.bytes, 'hex'))
    if (c.frames !== undefined) peer.send(...c.frames)
    const [err] = await closed
    t.ok(isP2PError(err, c.code), `${c.name}: session closes with ${c.code}`)
    t.equal((err as { remote: boolean }).remote, true, `${c.name}: blamed on the remote`)
    await peer.waitFor(isGoAway(GoAwayCode.ProtocolError), 'Go Away (protocol error)')
    await peer.waitForEnd()
    t.ok(isP2PError(await ownError, 'ERR_STREAM_RESET'), `${c.name}: open streams are reset`)
    for (const e of await Promise.all(streamErrors)) t.ok(isP2PError(e, 'ERR_STREAM_RESET'))
  }
})

t.test('a frame split into single bytes decodes the same', async t => {
  const { session, peer } = sessionWithRawPeer()
  const got = new Promise<Buffer>(resolve => session.on('stream', (s: YamuxStream) => { resolve(readAll(s)) }))
  const payload = Buffer.from('split across many chunks')
  const bytes = Buffer.concat([
    Buffer.from('000000010000000200000000', 'hex'), // WindowUpdate SYN stream 2 delta 0
    Buffer.from('000000040000000200000018', 'hex'), payload // Data FIN, 24 bytes
  ])
  for (const b of bytes) peer.sendBytes(Uint8Array.of(b))
  t.equal((await got).toString(), payload.toString())
  shutdown(session)
})

t.test('our SYN, ACK and FIN on the wire', async t => {
  const { session, peer } = sessionWithRawPeer()
  const stream = session.newStream()
  const syn = await peer.waitFor(f => f.streamId === 1)
  t.same(syn, { type: 'windowUpdate', flags: SYN, streamId: 1, delta: 0 }, 'open: Window Update with SYN')
  stream.end('hi')
  const data = await peer.waitFor(f => f.type === 'data' && f.streamId === 1)
  t.same({ ...data, data: undefined }, { type: 'data', flags: 0, streamId: 1, data: undefined }, 'data carries no flags once SYN went')
  t.same(await peer.waitFor(f => (f.flags & FIN) !== 0), { type: 'windowUpdate', flags: FIN, streamId: 1, delta: 0 }, 'half-close: FIN')
  // inbound: ACK rides on the first frame we send, not earlier
  const inbound = new Promise<YamuxStream>(resolve => session.once('stream', resolve))
  peer.send({ type: 'windowUpdate', flags: SYN, streamId: 2, delta: 0 })
  const s2 = await inbound
  await tick(5)
  t.notOk(peer.frames.some(f => f.streamId === 2), 'no implicit ACK before the application writes')
  s2.write('x')
  const ack = await peer.waitFor(f => f.streamId === 2)
  t.equal(ack.type, 'data')
  t.equal(ack.flags, ACK, 'first Data frame carries ACK')
  s2.write('y')
  await tick(5)
  t.equal(peer.frames.filter(f => f.streamId === 2 && (f.flags & ACK) !== 0).length, 1, 'ACK only once')
  s2.destroy()
  t.same(await peer.waitFor(f => f.streamId === 2 && (f.flags & RST) !== 0), { type: 'windowUpdate', flags: RST, streamId: 2, delta: 0 }, 'destroy(): RST')
  shutdown(session)
})

t.test('js-libp2p: opens with Window Update SYN (delta > 0) and pings at once', async t => {
  const { session, peer } = sessionWithRawPeer({ initiator: false })
  const opened = once(session, 'stream')
  peer.send({ type: 'ping', flags: SYN, streamId: 0, opaque: 7 })
  peer.send({ type: 'windowUpdate', flags: SYN, streamId: 1, delta: 100_000 })
  t.same(await peer.waitFor(f => f.type === 'ping'), { type: 'ping', flags: ACK, streamId: 0, opaque: 7 }, 'ping answered with ACK, same opaque value')
  const [stream] = await opened as [YamuxStream]
  t.equal(stream.id, 1)
  stream.write(Buffer.alloc(400_000))
  await tick(20)
  t.equal(dataBytes(peer.frames, 1), 256 * 1024 + 100_000, 'the SYN delta enlarges the initial window')
  t.ok(peer.frames.every(f => f.type !== 'data' || f.data.length <= 64 * 1024), 'no Data frame over 64 KiB')
  stream.on('error', () => {})
  shutdown(session)
})

t.test('never beyond the peer window; writes resume on Window Update', async t => {
  const { session, peer } = sessionWithRawPeer()
  const stream = session.newStream()
  let finished = false
  stream.write(Buffer.alloc(1_000_000), () => { finished = true })
  await tick(20)
  t.equal(dataBytes(peer.frames, 1), 256 * 1024, 'exactly the initial window')
  t.equal(finished, false, 'the writer waits (backpressure)')
  peer.send({ type: 'windowUpdate', flags: ACK, streamId: 1, delta: 100_000 })
  await tick(20)
  t.equal(dataBytes(peer.frames, 1), 256 * 1024 + 100_000)
  peer.send({ type: 'windowUpdate', flags: 0, streamId: 1, delta: 1_000_000 })
  await tick(20)
  t.equal(dataBytes(peer.frames, 1), 1_000_000)
  t.equal(finished, true)
  shutdown(session)
  stream.on('error', () => {})
})

t.test('a Window Update with RST and a credit: the reset comes first, nothing more is sent on the stream', async t => {
  const { session, peer } = sessionWithRawPeer()
  const stream = session.newStream()
  const failed = once(stream, 'error')
  stream.write(Buffer.alloc(1_000_000))
  await tick(20)
  t.equal(dataBytes(peer.frames, 1), 256 * 1024, 'the initial window, and the writer waits')
  // "RST - Reset a stream immediately"
  peer.send({ type: 'windowUpdate', flags: ACK | RST, streamId: 1, delta: 1_000_000 })
  const [err] = await failed
  t.ok(isP2PError(err, 'ERR_STREAM_RESET'))
  await tick(20)
  t.equal(dataBytes(peer.frames, 1), 256 * 1024, 'not a byte more after the reset')
  shutdown(session)
})

t.test('Ping flags: SYN is answered (with ACK set too, as go-yamux reads it), ACK alone or no flag is not', async t => {
  const { session, peer } = sessionWithRawPeer()
  const pongs = (): number[] => peer.frames.flatMap(f => f.type === 'ping' && f.flags === ACK ? [f.opaque] : [])
  peer.send({ type: 'ping', flags: 0, streamId: 0, opaque: 1 })
  peer.send({ type: 'ping', flags: ACK, streamId: 0, opaque: 2 })
  peer.send({ type: 'ping', flags: SYN | ACK, streamId: 0, opaque: 3 })
  peer.send({ type: 'ping', flags: SYN, streamId: 0, opaque: 4 })
  await peer.waitFor(f => f.type === 'ping' && f.opaque === 4, 'the answer to ping 4')
  t.same(pongs(), [3, 4], 'only the pings with SYN are answered')
  // a ping of ours is settled by ACK alone
  const rtt = session.ping()
  const ours = await peer.waitFor(f => f.type === 'ping' && (f.flags & SYN) !== 0, 'our ping')
  if (ours.type !== 'ping') throw new Error('not a ping')
  let settled = false
  void rtt.then(() => { settled = true })
  peer.send({ type: 'ping', flags: SYN | ACK, streamId: 0, opaque: ours.opaque })
  await tick(20)
  t.notOk(settled, 'SYN|ACK is a ping to answer, not our answer')
  peer.send({ type: 'ping', flags: ACK, streamId: 0, opaque: ours.opaque })
  t.ok(await rtt >= 0, 'ACK settles it')
  shutdown(session)
})

t.test('a graceful close after the remote\'s answer, while our connection is backed up: the stream that waited to send its FIN finishes, with no error', async t => {
  // writes are called back 5 ms later, one at a time: a socket whose buffer stays full
  const [a, b] = duplexPair()
  const slow = new Duplex({
    allowHalfOpen: true,
    writableHighWaterMark: 1,
    read () {},
    write (chunk: Buffer, _encoding, callback) { a.write(chunk); setTimeout(callback, 5) },
    final (callback) { a.end(); callback() }
  })
  a.on('data', (chunk: Buffer) => slow.push(chunk))
  a.on('end', () => slow.push(null))
  b.resume()
  const session = createYamux(slow, { initiator: true, measureRtt: false, keepAliveIntervalMs: 0 })
  const streams = [session.newStream(), session.newStream()]
  const errors: string[] = []
  const finished: number[] = []
  for (const s of streams) {
    s.on('error', (err: Error) => errors.push(`${s.id}: ${err.message}`))
    s.on('finish', () => finished.push(s.id))
    s.resume()
  }
  // the remote accepts both and answers with its FIN at once; close() then half-closes ours
  b.write(Buffer.concat([1, 3].map(id => encodeFrame({ type: 'data', flags: ACK | FIN, streamId: id, data: Buffer.from('answer') }))))
  await tick(30)
  await session.close()
  await tick(50)
  t.same(errors, [], 'no stream failed')
  t.same(finished.sort(), [1, 3], 'both finished')
})

t.test('Window Update as the application reads, not as bytes arrive', async t => {
  const { session, peer } = sessionWithRawPeer()
  const streamP = once(session, 'stream')
  peer.send({ type: 'data', flags: SYN, streamId: 2, data: new Uint8Array(256 * 1024) })
  const [stream] = await streamP as [YamuxStream]
  await tick(20)
  t.notOk(peer.frames.some(f => f.type === 'windowUpdate' && f.streamId === 2), 'nothing granted while unread')
  // one frame of the whole window is accepted (js-libp2p sends those); one more byte is not
  t.equal(stream.readableLength, 256 * 1024)
  stream.read(100 * 1024)
  await tick(5)
  t.notOk(peer.frames.some(f => f.type === 'windowUpdate' && f.streamId === 2), 'less than half the window read: no update yet')
  stream.read()
  const wu = await peer.waitFor(f => f.type === 'windowUpdate' && f.streamId === 2)
  t.same(wu, { type: 'windowUpdate', flags: ACK, streamId: 2, delta: 256 * 1024 }, 'grants what was read, with the ACK')
  shutdown(session)
  stream.on('error', () => {})
})

t.test('flags on Window Update frames; Window Update after FIN; ACK on Data', async t => {
  const { session, peer } = sessionWithRawPeer()
  const stream = session.newStream()
  // ACK riding on a Data frame, then FIN on a Window Update
  peer.send({ type: 'data', flags: ACK, streamId: 1, data: Buffer.from('pong') })
  peer.send({ type: 'windowUpdate', flags: FIN, streamId: 1, delta: 0 })
  t.equal((await readAll(stream)).toString(), 'pong', 'FIN on a Window Update ends the readable side')
  // a Window Update after FIN is legal and must not reset the stream
  peer.send({ type: 'windowUpdate', flags: 0, streamId: 1, delta: 1000 })
  stream.write(Buffer.alloc(256 * 1024 + 1000))
  await tick(20)
  t.equal(dataBytes(peer.frames, 1), 256 * 1024 + 1000, 'still sending, with the extra window')
  t.notOk(peer.frames.some(f => (f.flags & RST) !== 0), 'no reset')
  stream.end()
  await peer.waitFor(f => f.streamId === 1 && (f.flags & FIN) !== 0)
  await tick(5)
  t.equal(session.streams.length, 0, 'both FINs: the stream is finished')
  t.equal(stream.destroyed, true, 'and destroyed without error')

  // RST riding on a Window Update
  const s3 = session.newStream()
  const err = once(s3, 'error')
  peer.send({ type: 'windowUpdate', flags: ACK | RST, streamId: 3, delta: 0 })
  const [e] = await err
  t.ok(isP2PError(e, 'ERR_STREAM_RESET'))
  t.equal(session.streams.length, 0)
  shutdown(session)
})

t.test('late and unknown frames are dropped; the session goes on', async t => {
  const { session, peer } = sessionWithRawPeer()
  const streamP = once(session, 'stream')
  peer.send(
    { type: 'data', flags: 0, streamId: 40, data: new Uint8Array(1000) },
    { type: 'windowUpdate', flags: FIN, streamId: 42, delta: 5 },
    { type: 'ping', flags: ACK, streamId: 0, opaque: 99 },
    { type: 'data', flags: SYN | FIN, streamId: 2, data: Buffer.from('after') }
  )
  const [stream] = await streamP as [YamuxStream]
  t.equal((await readAll(stream)).toString(), 'after')
  t.equal(peer.frames.filter(f => f.type !== 'ping').length, 0, 'nothing sent back for unknown streams')
  shutdown(session)
})

t.test('Data after the remote FIN resets that stream only', async t => {
  const { session, peer } = sessionWithRawPeer()
  const streamP = once(session, 'stream')
  peer.send({ type: 'data', flags: SYN | FIN, streamId: 2, data: Buffer.from('a') })
  const [stream] = await streamP as [YamuxStream]
  const err = once(stream, 'error')
  peer.send({ type: 'data', flags: 0, streamId: 2, data: Buffer.from('b') })
  const [e] = await err
  t.ok(isP2PError(e, 'ERR_YAMUX_DATA_AFTER_FIN'))
  await peer.waitFor(f => f.streamId === 2 && (f.flags & RST) !== 0)
  peer.send({ type: 'ping', flags: SYN, streamId: 0, opaque: 5 })
  t.same(await peer.waitFor(f => f.type === 'ping'), { type: 'ping', flags: ACK, streamId: 0, opaque: 5 }, 'the session still answers')
  shutdown(session)
})

t.test('an empty Data frame after the remote FIN is a no-op, not a violation', async t => {
  const { session, peer } = sessionWithRawPeer()
  const streamP = once(session, 'stream')
  peer.send({ type: 'data', flags: SYN | FIN, streamId: 2, data: Buffer.from('a') })
  const [stream] = await streamP as [YamuxStream]
  // empty, with and without a repeated FIN
  peer.send({ type: 'data', flags: 0, streamId: 2, data: new Uint8Array(0) }, { type: 'data', flags: FIN, streamId: 2, data: new Uint8Array(0) })
  t.equal((await readAll(stream)).toString(), 'a', 'the data, then EOF')
  stream.end(Buffer.from('b'))
  await peer.waitFor(f => f.streamId === 2 && (f.flags & FIN) !== 0)
  t.equal(stream.errored, null, 'no error on the stream')
  t.notOk(peer.frames.some(f => (f.flags & RST) !== 0), 'no reset sent')
  shutdown(session)
})

t.test('a stream rejected before it was acknowledged gets RST alone, not ACK|RST', async t => {
  const { session, peer } = sessionWithRawPeer()
  session.on('stream', (s: YamuxStream) => { s.on('error', () => {}); s.destroy() })
  peer.send({ type: 'windowUpdate', flags: SYN, streamId: 2, delta: 0 })
  const reset = await peer.waitFor(f => f.streamId === 2)
  t.equal(reset.flags, RST, 'the first frame back is a plain RST')
  // a stream that was acknowledged (it wrote) keeps ACK on its first frame and resets with RST
  session.removeAllListeners('stream')
  session.on('stream', (s: YamuxStream) => { s.on('error', () => {}); s.write(Buffer.from('x')); setImmediate(() => s.destroy()) })
  peer.send({ type: 'windowUpdate', flags: SYN, streamId: 4, delta: 0 })
  await peer.waitFor(f => f.streamId === 4 && (f.flags & RST) !== 0)
  t.same(peer.frames.filter(f => f.streamId === 4).map(f => f.flags), [ACK, RST], 'ACK on its data, then RST')
  shutdown(session)
})

t.test('a stream whose opening, data and FIN come in the read that breaks the session is never announced', async t => {
  const { session, peer } = sessionWithRawPeer()
  const events: string[] = []
  session.on('stream', () => { events.push('stream') })
  session.on('close', () => { events.push('close') })
  peer.sendBytes(Buffer.concat([
    encodeFrame({ type: 'data', flags: SYN | FIN, streamId: 2, data: Buffer.from('hi') }),
    Buffer.from('010000000000000000000000', 'hex') // version 1: a protocol error
  ]))
  await peer.waitFor(isGoAway(GoAwayCode.ProtocolError), 'Go Away (protocol error)')
  await tick(10)
  t.same(events, ['close'], 'no stream announced on a dead session')
})

t.test('Go Away from the remote', async t => {
  {
    const { session, peer } = sessionWithRawPeer()
    const kept = session.newStream()
    peer.send({ type: 'goAway', flags: 0, streamId: 0, errorCode: GoAwayCode.Normal })
    await tick(5)
    t.throws(() => session.newStream(), { code: 'ERR_YAMUX_GO_AWAY', remote: true })
    kept.write('still open')
    await peer.waitFor(f => f.type === 'data' && f.streamId === 1)
    const closed = once(session, 'close')
    kept.end()
    peer.send({ type: 'windowUpdate', flags: FIN, streamId: 1, delta: 0 })
    kept.resume()
    const [err] = await closed
    t.equal(err, undefined, 'closes cleanly once the last stream is done')
    await peer.waitForEnd()
  }
  for (const code of [GoAwayCode.ProtocolError, GoAwayCode.InternalError, 77]) {
    const { session, peer } = sessionWithRawPeer()
    const s = session.newStream()
    const streamErr = once(s, 'error')
    const closed = once(session, 'close')
    peer.send({ type: 'goAway', flags: 0, streamId: 0, errorCode: code })
    const [err] = await closed
    t.ok(isP2PError(err, 'ERR_YAMUX_REMOTE_GO_AWAY'), `code ${code}: typed close error`)
    t.ok(isP2PError((await streamErr)[0], 'ERR_STREAM_RESET'))
  }
})

t.test('abort(): Go Away (Normal) is sent before the connection is torn down', async t => {
  // libp2p yamux README "Session termination": "When a session is being terminated, the Go Away message should be sent"
  const { session, peer } = sessionWithRawPeer()
  const s = session.newStream()
  s.on('error', () => {})
  session.abort(new Error('local decision'))
  t.same(await peer.waitFor(f => f.type === 'goAway'), { type: 'goAway', flags: 0, streamId: 0, errorCode: GoAwayCode.Normal })
  await peer.waitForEnd()
  t.equal(peer.frames.at(-1)?.type, 'goAway', 'the last frame before the end')
})

t.test('after our Go Away, remote SYNs are reset', async t => {
  const { session, peer } = sessionWithRawPeer()
  session.on('stream', () => t.fail('no stream after Go Away'))
  session.goAway()
  t.same(await peer.waitFor(f => f.type === 'goAway'), { type: 'goAway', flags: 0, streamId: 0, errorCode: 0 })
  peer.send({ type: 'data', flags: SYN, streamId: 2, data: Buffer.from('late') })
  t.same(await peer.waitFor(f => f.streamId === 2), { type: 'windowUpdate', flags: RST, streamId: 2, delta: 0 })
  shutdown(session)
})

t.test('inbound limits: unacknowledged streams and max streams are RST', async t => {
  {
    const { session, peer } = sessionWithRawPeer({ maxInboundUnacked: 2 })
    const accepted: YamuxStream[] = []
    session.on('stream', (s: YamuxStream) => accepted.push(s))
    peer.send(...[2, 4, 6].map(id => ({ type: 'windowUpdate' as const, flags: SYN, streamId: id, delta: 0 })))
    t.same(await peer.waitFor(f => f.streamId === 6), { type: 'windowUpdate', flags: RST, streamId: 6, delta: 0 }, 'third unacknowledged stream rejected')
    t.equal(accepted.length, 2)
    accepted[0].write('ack')
    peer.send({ type: 'windowUpdate', flags: SYN, streamId: 8, delta: 0 })
    await tick(10)
    t.equal(accepted.length, 3, 'room again once one was acknowledged')
    t.notOk(peer.frames.some(f => f.streamId === 8))
    shutdown(session)
    for (const s of accepted) s.on('error', () => {})
  }
  {
    const { session, peer } = sessionWithRawPeer({ maxStreams: 1 })
    session.on('stream', (s: YamuxStream) => s.on('error', () => {}))
    peer.send({ type: 'windowUpdate', flags: SYN, streamId: 2, delta: 0 }, { type: 'windowUpdate', flags: SYN, streamId: 4, delta: 0 })
    t.same(await peer.waitFor(f => f.streamId === 4), { type: 'windowUpdate', flags: RST, streamId: 4, delta: 0 }, 'over max streams: RST')
    shutdown(session)
  }
})

t.test('the connection dies mid-stream: typed errors, no unhandled ones', async t => {
  const { session, peer } = sessionWithRawPeer()
  const stream = session.newStream()
  stream.write(Buffer.alloc(300_000))
  const err = once(stream, 'error')
  const closed = once(session, 'close')
  const ping = session.ping()
  peer.socket.destroy()
  t.ok(isP2PError((await err)[0], 'ERR_STREAM_RESET'))
  t.ok(isP2PError((await closed)[0], 'ERR_YAMUX_CONNECTION_CLOSED'))
  await t.rejects(ping, { code: 'ERR_YAMUX_SESSION_CLOSED' })
  t.throws(() => session.newStream(), { code: 'ERR_YAMUX_SESSION_CLOSED' })
})

t.test('a transport that delivers synchronously from inside our write (re-entrant input)', async t => {
  // a connection whose peer answers the moment we write, before write() returns
  let answered = false
  const written: Buffer[] = []
  const connection = new Duplex({
    read () {},
    write (chunk: Buffer, _enc, callback) {
      written.push(chunk)
      if (!answered) {
        answered = true
        connection.emit('data', encodeFrame({ type: 'data', flags: FIN, streamId: 1, data: Buffer.from(' world') }))
      }
      callback()
    }
  })
  const session = createYamux(connection, { initiator: false, measureRtt: false })
  const got = new Promise<Buffer>(resolve => {
    session.on('stream', (s: YamuxStream) => {
      s.write('x') // sent while the SYN frame is handled, before its payload is read
      resolve(readAll(s))
    })
  })
  connection.emit('data', Buffer.concat([Buffer.from('000000010000000100000005', 'hex'), Buffer.from('hello')]))
  t.equal((await got).toString(), 'hello world', 'the payload and the re-entrant frame both arrive, in order')
  t.equal(written.length > 0, true)
  shutdown(session)
})

t.test('a peer that floods pings but never reads: we stop reading, memory stays bounded', async t => {
  const [a, b] = duplexPair()
  const session = createYamux(a, { initiator: true, measureRtt: false })
  const ping = encodeFrame({ type: 'ping', flags: SYN, streamId: 0, opaque: 1 })
  const burst = Buffer.concat(Array.from({ length: 10_000 }, () => ping)) // 120 kB of pings
  // the flooder never reads our pongs and ignores backpressure: 4.8 MB of pings
  for (let i = 0; i < 40; i++) {
    b.write(burst)
    await tick(1)
  }
  await tick(20)
  t.ok(a.writableLength <= 1024 * 1024 + 64 * 1024, `pongs queued on our side stay bounded (${a.writableLength} bytes)`)
  t.ok(a.isPaused(), 'we stopped reading the connection')
  t.ok(b.writableLength > 2 * 1024 * 1024, `the flood stays in the flooder's own buffer (${b.writableLength} bytes)`)
  b.resume()
  await tick(20)
  // the in-memory pair takes the queued pongs one 12-byte write at a time: give it up to 2 s
  for (let i = 0; i < 200 && a.isPaused(); i++) await tick(10)
  t.notOk(a.isPaused(), 'reading resumes once the peer reads')
  shutdown(session)
})
