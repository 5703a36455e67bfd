import t from 'tap'
import fc from 'fast-check'
import { readFileSync } from 'node:fs'
import { ByteQueue } from '../../src/util/byte-queue.js'
import { isP2PError } from '../../src/util/errors.js'
import { decodeFrame, encodeFrame, Flag, MAX_MESSAGE_SIZE, type Frame, type FlagName } from '../../src/mplex/index.js'

interface FrameVector { description: string, spec: string, type: FlagName, streamId: number, name?: string, data?: string, bytes: string }
interface BadVector { description: string, spec: string, bytes: string, error?: string }
const vectors = JSON.parse(readFileSync(new URL('../../spec-vectors/mplex/frames.json', import.meta.url), 'utf8')) as {
  source: string, frames: FrameVector[], invalid: BadVector[], incomplete: BadVector[]
}

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'))
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
const concat = (chunks: readonly Uint8Array[]): Uint8Array => Uint8Array.from(Buffer.concat(chunks))

function frameOf (v: FrameVector): Frame {
  switch (v.type) {
    case 'NewStream': return { type: v.type, streamId: v.streamId, name: hex(v.name ?? '') }
    case 'MessageReceiver':
    case 'MessageInitiator': return { type: v.type, streamId: v.streamId, data: [hex(v.data ?? '')] }
    default: return { type: v.type, streamId: v.streamId }
  }
}

/** A frame with its payload chunks joined, for comparison. */
function normal (f: Frame): unknown {
  if (f.type === 'MessageReceiver' || f.type === 'MessageInitiator') return { type: f.type, streamId: f.streamId, data: toHex(concat(f.data)) }
  if (f.type === 'NewStream') return { type: f.type, streamId: f.streamId, name: toHex(f.name) }
  return { type: f.type, streamId: f.streamId }
}

function decodeAll (q: ByteQueue): Frame[] {
  const out: Frame[] = []
  for (let f = decodeFrame(q); f !== undefined; f = decodeFrame(q)) out.push(f)
  return out
}

t.test('vector file names its source', async t => {
  t.match(vectors.source, /libp2p\/specs mplex\/README\.md/)
  t.ok(vectors.frames.length >= 7)
  // every flag of the spec's table appears
  t.same(new Set(vectors.frames.map(v => v.type)), new Set(Object.keys(Flag)))
})

t.test('frames vectors: encode and decode byte for byte', async t => {
  for (const v of vectors.frames) {
    const frame = frameOf(v)
    t.equal(toHex(encodeFrame(frame)), v.bytes, `encode: ${v.description}`)
    const q = new ByteQueue()
    q.push(hex(v.bytes))
    const decoded = decodeFrame(q)
    t.same(decoded === undefined ? undefined : normal(decoded), normal(frame), `decode: ${v.description}`)
    t.equal(q.length, 0, 'consumed exactly the frame')
    // every proper prefix is "need more bytes" and consumes nothing
    const bytes = hex(v.bytes)
    for (let n = 0; n < bytes.length; n++) {
      const p = new ByteQueue()
      p.push(bytes.subarray(0, n))
      if (decodeFrame(p) !== undefined || p.length !== n) t.fail(`prefix ${n} of ${v.description} decoded`)
    }
  }
})

t.test('invalid vectors throw the typed error, from the header alone', async t => {
  for (const v of vectors.invalid) {
    const q = new ByteQueue()
    q.push(hex(v.bytes))
    t.throws(() => decodeFrame(q), { code: v.error, remote: true }, v.description)
  }
})

t.test('incomplete vectors need more bytes', async t => {
  for (const v of vectors.incomplete) {
    const q = new ByteQueue()
    q.push(hex(v.bytes))
    t.equal(decodeFrame(q), undefined, v.description)
    t.equal(q.length, hex(v.bytes).length, 'nothing consumed')
  }
})

