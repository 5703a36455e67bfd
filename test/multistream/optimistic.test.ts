import t from 'tap'
import type { Duplex } from 'node:stream'
import { once } from 'node:events'
import {
  encodeMessages, handleProtocols, MULTISTREAM_PROTOCOL_ID, readOptimisticAccept, selectOptimistic, writeOptimisticProposal, type MessageHook
} from '../../src/multistream/index.js'
import { duplexPair, tcpPair } from '../helpers/duplex-pair.js'
import { StreamReader } from '../../src/util/stream-reader.js'
import { readAll } from '../helpers/read-all.js'

/** A wrapper that has agreed on '/x': the wrapper, its inner stream and the listener's end. */
async function negotiatedPair (): Promise<{ dialer: ReturnType<typeof selectOptimistic>, inner: Duplex, listener: Duplex }> {
  const [inner, listener] = duplexPair()
  const dialer = selectOptimistic(inner, '/x')
  await handleProtocols(listener, ['/x'])
  await dialer.negotiated
  return { dialer, inner, listener }
}

t.test('writeOptimisticProposal: header and proposal in one write; readOptimisticAccept reads only header and echo', async t => {
  const [a, b] = duplexPair()
  const writes: Uint8Array[] = []
  const write = a.write.bind(a)
  a.write = ((chunk: Uint8Array, ...rest: never[]) => { writes.push(chunk); return write(chunk, ...rest) }) as typeof a.write
  const log: string[] = []
  const hook: MessageHook = (d, m) => { log.push(`${d} ${m}`) }
  writeOptimisticProposal(a, '/noise', hook)
  t.equal(writes.length, 1)
  t.same([...writes[0]], [...encodeMessages([MULTISTREAM_PROTOCOL_ID, '/noise'])])
  a.write('e, first noise message') // sent before any answer: no round trip
  const listener = handleProtocols(b, ['/noise']).then(p => { b.write('second noise message'); return p })
  const reader = new StreamReader(a)
  t.equal(await readOptimisticAccept(reader, '/noise', { onMessage: hook }), '/noise')
  t.equal(await listener, '/noise')
  t.equal(Buffer.from(await reader.readExactly(20)).toString(), 'second noise message')
  t.equal(Buffer.from(await new StreamReader(b).readExactly(22)).toString(), 'e, first noise message')
  t.same(log, [`out ${MULTISTREAM_PROTOCOL_ID}`, 'out /noise', `in ${MULTISTREAM_PROTOCOL_ID}`, 'in /noise'])
})

t.test('readOptimisticAccept: na, wrong header, timeout', async t => {
  const [a, b] = duplexPair()
  writeOptimisticProposal(a, '/tls/1.0.0')
  void handleProtocols(b, ['/noise']).catch(() => {})
  await t.rejects(readOptimisticAccept(new StreamReader(a), '/tls/1.0.0'), { code: 'ERR_PROTOCOL_NOT_SUPPORTED', message: /"\/tls\/1\.0\.0"/ })
  a.destroy()
  const [c, d] = duplexPair()
  d.write(encodeMessages(['/noise', '/noise']))
  await t.rejects(readOptimisticAccept(new StreamReader(c), '/noise'), { code: 'ERR_INVALID_HEADER' })
  const [e] = duplexPair()
  await t.rejects(readOptimisticAccept(new StreamReader(e), '/noise', { timeoutMs: 20 }), { code: 'ERR_NEGOTIATION_TIMEOUT' })
})

t.test('selectOptimistic: the data goes at once, the half-close only after the listener agreed', async t => {
  const [a, b] = duplexPair()
  const stream = selectOptimistic(a, '/echo/1.0.0')
  stream.end('request')
  const expected = Buffer.concat([encodeMessages([MULTISTREAM_PROTOCOL_ID, '/echo/1.0.0']), Buffer.from('request')])
  t.equal(Buffer.from(await new StreamReader(b).readExactly(expected.length)).toString(), expected.toString(), 'header, proposal and data before any answer')
  await new Promise(resolve => setImmediate(resolve))
  t.notOk(b.readableEnded, 'no end of stream yet')
  let ended = false
  b.once('end', () => { ended = true })
  b.resume()
  await new Promise(resolve => setImmediate(resolve))
  t.notOk(ended, 'still no end of stream: the listener has not answered')
  b.write(encodeMessages([MULTISTREAM_PROTOCOL_ID, '/echo/1.0.0']))
  await once(b, 'end')
  t.pass('the end of stream follows the agreement')
  stream.destroy()
})

