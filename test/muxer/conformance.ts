// One behaviour suite for every stream multiplexer (STYLE.md principle 12):
// yamux and mplex must give their users the same stream semantics, as
// src/muxer/types.ts describes them.

import type { Test } from 'tap'
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { Duplex } from 'node:stream'
import type { MuxedStream, StreamMuxer, StreamMuxerFactory } from '../../src/muxer/types.js'
import { duplexPair, tcpPair } from '../helpers/duplex-pair.js'
import { DEFAULT_RESOURCE_LIMITS } from '../../src/resources/limits.js'
import type { ConnectionMemory } from '../../src/resources/memory.js'
import { catchUncaught } from '../helpers/uncaught.js'

interface Pair { client: StreamMuxer, server: StreamMuxer, connections: [Duplex, Duplex] }

/**
 * Sessions over a connection pair. Every stream gets an 'error'
 * listener, as the Connection class gives its streams: aborting a session
 * destroys its streams with an error, which would otherwise be uncaught.
 */
function sessions (factory: StreamMuxerFactory, [a, b]: [Duplex, Duplex]): Pair {
  const client = factory.create(a, { initiator: true })
  const server = factory.create(b, { initiator: false })
  for (const muxer of [client, server]) {
    const newStream = muxer.newStream.bind(muxer)
    muxer.newStream = () => newStream().on('error', () => {})
    muxer.on('stream', (stream: MuxedStream) => { stream.on('error', () => {}) })
  }
  return { client, server, connections: [a, b] }
}

async function readAll (stream: Duplex): Promise<Buffer> {
  const chunks: Buffer[] = []
  // a plain for-await would destroy the Duplex (both directions) at the end
  for await (const chunk of stream.iterator({ destroyOnReturn: false })) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

/** Serves every inbound stream as an echo: read all, write it back, half-close. */
function serveEcho (muxer: StreamMuxer): void {
  muxer.on('stream', (stream: MuxedStream) => {
    stream.on('error', () => {})
    readAll(stream).then(data => { stream.end(data) }, () => {})
  })
}

/** Resolves on 'close' (events.once would reject on the 'error' before it). */
function closed (stream: Duplex): Promise<void> {
  return new Promise(resolve => stream.once('close', () => { resolve() }))
}

function nextStream (muxer: StreamMuxer): Promise<MuxedStream> {
  return once(muxer, 'stream').then(([stream]) => stream as MuxedStream)
}

/** A stream `client` opens with `first` written (and its side ended when `end`), and the stream `server` accepts for it. */
async function openAccepted (client: StreamMuxer, server: StreamMuxer, first: Buffer, end: boolean): Promise<[MuxedStream, MuxedStream]> {
  const inbound = nextStream(server)
  const stream = client.newStream()
  if (end) stream.end(first)
  else stream.write(first)
  return [stream, await inbound]
}

/** Waits until `condition()` holds, polling every `stepMs`, at most `limitMs`; a test checks the outcome itself. */
async function waitFor (condition: () => boolean, limitMs = 500, stepMs = 2): Promise<void> {
  for (let waited = 0; waited < limitMs && !condition(); waited += stepMs) await new Promise(resolve => setTimeout(resolve, stepMs))
}

const tick = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }

function errorCode (stream: Duplex): Promise<string | undefined> {
  return new Promise(resolve => {
    stream.once('error', (err: Error & { code?: string }) => { resolve(err.code) })
    stream.once('close', () => { resolve((stream.errored as (Error & { code?: string }) | null)?.code) })
  })
}

/**
 * A duplexPair whose first end delivers each batch of writes (a corked
 * writev) to the other as one chunk, as a secure channel delivers the one
 * message it sealed them into.
 */
function joiningPair (): [Duplex, Duplex] {
  const [a, b] = duplexPair()
  const joining = new Duplex({
    allowHalfOpen: true,
    read () {},
    write (chunk: Buffer, _encoding, callback) { a.write(chunk, callback) },
    writev (chunks: Array<{ chunk: Buffer }>, callback) { a.write(Buffer.concat(chunks.map(c => c.chunk)), callback) },
    final (callback) { a.end(); callback() }
  })
  a.on('data', (chunk: Buffer) => joining.push(chunk))
  a.on('end', () => joining.push(null))
  return [joining, b]
}

