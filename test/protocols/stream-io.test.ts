import t from 'tap'
import { PassThrough } from 'node:stream'
import { readChunks } from '../../src/protocols/stream-io.js'
import { P2PError } from '../../src/util/errors.js'
import { duplexPair } from '../helpers/duplex-pair.js'

t.test('readChunks yields each chunk as written, never joined, even after the reader fell behind', async t => {
  const [remote, stream] = duplexPair()
  const sizes = [5, 1000, 70_000, 3, 64 * 1024]
  for (const [i, size] of sizes.entries()) remote.write(Buffer.alloc(size, i))
  remote.end()
  await new Promise(resolve => setImmediate(resolve))
  t.ok(stream.readableLength > 70_000, 'several chunks wait in the stream before the first iteration')
  const got: Uint8Array[] = []
  // stream.iterator() would join the waiting chunks into one
  for await (const chunk of readChunks(stream)) got.push(chunk)
  t.same(got.map(c => c.length), sizes)
  t.same(got.map(c => c[0]), [0, 1, 2, 3, 4])
  t.notOk(stream.destroyed, 'the stream is not destroyed at the remote\'s end')
  t.ok(stream.writable, 'our side can still answer')
  stream.destroy()
})

t.test('a slow reader pauses the stream past its highWaterMark, and resumes it', async t => {
  const stream = new PassThrough({ highWaterMark: 1024 })
  let wrote = 0
  const writing = (async () => {
    for (let i = 0; i < 64; i++) {
      wrote++
      if (!stream.write(Buffer.alloc(512, i))) await new Promise(resolve => stream.once('drain', resolve))
    }
    stream.end()
  })()
  const firsts: number[] = []
  let pausedSeen = false
  for await (const chunk of readChunks(stream)) {
    firsts.push(chunk[0])
    if (firsts.length === 1) {
      await new Promise(resolve => setTimeout(resolve, 20))
      pausedSeen = stream.isPaused()
      t.ok(wrote < 64, `the writer is held back (${wrote} of 64 written)`)
    }
  }
  await writing
  t.ok(pausedSeen, 'the stream was paused while the reader lagged')
  t.same(firsts, Array.from({ length: 64 }, (_, i) => i), 'all 64 chunks, in order')
})

t.test('a loop that stops early gives the chunks it did not take back to the stream', async t => {
  const stream = new PassThrough()
  for (const text of ['one', 'two', 'three']) stream.write(text)
  await new Promise(resolve => setImmediate(resolve))
  for await (const chunk of readChunks(stream)) {
    t.equal(Buffer.from(chunk).toString(), 'one')
    break
  }
  stream.end()
  const rest: string[] = []
  for await (const chunk of readChunks(stream)) rest.push(Buffer.from(chunk).toString())
  t.equal(rest.join(''), 'twothree', 'the next reader gets the rest, in order')
})

t.test('ends, errors and closes', async t => {
  const ended = new PassThrough()
  ended.end()
  ended.resume()
  await new Promise(resolve => ended.once('end', resolve))
  const none: Uint8Array[] = []
  for await (const chunk of readChunks(ended)) none.push(chunk)
  t.same(none, [], 'an ended stream yields nothing and returns')

  const failing = new PassThrough()
  const boom = new P2PError('ERR_STREAM_RESET', 'reset by the remote')
  setImmediate(() => failing.destroy(boom))
  await t.rejects((async () => { for await (const _ of readChunks(failing)) { /* nothing */ } })(), boom, 'a stream error is thrown')
  await t.rejects((async () => { for await (const _ of readChunks(failing)) { /* nothing */ } })(), boom, 'and thrown again to a later reader')

  const closed = new PassThrough()
  setImmediate(() => closed.destroy())
  await t.rejects((async () => { for await (const _ of readChunks(closed)) { /* nothing */ } })(), { code: 'ERR_STREAM_CLOSED' }, 'a close before the end is ERR_STREAM_CLOSED')

  const aborted = new PassThrough()
  const controller = new AbortController()
  const reason = new P2PError('ERR_ABORTED', 'enough')
  setImmediate(() => controller.abort(reason))
  await t.rejects((async () => { for await (const _ of readChunks(aborted, controller.signal)) { /* nothing */ } })(), reason, 'an abort rejects with its reason')
  t.ok(aborted.destroyed, 'and resets the stream')
})