t.test('selectOptimistic: write at once, read after the echo, half-close both ways', async t => {
  const [a, b] = duplexPair()
  const stream = selectOptimistic(a, '/echo/1.0.0')
  stream.write('hello ') // before any answer
  stream.end('world')
  t.equal(await handleProtocols(b, ['/echo/1.0.0']), '/echo/1.0.0')
  // the listener echoes what it got, then half-closes
  const got = await readAll(b)
  t.equal(got.toString(), 'hello world')
  b.end(got)
  t.equal((await readAll(stream)).toString(), 'hello world')
  t.equal(await stream.negotiated, '/echo/1.0.0')
  t.equal(stream.protocol, '/echo/1.0.0')
})

t.test('selectOptimistic: na destroys the wrapper (and the stream) with ERR_PROTOCOL_NOT_SUPPORTED', async t => {
  const [a, b] = duplexPair()
  const stream = selectOptimistic(a, '/nope')
  stream.write('data the listener will never use')
  void handleProtocols(b, ['/echo/1.0.0'], { timeoutMs: 200 }).catch(() => {})
  const [err] = await once(stream, 'error') as [Error & { code?: string }]
  t.equal(err.code, 'ERR_PROTOCOL_NOT_SUPPORTED')
  await t.rejects(stream.negotiated, { code: 'ERR_PROTOCOL_NOT_SUPPORTED' })
  t.ok(a.destroyed, 'the inner stream is destroyed too')
})

t.test('selectOptimistic: timeout, EOF and wrong header destroy the wrapper', async t => {
  const [a] = duplexPair()
  const timed = selectOptimistic(a, '/x', { timeoutMs: 20 })
  const [timeoutErr] = await once(timed, 'error') as [Error & { code?: string }]
  t.equal(timeoutErr.code, 'ERR_NEGOTIATION_TIMEOUT')
  const [c, d] = duplexPair()
  const eof = selectOptimistic(c, '/x')
  d.end()
  const [eofErr] = await once(eof, 'error') as [Error & { code?: string }]
  t.equal(eofErr.code, 'ERR_UNEXPECTED_EOF')
  const [e, f] = duplexPair()
  const bad = selectOptimistic(e, '/x')
  f.write(encodeMessages(['/x']))
  const [badErr] = await once(bad, 'error') as [Error & { code?: string }]
  t.equal(badErr.code, 'ERR_INVALID_HEADER')
  t.throws(() => selectOptimistic(duplexPair()[0], 'no-slash'), { code: 'ERR_INVALID_PROTOCOL_ID' })
})

t.test('selectOptimistic: destroy passes through both ways', async t => {
  const { dialer: stream, inner: a } = await negotiatedPair()
  stream.destroy()
  t.ok(a.destroyed, 'destroying the wrapper destroys the inner stream')
  const { dialer: other, inner: c } = await negotiatedPair()
  const reason = new Error('reset')
  c.destroy(reason)
  const [err] = await once(other, 'error')
  t.equal(err, reason, 'an inner error destroys the wrapper with it')
})