t.test('a max-size message is accepted once complete, one byte more is not', async t => {
  const q = new ByteQueue()
  const body = new Uint8Array(MAX_MESSAGE_SIZE).fill(7)
  q.push(hex('0a808040'))
  q.push(body.subarray(0, 1000))
  t.equal(decodeFrame(q), undefined)
  q.push(body.subarray(1000))
  const f = decodeFrame(q)
  t.equal(f?.type, 'MessageInitiator')
  if (f?.type === 'MessageInitiator') {
    t.equal(concat(f.data).length, MAX_MESSAGE_SIZE)
    t.equal(f.data.length, 2, 'payload passed on as the two received chunks, not copied')
  }
  t.throws(() => encodeFrame({ type: 'MessageInitiator', streamId: 1, data: [new Uint8Array(MAX_MESSAGE_SIZE + 1)] }), { code: 'ERR_MPLEX_MESSAGE_TOO_LARGE' })
})

t.test('a Close or Reset with a body: body skipped, next frame intact', async t => {
  const q = new ByteQueue()
  q.push(hex('0c02abcd' + '0e00'))
  t.same(decodeAll(q).map(normal), [{ type: 'CloseInitiator', streamId: 1 }, { type: 'ResetInitiator', streamId: 1 }])
})

t.test('encode rejects stream IDs outside [0, 2^50 - 1]', async t => {
  for (const streamId of [-1, 1.5, 2 ** 50, Number.NaN]) {
    t.throws(() => encodeFrame({ type: 'CloseInitiator', streamId }), { code: 'ERR_INVALID_PARAMETERS' }, String(streamId))
  }
})

t.test('bad varints from the network are typed errors', async t => {
  const q = new ByteQueue()
  q.push(hex('ffffffffffffffffff01'))
  try {
    decodeFrame(q)
    t.fail('expected a throw')
  } catch (err) {
    t.ok(isP2PError(err, 'ERR_INVALID_VARINT'), 'ERR_INVALID_VARINT')
  }
})

t.test('padded varints decode as protobuf varints do ("an unsigned base128 varint, as defined in the protocol buffers spec")', async t => {
  const q = new ByteQueue()
  // NewStream 1 with a padded header; NewStream 2 with a padded length; a
  // Message on stream 1 with both padded; a 10-byte header, all padding
  q.push(hex('880000' + '108000' + '89800083' + '00616263' + '88808080808080808000' + '00'))
  t.same(decodeAll(q).map(normal), [
    { type: 'NewStream', streamId: 1, name: '' },
    { type: 'NewStream', streamId: 2, name: '' },
    { type: 'MessageReceiver', streamId: 1, data: '616263' },
    { type: 'NewStream', streamId: 1, name: '' }
  ])
  // still bounded: an 11-byte varint is refused, not read on
  const long = new ByteQueue()
  long.push(hex('8880808080808080808000' + '00'))
  t.throws(() => decodeFrame(long), { code: 'ERR_INVALID_VARINT' })
})

const frameArb: fc.Arbitrary<Frame> = fc.oneof(
  fc.record({ type: fc.constant('NewStream' as const), streamId: fc.nat(2 ** 20), name: fc.uint8Array({ maxLength: 20 }) }),
  fc.record({ type: fc.constantFrom('MessageReceiver' as const, 'MessageInitiator' as const), streamId: fc.nat(2 ** 40), data: fc.uint8Array({ maxLength: 300 }).map(d => [d]) }),
  fc.record({ type: fc.constantFrom('CloseReceiver' as const, 'CloseInitiator' as const, 'ResetReceiver' as const, 'ResetInitiator' as const), streamId: fc.nat(2 ** 50 - 1) })
)

t.test('property: any frames, any split of their bytes, decode to the same frames', async t => {
  fc.assert(fc.property(fc.array(frameArb, { maxLength: 20 }), fc.array(fc.nat(40), { maxLength: 40 }), (frames, cuts) => {
    const bytes = concat(frames.map(encodeFrame))
    const q = new ByteQueue()
    const out: Frame[] = []
    let pos = 0
    for (const c of [...cuts, bytes.length]) {
      const end = Math.min(bytes.length, pos + c)
      q.push(bytes.subarray(pos, end))
      pos = end
      out.push(...decodeAll(q))
    }
    return q.length === 0 && JSON.stringify(out.map(normal)) === JSON.stringify(frames.map(normal))
  }), { numRuns: 200 })
  t.pass('200 runs')
})
