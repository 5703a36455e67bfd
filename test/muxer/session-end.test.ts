import t from 'tap'
import { PassThrough } from 'node:stream'
import { closeWhenRead } from '../../src/muxer/session-end.js'

function endedWith (bytes: string): PassThrough {
  const stream = new PassThrough({ allowHalfOpen: true })
  stream.end(bytes)
  return stream
}

t.test('a stream read to its end closes without an error, and its timer goes', async t => {
  const stream = endedWith('data')
  closeWhenRead(stream, 50)
  const chunks: Buffer[] = []
  stream.on('data', (chunk: Buffer) => chunks.push(chunk))
  await new Promise(resolve => stream.once('close', resolve))
  t.equal(Buffer.concat(chunks).toString(), 'data')
  t.equal(stream.errored, null)
})

t.test('a stream nobody reads to its end is reset after the linger', async t => {
  const stream = endedWith('data')
  const errors: Array<Error & { code?: string }> = []
  stream.on('error', err => errors.push(err))
  const started = Date.now()
  closeWhenRead(stream, 30)
  // the linger's timer is unref'd (an unread stream does not hold the process open): this one does
  const keepAlive = setTimeout(() => {}, 2000)
  await new Promise(resolve => stream.once('close', resolve))
  clearTimeout(keepAlive)
  t.ok(Date.now() - started >= 25, 'not before the linger')
  t.equal(errors[0]?.code, 'ERR_STREAM_RESET')
  t.match(errors[0]?.message, /not read to its end/)
})

t.test('a stream already read to its end closes at once', async t => {
  const stream = endedWith('')
  stream.resume()
  await new Promise(resolve => stream.once('end', resolve))
  closeWhenRead(stream, 10_000)
  t.ok(stream.destroyed)
})