t.test('selectOptimistic: backpressure both ways over TCP, bytes intact and in order', async t => {
  const [client, server] = await tcpPair()
  const stream = selectOptimistic(client, '/perf/1.0.0', { timeoutMs: 5000 })
  const size = 4 * 1024 * 1024
  const payload = Buffer.alloc(size)
  for (let i = 0; i < size; i++) payload[i] = (i * 7 + (i >> 11)) & 0xff
  // write 4 MiB in 64 KiB chunks, honouring write()'s return value
  const writing = (async () => {
    for (let offset = 0; offset < size; offset += 65536) {
      if (!stream.write(payload.subarray(offset, offset + 65536))) await once(stream, 'drain')
    }
    stream.end()
  })()
  t.equal(await handleProtocols(server, ['/perf/1.0.0']), '/perf/1.0.0')
  // the listener echoes everything back through a pipe (backpressure on both sockets)
  server.pipe(server)
  const echoed = await readAll(stream)
  await writing
  t.equal(echoed.length, size)
  t.ok(echoed.equals(payload), 'every byte echoed in order')
  client.destroy()
  server.destroy()
})

t.test('selectOptimistic: a slow reader pauses the inner stream', async t => {
  const { dialer: stream, listener: b } = await negotiatedPair()
  // the listener writes until its writes stop completing: the wrapper must stall it
  let written = 0
  const chunk = Buffer.alloc(16 * 1024, 1)
  while (b.write(chunk) && written < 64 * 1024 * 1024) written += chunk.length
  t.ok(written < 1024 * 1024, `sender stalled after ${written} bytes while nobody read`)
  stream.destroy()
})

t.test('selectOptimistic: the abort signal destroys the wrapper with its reason', async t => {
  const [a] = duplexPair()
  const reason = new Error('closing')
  const controller = new AbortController()
  const stream = selectOptimistic(a, '/x', { signal: controller.signal })
  controller.abort(reason)
  const [err] = await once(stream, 'error')
  t.equal(err, reason)
  t.ok(a.destroyed)
  const [b] = duplexPair()
  const notAnError = selectOptimistic(b, '/x', { signal: AbortSignal.abort('bye') })
  const [wrapped] = await once(notAnError, 'error') as [Error & { code?: string, cause?: unknown }]
  t.equal(wrapped.code, 'ERR_ABORTED', 'a non-Error reason is wrapped')
  t.equal(wrapped.cause, 'bye')
})

t.test('selectOptimistic: writing after the inner stream closed for writing is ERR_STREAM_CLOSED', async t => {
  const { dialer: stream, inner: a } = await negotiatedPair()
  a.end()
  stream.write('too late')
  const [err] = await once(stream, 'error') as [Error & { code?: string }]
  t.equal(err.code, 'ERR_STREAM_CLOSED')
})

t.test('selectOptimistic: an inner stream closed under the wrapper ends it quietly, unless a write was waiting', async t => {
  // nothing pending (a ping stream when its connection closes gracefully): no error
  const { dialer: idle, inner: a, listener: b } = await negotiatedPair()
  b.end()
  await readAll(idle)
  a.destroy()
  await once(idle, 'close')
  t.equal(idle.errored, null, 'closed without an error')

  // a write the inner stream completes as it closes (our pair's end hands
  // its pending write over): it succeeded, and the wrapper closes quietly
  const { dialer: flushed, inner: e, listener: f } = await negotiatedPair()
  const chunk = Buffer.alloc(64 * 1024, 1)
  let called: Error | null | undefined
  flushed.write(chunk, err => { called = err })
  await new Promise(resolve => setImmediate(resolve))
  t.equal(called, undefined, 'the write waits for the inner stream')
  f.end()
  await readAll(flushed)
  e.destroy()
  await once(flushed, 'close')
  t.equal(called, null, 'the inner stream completed it')
  t.equal(flushed.errored, null, 'closed without an error')

  // a write the inner stream drops as it closes would wait forever: it fails
  const { dialer: busy, inner: c, listener: d } = await negotiatedPair()
  c._write = () => {} // never calls back
  busy.write(chunk)
  await new Promise(resolve => setImmediate(resolve))
  t.ok(busy.writableLength > 0, 'a write is pending')
  d.end()
  await readAll(busy)
  const failed = once(busy, 'error') as Promise<[Error & { code?: string }]>
  c.destroy()
  const [err] = await failed
  t.equal(err.code, 'ERR_STREAM_CLOSED')
})

