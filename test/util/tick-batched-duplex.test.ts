// TickBatchedDuplex: the large writes of one tick reach _writev together;
// small ones go down at once; end() in the same tick loses nothing.

import t from 'tap'
import { TickBatchedDuplex, TICK_BATCH_ABOVE_BYTES } from '../../src/util/tick-batched-duplex.js'

/** Records what each _write/_writev call was given (chunk sizes) and completes it a turn later. */
class Recorder extends TickBatchedDuplex {
  readonly calls: number[][] = []
  constructor () { super({ writableHighWaterMark: 1 << 20 }) }
  override _read (): void {}
  override _write (chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.calls.push([chunk.length])
    setImmediate(callback)
  }

  override _writev (chunks: Array<{ chunk: Buffer }>, callback: () => void): void {
    this.calls.push(chunks.map(c => c.chunk.length))
    setImmediate(callback)
  }
}

const LARGE = TICK_BATCH_ABOVE_BYTES + 1

t.test('large writes of one tick, the first included, go down in one call', async t => {
  const stream = new Recorder()
  for (let i = 0; i < 4; i++) stream.write(Buffer.alloc(LARGE))
  t.same(stream.calls, [], 'held until the end of the tick')
  await new Promise(resolve => process.nextTick(resolve))
  t.same(stream.calls, [[LARGE, LARGE, LARGE, LARGE]])
})

t.test('a writer awaiting writes that did not need to wait stays in one tick', async t => {
  const stream = new Recorder()
  const done = Promise.resolve()
  // as a writer resumed by a promise (after 'drain'): from a microtask
  await done
  for (let i = 0; i < 4; i++) await (stream.write(Buffer.alloc(LARGE)) ? done : Promise.reject(new Error('buffer full')))
  await new Promise(resolve => process.nextTick(resolve))
  t.same(stream.calls, [[LARGE, LARGE, LARGE, LARGE]])
})

t.test('a small write goes down at once', async t => {
  const stream = new Recorder()
  stream.write(Buffer.alloc(TICK_BATCH_ABOVE_BYTES))
  t.same(stream.calls, [[TICK_BATCH_ABOVE_BYTES]])
})

t.test('end() in the same tick sends what was held, then finishes', async t => {
  const stream = new Recorder()
  stream.write(Buffer.alloc(LARGE))
  stream.write(Buffer.alloc(LARGE))
  stream.end()
  await new Promise(resolve => stream.once('finish', resolve))
  t.same(stream.calls, [[LARGE, LARGE]])
  t.equal(stream.writableCorked, 0, 'nothing left corked')
})

t.test('a user cork() spans ticks: ours only adds to it', async t => {
  const stream = new Recorder()
  stream.cork()
  stream.write(Buffer.alloc(LARGE))
  await new Promise(resolve => setImmediate(resolve))
  t.same(stream.calls, [], 'still corked by the user')
  stream.uncork()
  t.same(stream.calls, [[LARGE]])
})
