// NoiseSecureStream hands its sealing one kind of array, whether the plaintext
// came through _write (one chunk) or _writev (a queue of them), and also once
// V8 has optimized _writev. Not a protocol rule: an array of another elements
// kind is another hidden class, and seal()'s optimized code was thrown away
// and compiled again each time a transfer turned direction (--trace-deopt:
// "wrong map"), because an optimized chunks.map() returned holey arrays.
// V8's own test functions (%-natives) tell the elements kind and the class.

import t from 'tap'
import v8 from 'node:v8'
import { Duplex } from 'node:stream'
import { CipherState, NoiseSecureStream, nodeCrypto } from '../../src/noise/index.js'

v8.setFlagsFromString('--allow-natives-syntax')
// compiled after the flag is set, so they may use the natives
const isHoley = new Function('a', 'return %HasHoleyElements(a)') as (a: unknown[]) => boolean
const haveSameMap = new Function('a', 'b', 'return %HaveSameMap(a, b)') as (a: object, b: object) => boolean
const prepareForOptimization = new Function('f', '%PrepareFunctionForOptimization(f)') as (f: unknown) => void
const optimizeOnNextCall = new Function('f', '%OptimizeFunctionOnNextCall(f)') as (f: unknown) => void

/** A connection that takes every write at once. */
class SinkConnection extends Duplex {
  override _read (): void {}
  override _write (_chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void { callback() }
}

type Seal = (chunks: Uint8Array[], index: number, offset: number, callback: (err?: Error | null) => void) => void

t.test('_write and _writev hand seal() packed arrays of one hidden class, also from an optimized _writev', async t => {
  const proto = NoiseSecureStream.prototype as unknown as { seal: Seal, _writev: unknown }
  const seal = proto.seal
  const handed: Uint8Array[][] = []
  proto.seal = function (this: NoiseSecureStream, chunks, index, offset, callback) {
    handed.push(chunks)
    seal.call(this, chunks, index, offset, callback)
  }
  t.teardown(() => { proto.seal = seal })

  const key = new Uint8Array(32).fill(5)
  const stream = new NoiseSecureStream(new SinkConnection(), new CipherState(nodeCrypto, key), new CipherState(nodeCrypto, key))
  const queueOf = async (count: number): Promise<void> => {
    stream.cork()
    for (let i = 0; i < count; i++) stream.write(Buffer.alloc(100, i))
    stream.uncork()
    await new Promise(resolve => setImmediate(resolve))
  }

  stream.write(Buffer.alloc(100))
  await new Promise(resolve => setImmediate(resolve))
  t.equal(handed.length, 1, 'one write: one call')
  const single = handed[0]
  for (let i = 0; i < 5; i++) await queueOf(32)
  prepareForOptimization(proto._writev)
  await queueOf(32)
  optimizeOnNextCall(proto._writev)
  await queueOf(32)
  await queueOf(40)

  t.equal(handed.length, 9, 'each queue went to seal() whole, in one call')
  t.equal(handed.slice(1).every(chunks => chunks.length >= 32), true, 'the queues were written with _writev')
  for (const [i, chunks] of handed.entries()) {
    t.equal(isHoley(chunks), false, `call ${i + 1} (${chunks.length} pieces): a packed array`)
    t.equal(haveSameMap(chunks, single), true, `call ${i + 1}: the hidden class of _write's array`)
  }
  stream.destroy()
})
