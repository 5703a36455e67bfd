// Frame codec: the hand-built vectors of spec-vectors/yamux/frames.json in
// both directions, every split of the byte stream, and the typed errors.
import t from 'tap'
import fc from 'fast-check'
import { readFileSync } from 'node:fs'
import { ByteQueue } from '../../src/util/byte-queue.js'
import { isP2PError } from '../../src/util/errors.js'
import { decodeFrame, decodeHeader, encodeFrame, type Frame } from '../../src/yamux/index.js'

interface VectorFrame { type: string, flags: number, streamId: number, dataHex?: string, delta?: number, opaque?: number, errorCode?: number }
const vectors = JSON.parse(readFileSync(new URL('../../spec-vectors/yamux/frames.json', import.meta.url), 'utf8')) as {
  source: string
  valid: Array<{ name: string, hex: string, frame: VectorFrame }>
  invalid: Array<{ name: string, hex: string, code: string }>
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

function toFrame (v: VectorFrame): Frame {
  switch (v.type) {
    case 'data': return { type: 'data', flags: v.flags, streamId: v.streamId, data: Buffer.from(v.dataHex ?? '', 'hex') }
    case 'windowUpdate': return { type: 'windowUpdate', flags: v.flags, streamId: v.streamId, delta: v.delta ?? -1 }
    case 'ping': return { type: 'ping', flags: v.flags, streamId: v.streamId, opaque: v.opaque ?? -1 }
    case 'goAway': return { type: 'goAway', flags: v.flags, streamId: v.streamId, errorCode: v.errorCode ?? -1 }
    default: throw new Error(`bad vector type ${v.type}`)
  }
}

/** The code of the remote P2PError `fn` throws ('none' when it does not throw). */
function thrownCode (fn: () => unknown): string {
  try {
    fn()
    return 'none'
  } catch (err) {
    return isP2PError(err) && err.remote ? err.code : `unexpected ${String(err)}`
  }
}

function normalise (f: Frame): unknown {
  return f.type === 'data' ? { ...f, data: hex(f.data) } : f
}

t.ok(vectors.source.includes('hashicorp/yamux spec.md'), 'vectors name their source')
t.ok(vectors.valid.length >= 39, 'every type and flag combination')

t.test('encode matches the hand-built bytes', async t => {
  for (const v of vectors.valid) t.equal(hex(encodeFrame(toFrame(v.frame))), v.hex, v.name)
})

t.test('decode gives the frame, consuming exactly its bytes', async t => {
  for (const v of vectors.valid) {
    const q = new ByteQueue()
    q.push(Buffer.from(v.hex + 'ff', 'hex'))
    const f = decodeFrame(q)
    t.ok(f, v.name)
    if (f !== undefined) t.same(normalise(f), normalise(toFrame(v.frame)), v.name)
    t.equal(q.length, 1, `${v.name}: the next byte stays queued`)
  }
})

t.test('every split: need more bytes until the frame is complete', async t => {
  const all = Buffer.from(vectors.valid.map(v => v.hex).join(''), 'hex')
  for (const split of [1, 2, 5, 11, 12, 13, 17]) {
    const q = new ByteQueue()
    const out: Frame[] = []
    for (let i = 0; i < all.length; i += split) {
      q.push(all.subarray(i, i + split))
      for (let f = decodeFrame(q); f !== undefined; f = decodeFrame(q)) out.push(f)
    }
    t.equal(out.length, vectors.valid.length, `split ${split}`)
    t.same(out.map(normalise), vectors.valid.map(v => normalise(toFrame(v.frame))), `split ${split}`)
  }
  const q = new ByteQueue()
  q.push(Buffer.from('0000000000000003000000', 'hex'))
  t.equal(decodeHeader(q), undefined, '11 bytes: need more')
  t.equal(q.length, 11, 'nothing consumed')
})

t.test('invalid headers give typed remote errors', async t => {
  for (const v of vectors.invalid) {
    const q = new ByteQueue()
    q.push(Buffer.from(v.hex, 'hex'))
    t.equal(thrownCode(() => decodeFrame(q)), v.code, v.name)
    const q2 = new ByteQueue()
    q2.push(Buffer.from(v.hex, 'hex'))
    t.equal(thrownCode(() => decodeHeader(q2)), v.code, v.name)
    t.equal(q2.length, 12, 'nothing consumed')
  }
})

t.test('encoder rejects out-of-range fields', async t => {
  t.throws(() => encodeFrame({ type: 'ping', flags: 0, streamId: 0, opaque: 2 ** 32 }), RangeError)
  t.throws(() => encodeFrame({ type: 'windowUpdate', flags: 0x10000, streamId: 1, delta: 0 }), RangeError)
  t.throws(() => encodeFrame({ type: 'goAway', flags: 0, streamId: -1, errorCode: 0 }), RangeError)
})

const arbFrame: fc.Arbitrary<Frame> = fc.oneof(
  fc.record({ type: fc.constant('data' as const), flags: fc.integer({ min: 0, max: 0xffff }), streamId: fc.nat({ max: 0xffffffff }), data: fc.uint8Array({ maxLength: 64 }) }),
  fc.record({ type: fc.constant('windowUpdate' as const), flags: fc.integer({ min: 0, max: 0xffff }), streamId: fc.nat({ max: 0xffffffff }), delta: fc.nat({ max: 0xffffffff }) }),
  fc.record({ type: fc.constant('ping' as const), flags: fc.integer({ min: 0, max: 0xffff }), streamId: fc.nat({ max: 0xffffffff }), opaque: fc.nat({ max: 0xffffffff }) }),
  fc.record({ type: fc.constant('goAway' as const), flags: fc.integer({ min: 0, max: 0xffff }), streamId: fc.nat({ max: 0xffffffff }), errorCode: fc.nat({ max: 0xffffffff }) })
)

t.test('property: any frames, any split, decode(encode(x)) = x', async t => {
  fc.assert(fc.property(fc.array(arbFrame, { maxLength: 20 }), fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 10 }), (frames, splits) => {
    const bytes = Buffer.concat(frames.map(encodeFrame))
    const q = new ByteQueue()
    const out: Frame[] = []
    let i = 0
    let s = 0
    while (i < bytes.length) {
      const n = splits[s++ % splits.length]
      q.push(bytes.subarray(i, i + n))
      i += n
      for (let f = decodeFrame(q); f !== undefined; f = decodeFrame(q)) out.push(f)
    }
    t.same(out.map(normalise), frames.map(normalise))
    return q.length === 0 && out.length === frames.length
  }), { numRuns: 200 })
})