/**
 * A connection end that keeps every write, callback pending, until
 * `release()`; then it copies the bytes on to the other end (as a secure
 * channel seals its queue, later) and calls the writes back. `sent` holds
 * every byte it copied.
 */
/** The error a holding pair's end fails its held writes with when destroyed. */
const CONNECTION_LOST = new Error('connection lost')

function holdingPair (writableHighWaterMark?: number): { held: Duplex, other: Duplex, release: () => void, sent: () => Buffer } {
  const [a, b] = duplexPair()
  let holding = true
  const queue: Array<{ chunks: Buffer[], callback: (err?: Error) => void }> = []
  const copies: Buffer[] = []
  const pass = (chunks: Buffer[], callback: (err?: Error) => void): void => {
    for (const chunk of chunks) {
      const copy = Buffer.from(chunk)
      copies.push(copy)
      a.write(copy)
    }
    callback()
  }
  const hold = (chunks: Buffer[], callback: (err?: Error) => void): void => {
    if (holding) queue.push({ chunks, callback })
    else pass(chunks, callback)
  }
  const held = new Duplex({
    allowHalfOpen: true,
    ...(writableHighWaterMark === undefined ? {} : { writableHighWaterMark }),
    read () {},
    write (chunk: Buffer, _encoding, callback) { hold([chunk], callback) },
    writev (chunks: Array<{ chunk: Buffer }>, callback) { hold(chunks.map(c => c.chunk), callback) },
    final (callback) { a.end(); callback() },
    // as a socket fails the writes it still has
    destroy (err, callback) {
      for (const { callback: failWrite } of queue.splice(0)) failWrite(CONNECTION_LOST)
      callback(err)
    }
  })
  a.on('data', (chunk: Buffer) => held.push(chunk))
  a.on('end', () => held.push(null))
  const release = (): void => {
    holding = false
    for (const { chunks, callback } of queue.splice(0)) pass(chunks, callback)
  }
  return { held, other: b, release, sent: () => Buffer.concat(copies) }
}

/**
 * A connection end whose writes go through at once but are called back only
 * `ms` later, one at a time: a socket whose buffer stays full, so that the
 * muxer's writes keep waiting for its drain.
 */
function slowPair (ms = 5): [Duplex, Duplex] {
  const [a, b] = duplexPair()
  const slow = new Duplex({
    allowHalfOpen: true,
    writableHighWaterMark: 1,
    read () {},
    write (chunk: Buffer, _encoding, callback) {
      a.write(chunk)
      setTimeout(callback, ms)
    },
    final (callback) { a.end(); callback() }
  })
  a.on('data', (chunk: Buffer) => slow.push(chunk))
  a.on('end', () => slow.push(null))
  return [slow, b]
}