t.test('selectOptimistic: a write completes only when the inner stream calls it back (Node\'s contract: then the writer may refill its buffer)', async t => {
  const { dialer, inner, listener } = await negotiatedPair()
  // the inner stream holds the write (as a muxed stream does until the layer below has sealed it)
  let release: (() => void) | undefined
  const innerWrite = inner._write.bind(inner)
  inner._write = (chunk, encoding, callback) => { release = () => { innerWrite(chunk, encoding, callback) } }
  const buffer = Buffer.alloc(8, 7)
  let done = false
  dialer.write(buffer, () => { done = true })
  await new Promise(resolve => setImmediate(resolve))
  t.notOk(done, 'not called back while the inner stream holds the bytes')
  t.ok(release !== undefined, 'the inner stream has the write')
  release?.()
  await new Promise(resolve => setImmediate(resolve))
  t.ok(done, 'called back once the inner stream did')
  dialer.end()
  t.same([...await readAll(listener)], [...buffer], 'the bytes arrive')
})

t.test('selectOptimistic: a half-close that fails below (the stream reset before our FIN went out) is an error, not a \'finish\'', async t => {
  const { dialer, inner } = await negotiatedPair()
  const reset = new Error('reset before the FIN went out')
  inner._final = callback => { setTimeout(() => { callback(reset) }, 5) }
  const events: string[] = []
  dialer.on('finish', () => events.push('finish'))
  dialer.on('error', err => events.push(`error: ${err.message}`))
  const closed = new Promise(resolve => dialer.once('close', resolve))
  dialer.end()
  await closed
  t.same(events, ['error: reset before the FIN went out'], 'never \'finish\'')
})

t.test('selectOptimistic: corked writes go down as one batch, in order', async t => {
  const [a, b] = duplexPair()
  const stream = selectOptimistic(a, '/x')
  const writes: Uint8Array[] = []
  const write = a.write.bind(a)
  a.write = ((chunk: Uint8Array, ...rest: never[]) => { writes.push(chunk); return write(chunk, ...rest) }) as typeof a.write
  stream.cork()
  for (const part of ['one ', 'two ', 'three']) stream.write(part)
  process.nextTick(() => stream.uncork())
  t.equal(await handleProtocols(b, ['/x']), '/x')
  t.equal(Buffer.from(await new StreamReader(b).readExactly(13)).toString(), 'one two three')
  t.equal(writes.length, 3, 'each chunk written to the inner stream')
  stream.destroy()
})

t.test('lazyHeader: the listener answers an optimistic dialer in one write, and a cautious one at once', async t => {
  // optimistic: header and proposal arrive together; our header, the echo and nothing else leave in one write
  const [a, b] = duplexPair()
  const writes: Buffer[] = []
  const write = b.write.bind(b)
  b.write = ((chunk: Uint8Array, ...rest: never[]) => { writes.push(Buffer.from(chunk)); return write(chunk, ...rest) }) as typeof b.write
  a.write(encodeMessages([MULTISTREAM_PROTOCOL_ID, '/echo/1.0.0']))
  await new Promise(resolve => setImmediate(resolve))
  t.equal(await handleProtocols(b, ['/echo/1.0.0'], { lazyHeader: true }), '/echo/1.0.0')
  t.equal(writes.length, 1, 'one write')
  t.same([...writes[0]], [...encodeMessages([MULTISTREAM_PROTOCOL_ID, '/echo/1.0.0'])])

  // cautious: the dialer sends its header alone and waits for ours before proposing
  const [c, d] = duplexPair()
  const listening = handleProtocols(d, ['/echo/1.0.0'], { lazyHeader: true })
  const reader = new StreamReader(c)
  const header = encodeMessages([MULTISTREAM_PROTOCOL_ID])
  c.write(header)
  t.same([...await reader.readExactly(header.length)], [...header], 'our header comes as soon as theirs is read')
  c.write(encodeMessages(['/echo/1.0.0']))
  t.equal(await listening, '/echo/1.0.0')
  const echo = encodeMessages(['/echo/1.0.0'])
  t.same([...await reader.readExactly(echo.length)], [...echo])
})