export function muxerConformance (t: Test, factory: StreamMuxerFactory): void {
  t.test('a write is called back only once the connection has handled its bytes, also when the stream is destroyed under it', async t => {
    const { held, other, release, sent } = holdingPair()
    const { client, server } = sessions(factory, [held, other])
    server.on('stream', () => {}) // accepted, never read
    // more than a yamux window, and more than mplex sends before the connection backs up
    const buffer = Buffer.alloc(1024 * 1024, 7)
    const stream = client.newStream()
    let result: Error | null | undefined
    stream.write(buffer, err => {
      result = err
      buffer.fill(0xff) // the writer takes its buffer back (a pool may hand it to another stream)
    })
    await new Promise(resolve => setImmediate(resolve))
    t.equal(result, undefined, 'pending: part of it went down as views the connection still holds')
    stream.destroy()
    await new Promise(resolve => setImmediate(resolve))
    t.equal(result, undefined, 'destroyed: still pending while the connection holds those views')
    release()
    await new Promise(resolve => setImmediate(resolve))
    t.ok(result instanceof Error, 'then it fails')
    t.ok(sent().length > 64 * 1024, `the connection sent ${sent().length} bytes`)
    t.notOk(sent().includes(0xff), 'none of them taken from the refilled buffer')
    client.abort(new Error('done'))
  })

  t.test('a write followed by an empty write in the same tick is called back only once the connection has handled its bytes', async t => {
    // a buffer as large as the Noise channel's (1 MiB), so the write is not held back by the connection's backpressure instead
    const { held, other, release, sent } = holdingPair(1024 * 1024)
    const { client, server } = sessions(factory, [held, other])
    server.on('stream', () => {})
    const stream = client.newStream()
    // over the batching threshold, so both writes go down together (_writev)
    const buffer = Buffer.alloc(100 * 1024, 7)
    let called = false
    let result: Error | null | undefined
    stream.write(buffer, err => {
      called = true
      result = err
      buffer.fill(0xff)
    })
    stream.write(Buffer.alloc(0))
    await new Promise(resolve => setImmediate(resolve))
    t.notOk(called, 'pending while the connection holds views of the buffer')
    release()
    await new Promise(resolve => setImmediate(resolve))
    t.ok(called && result == null, 'then done, without an error')
    t.ok(sent().length >= 100 * 1024, `the connection sent ${sent().length} bytes`)
    t.notOk(sent().includes(0xff), 'none of them taken from the refilled buffer')
    client.abort(new Error('done'))
  })

  t.test('a write under way when the connection dies fails with the reason the stream was reset for, not the connection\'s own error', async t => {
    const { held, other } = holdingPair()
    const { client, server } = sessions(factory, [held, other])
    server.on('stream', () => {})
    const stream = client.newStream()
    // one frame, sent whole as a view: the write waits for the connection's callback of it
    const failed = new Promise<Error | null | undefined>(resolve => { stream.write(Buffer.alloc(64 * 1024, 7), resolve) })
    await new Promise(resolve => setImmediate(resolve))
    held.destroy()
    const err = await failed as (Error & { code?: string }) | null | undefined
    t.ok(err instanceof Error, 'the write fails')
    t.not(err, CONNECTION_LOST, 'not the connection\'s own error for its held write')
    t.not(err?.code, 'ERR_STREAM_DESTROYED', 'nor Node\'s generic one for its queued writes')
    t.equal(err, stream.errored, 'the error the stream was destroyed with')
  })

  t.test('a small payload is not kept as a view of the large chunk it came in (unread data holds about what it counts)', async t => {
    const { client, server } = sessions(factory, joiningPair())
    const received = new Map<string, Buffer[]>()
    server.on('stream', (stream: MuxedStream) => {
      const chunks: Buffer[] = []
      // paused: what the stream holds is what a reader that has not read yet makes it keep
      stream.once('readable', () => {
        for (let chunk = stream.read() as Buffer | null; chunk !== null; chunk = stream.read() as Buffer | null) chunks.push(chunk)
        received.set(String(chunks.reduce((n, c) => n + c.length, 0)), chunks)
      })
    })
    // one batch, so one chunk at the other end: 1 byte for one stream, 48 KiB for another
    client.newStream().write(Buffer.from([42]))
    client.newStream().write(Buffer.alloc(48 * 1024, 1))
    await waitFor(() => received.size === 2, 250, 5)
    const [small] = received.get('1') ?? []
    const large = received.get(String(48 * 1024)) ?? []
    t.equal(small?.[0], 42, 'the byte arrives')
    t.ok(small !== undefined && small.buffer.byteLength < 1024, `its memory is its own (${small?.buffer.byteLength} bytes behind it), not the whole chunk's`)
    t.ok(large.length > 0 && large.every(c => c.buffer.byteLength < 4 * c.length), 'the large payload is kept as it came, a view filling most of its chunk')
    client.abort(new Error('done'))
  })

  t.test('data the remote sent and closed before the connection ended is still read to its end; an open stream is reset', async t => {
    const { client, server, connections } = sessions(factory, duplexPair())
    const accepted: MuxedStream[] = []
    server.on('stream', (stream: MuxedStream) => { accepted.push(stream) })
    const done = client.newStream()
    done.end(Buffer.from('request-bytes'))
    const open = client.newStream()
    open.write(Buffer.from('partial'))
    await waitFor(() => accepted.length === 2 && accepted[0].readableLength === 13 && accepted[1].readableLength === 7, 100)
    t.equal(accepted.length, 2, 'both streams arrived, unread')
    const [whole, cut] = accepted
    const openError = errorCode(cut)
    // the client's connection ends, as a peer's socket does after its last bytes
    connections[0].end()
    await once(server, 'close')
    t.equal((await readAll(whole)).toString(), 'request-bytes', 'the closed stream: all its data, then EOF')
    if (!whole.closed) await closed(whole)
    t.equal(whole.errored, null, 'and it closes without an error')
    t.ok(await openError, `the open stream is reset (${await openError}): its data may be cut short`)
  })

  t.test('after the connection ended, writing to a stream kept for reading fails, and resets it', async t => {
    const { client, server, connections } = sessions(factory, duplexPair())
    const [, stream] = await openAccepted(client, server, Buffer.from('request'), true)
    await waitFor(() => stream.readableLength === 7, 100)
    connections[0].end()
    await once(server, 'close')
    t.notOk(stream.destroyed, 'kept: its remote half was complete')
    const failed = await new Promise<Error | null | undefined>(resolve => { stream.write(Buffer.from('reply'), resolve) })
    t.ok(failed instanceof Error, `the write fails (${(failed as Error | undefined)?.message})`)
    t.equal((failed as { remote?: boolean } | undefined)?.remote, false, 'not blamed on the remote: the session is ours that ended')
    if (!stream.closed) await closed(stream)
    t.ok(stream.destroyed, 'and, as a failed write does in Node, it destroys the stream')
  })

  t.test('a stream is announced with the data that came in the same read as its opening', async t => {
    const { client, server } = sessions(factory, joiningPair())
    let buffered: number | undefined
    const announced = new Promise<MuxedStream>(resolve => {
      server.once('stream', (stream: MuxedStream) => {
        // looked at in the listener itself, as a handler's first read would
        buffered = stream.readableLength
        resolve(stream)
      })
    })
    const stream = client.newStream()
    stream.write(Buffer.from('hello'))
    const inbound = await announced
    t.equal(buffered, 5, 'the handler finds the first bytes already buffered')
    // and the stream works on from there, both ways
    stream.end(Buffer.from(' world'))
    t.equal((await readAll(inbound)).toString(), 'hello world')
    inbound.end(Buffer.from('back'))
    t.equal((await readAll(stream)).toString(), 'back')
    client.abort(new Error('done'))
  })

  t.test('a \'stream\' listener that throws: that stream is reset, the exception is uncaught, the session goes on', async t => {
    const { client, server } = sessions(factory, joiningPair())
    const uncaught = catchUncaught(t)
    const bug = new Error('a bug in the handler')
    const throwing = (): void => { throw bug }
    server.on('stream', throwing)
    // two openings in one read: the first is announced mid-read (by the
    // second's frame), the second at the read's end
    const first = client.newStream()
    const second = client.newStream()
    first.write(Buffer.from('one'))
    second.write(Buffer.from('two'))
    const codes = await Promise.all([errorCode(first), errorCode(second)])
    t.same(codes, ['ERR_STREAM_RESET', 'ERR_STREAM_RESET'], 'both streams reset, whichever way they were announced')
    await waitFor(() => uncaught.length >= 2)
    t.same(uncaught, [bug, bug], 'each exception thrown again, uncaught')
    server.off('stream', throwing)
    serveEcho(server)
    const third = client.newStream()
    third.end(Buffer.from('still here'))
    t.equal((await readAll(third)).toString(), 'still here', 'the session goes on')
    client.abort(new Error('done'))
  })

  t.test('a \'data\' listener that throws: that stream is reset, the exception is uncaught, the other streams and the session go on', async t => {
    const { client, server } = sessions(factory, joiningPair())
    const uncaught = catchUncaught(t)
    serveEcho(server)
    const bug = new Error('a bug in a data listener')
    const victim = client.newStream()
    victim.on('data', () => { throw bug })
    const other = client.newStream()
    const otherEcho = readAll(other)
    victim.end(Buffer.from('echoed into a listener that throws'))
    other.end(Buffer.from('still here'))
    await closed(victim)
    t.ok(victim.destroyed, 'the stream whose listener threw is reset')
    await waitFor(() => uncaught.length >= 1)
    t.same(uncaught, [bug], 'the exception thrown again, uncaught')
    t.equal((await otherEcho).toString(), 'still here', 'the other stream got its whole echo')
    const third = client.newStream()
    third.end(Buffer.from('and a new one'))
    t.equal((await readAll(third)).toString(), 'and a new one', 'the session goes on')
    client.abort(new Error('done'))
  })

  t.test('a \'readable\' listener that throws at the end of a stream\'s data: that stream is reset, the other streams and the session go on', async t => {
    const { client, server } = sessions(factory, joiningPair())
    const uncaught = catchUncaught(t)
    const bug = new Error('a parser that throws at the end of its input')
    const accepted: MuxedStream[] = []
    server.on('stream', (stream: MuxedStream) => { accepted.push(stream) })
    const victim = client.newStream()
    const other = client.newStream()
    victim.write(Buffer.from('half a message'))
    other.write(Buffer.from('x'))
    await waitFor(() => accepted.length === 2 && accepted[0].readableLength > 0)
    const [onServer, otherOnServer] = accepted
    onServer.read() // read from once: Node then emits 'readable' at the end at once, inside push(null)
    onServer.on('readable', () => { if (onServer.readableEnded || onServer.read() === null) throw bug })
    victim.end()
    await closed(onServer)
    t.ok(onServer.destroyed, 'the stream whose listener threw is reset')
    await waitFor(() => uncaught.length >= 1)
    t.same(uncaught, [bug], 'the exception thrown again, uncaught')
    otherOnServer.end(Buffer.from('still here'))
    t.equal((await readAll(other)).toString(), 'still here', 'the other stream goes on')
    client.abort(new Error('done'))
  })

  t.test('a \'close\' listener of the session that throws: the exception is uncaught, and the session still ends as it should', async t => {
    const { client, server } = sessions(factory, joiningPair())
    const uncaught = catchUncaught(t)
    serveEcho(server)
    const bug = new Error('a bug in a close listener')
    // before the throwing one: as Node's emit, ours calls no listener after one that threw
    const serverClosed = once(server, 'close')
    server.on('close', () => { throw bug })
    const stream = client.newStream()
    stream.end(Buffer.from('one exchange'))
    t.equal((await readAll(stream)).toString(), 'one exchange')
    await client.close()
    await serverClosed
    await waitFor(() => uncaught.length >= 1)
    t.same(uncaught, [bug], 'thrown again, uncaught')
    t.throws(() => server.newStream(), { name: 'P2PError' }, 'the server\'s session is closed')
  })

  t.test('a graceful close while the connection is backed up: a stream whose half-close waited for the drain finishes, with no error', async t => {
    const { client, server } = sessions(factory, slowPair())
    server.on('stream', (stream: MuxedStream) => {
      stream.resume()
      stream.end(Buffer.from('answer'))
    })
    const stream = client.newStream()
    const errors: Error[] = []
    stream.on('error', err => errors.push(err))
    let finished = false
    stream.once('finish', () => { finished = true })
    const answer = readAll(stream)
    stream.end(Buffer.from('request'))
    t.equal((await answer).toString(), 'answer')
    await client.close()
    await waitFor(() => finished || stream.destroyed)
    await tick(20)
    t.same(errors.map(e => e.message), [], 'no error on a stream that closed cleanly')
    t.ok(finished, '\'finish\': its half-close was handed to the connection, which the close ends (flushing it)')
  })

  t.test('a session made without a memory budget buffers within one of a node\'s default share per connection', async t => {
    const { client, server } = sessions(factory, joiningPair())
    const budget = (server as StreamMuxer & { memoryBudget: ConnectionMemory }).memoryBudget
    t.equal(budget.reserved, 0)
    const [stream] = await openAccepted(client, server, randomBytes(100 * 1024), false)
    await waitFor(() => budget.reserved >= 100 * 1024)
    t.ok(budget.reserved >= 100 * 1024, `the unread bytes are reserved (${budget.reserved})`)
    const room = DEFAULT_RESOURCE_LIMITS.maxConnectionBufferBytes - budget.reserved
    t.notOk(budget.reserve(room + 1), 'no more than maxConnectionBufferBytes in all')
    t.ok(budget.reserve(room), 'up to it')
    budget.release(room)
    stream.destroy()
    client.abort(new Error('done'))
  })

  t.test('a stream opened and reset in the same read is never announced, and raises nothing', async t => {
    const { client, server } = sessions(factory, joiningPair())
    const announced: MuxedStream[] = []
    server.on('stream', (stream: MuxedStream) => { announced.push(stream) })
    const gone = client.newStream()
    gone.write(Buffer.from('never read'))
    gone.destroy()
    // a second stream in a later read shows the first has been handled
    await new Promise(resolve => setImmediate(resolve))
    const next = nextStream(server)
    client.newStream().end(Buffer.from('x'))
    const second = await next
    t.same(announced, [second], 'only the stream that lived past its read was announced')
    client.abort(new Error('done'))
  })

  t.test('a stream carries bytes both ways and closes on both sides', async t => {
    const { client, server } = sessions(factory, duplexPair())
    serveEcho(server)
    const stream = client.newStream()
    t.equal(stream.direction, 'outbound')
    const payload = randomBytes(100_000)
    stream.end(payload)
    t.ok((await readAll(stream)).equals(payload), 'echo matches byte for byte')
    client.abort(new Error('done'))
  })

  t.test('either side can open streams', async t => {
    const { client, server } = sessions(factory, duplexPair())
    serveEcho(client)
    const stream = server.newStream()
    stream.end(Buffer.from('from the listener'))
    t.equal((await readAll(stream)).toString(), 'from the listener')
    const [, inbound] = await openAccepted(client, server, Buffer.from('x'), true)
    t.equal(inbound.direction, 'inbound')
    server.abort(new Error('done'))
  })

  t.test('50 concurrent streams with interleaved data all arrive intact', async t => {
    const { client, server } = sessions(factory, duplexPair())
    serveEcho(server)
    const results = await Promise.all(Array.from({ length: 50 }, async (_, i) => {
      const stream = client.newStream()
      const payload = randomBytes(1000 + i * 997)
      // write in several pieces so frames of different streams interleave
      for (let off = 0; off < payload.length; off += 1500) stream.write(payload.subarray(off, off + 1500))
      stream.end()
      return (await readAll(stream)).equals(payload)
    }))
    t.same(results, Array(50).fill(true))
    client.abort(new Error('done'))
  })

  t.test('half-close: the other direction stays open', async t => {
    const { client, server } = sessions(factory, duplexPair())
    const [stream, remote] = await openAccepted(client, server, Buffer.from('request'), true)
    t.equal((await readAll(remote)).toString(), 'request', 'remote sees our data then end')
    remote.write(Buffer.from('response after FIN'))
    remote.end()
    t.equal((await readAll(stream)).toString(), 'response after FIN')
    client.abort(new Error('done'))
  })

  t.test('a local reset reaches the remote as ERR_STREAM_RESET', async t => {
    const { client, server } = sessions(factory, duplexPair())
    const [stream, remote] = await openAccepted(client, server, Buffer.from('hello'), false)
    const code = errorCode(remote)
    remote.resume()
    stream.destroy()
    t.equal(await code, 'ERR_STREAM_RESET')
    client.abort(new Error('done'))
  })

  t.test('a remote reset reaches the local user as ERR_STREAM_RESET', async t => {
    const { client, server } = sessions(factory, duplexPair())
    server.on('stream', (s: MuxedStream) => { s.destroy() })
    const stream = client.newStream()
    const code = errorCode(stream)
    stream.resume()
    stream.write(Buffer.from('hello'))
    t.equal(await code, 'ERR_STREAM_RESET')
    client.abort(new Error('done'))
  })

  t.test('after a remote reset, data buffered before it is dropped, not read', async t => {
    // mplex README "Resetting a stream": "All current and future reads and writes must return
    // errors (*not* EOF) and any data queued or in flight should be dropped"; yamux RST: "hard close"
    const { client, server } = sessions(factory, duplexPair())
    const inbound = new Promise<MuxedStream>(resolve => server.once('stream', resolve))
    const stream = client.newStream()
    stream.write(Buffer.from('queued-data'))
    const remote = await inbound
    // nobody reads on our side: the bytes wait in the stream's buffer
    const local = client.newStream()
    local.write('x') // keeps the client busy with another stream meanwhile
    await new Promise(resolve => setTimeout(resolve, 10))
    const buffered = new Promise<void>(resolve => { if (remote.readableLength > 0) resolve(); else remote.once('readable', () => { resolve() }) })
    await buffered
    t.ok(remote.readableLength > 0, 'the data sits unread in the remote\'s buffer')
    const code = errorCode(remote)
    stream.destroy() // our reset
    t.equal(await code, 'ERR_STREAM_RESET')
    t.equal(remote.read(), null, 'read() hands out nothing after the reset')
    client.abort(new Error('done'))
  })

  t.test('a reset stream does not disturb its neighbours', async t => {
    const { client, server } = sessions(factory, duplexPair())
    serveEcho(server)
    const doomed = client.newStream()
    doomed.on('error', () => {})
    doomed.write(Buffer.from('x'))
    const survivor = client.newStream()
    const payload = randomBytes(300_000)
    survivor.write(payload.subarray(0, 1000))
    doomed.destroy()
    survivor.end(payload.subarray(1000))
    t.ok((await readAll(survivor)).equals(payload))
    client.abort(new Error('done'))
  })

  t.test('close() ends the session on both sides and refuses new streams', async t => {
    const { client, server } = sessions(factory, duplexPair())
    serveEcho(server)
    const stream = client.newStream()
    stream.end(Buffer.from('last words'))
    t.equal((await readAll(stream)).toString(), 'last words')
    const serverClosed = once(server, 'close')
    await client.close()
    await serverClosed
    t.equal(client.streams.length, 0)
    t.throws(() => client.newStream(), { name: 'P2PError' })
  })

  t.test('close() resolves when the remote began closing first and ours ends the last stream', async t => {
    const { client, server } = sessions(factory, duplexPair())
    const [, accepted] = await openAccepted(client, server, Buffer.from('x'), false)
    accepted.resume()
    // the client closes first: it ends its side of the stream (and says goodbye, where the muxer can)
    const clientClosing = client.close()
    await waitFor(() => accepted.readableEnded, 100)
    t.ok(accepted.readableEnded, 'the remote half is done')
    // ours ends the stream the remote was waiting for: that may end the session at once
    let settled = false
    const serverClosing = server.close().then(() => { settled = true })
    await waitFor(() => settled, 500, 5)
    t.ok(settled, 'server.close() resolved')
    await serverClosing
    await clientClosing
  })

  t.test('abort() resets every open stream', async t => {
    const { client, server } = sessions(factory, duplexPair())
    server.on('stream', (s: MuxedStream) => { s.on('error', () => {}); s.resume() })
    const streams = [client.newStream(), client.newStream()]
    const allClosed = streams.map(async s => {
      s.on('error', () => {})
      s.write(Buffer.from('x'))
      await closed(s)
    })
    const serverClosed = once(server, 'close')
    client.abort(new Error('going away'))
    await Promise.all(allClosed)
    await serverClosed
    t.ok(streams.every(s => s.destroyed))
  })

  t.test('the connection dying mid-stream closes streams without unhandled errors', async t => {
    const { client, server, connections } = sessions(factory, await tcpPair())
    server.on('stream', (s: MuxedStream) => { s.on('error', () => {}); s.resume() })
    const stream = client.newStream()
    stream.on('error', () => {})
    stream.write(randomBytes(10_000))
    const streamClosed = closed(stream)
    const sessionClosed = once(client, 'close')
    connections[1].destroy()
    await streamClosed
    await sessionClosed
    t.ok(stream.destroyed)
    server.abort(new Error('done'))
  })

  t.test('a stalled reader does not stall other streams', async t => {
    const { client, server } = sessions(factory, duplexPair())
    let first = true
    server.on('stream', (s: MuxedStream) => {
      s.on('error', () => {})
      if (first) { first = false; return } // never read
      readAll(s).then(data => { s.end(data) }, () => {})
    })
    const stalled = client.newStream()
    stalled.on('error', () => {})
    // write until the stalled stream pushes back (flow control) or is reset (mplex)
    const chunk = Buffer.alloc(64 * 1024)
    for (let i = 0; i < 200 && stalled.write(chunk) && !stalled.destroyed; i++) await new Promise(resolve => setImmediate(resolve))
    const live = client.newStream()
    const payload = randomBytes(2 * 1024 * 1024)
    live.end(payload)
    t.ok((await readAll(live)).equals(payload), 'the live stream completes while its neighbour is stalled')
    client.abort(new Error('done'))
  })
}
