import t from 'tap'
import fc from 'fast-check'
import { decodeUvarint, encodeUvarint, writeUvarint, uvarintLength } from '../../src/util/varint.js'
import { ByteQueue } from '../../src/util/byte-queue.js'

t.test('varint spec examples (multiformats/unsigned-varint README)', async t => {
  const cases: Array<[number, number[]]> = [
    [1, [0x01]], [127, [0x7f]], [128, [0x80, 0x01]], [255, [0xff, 0x01]],
    [300, [0xac, 0x02]], [16384, [0x80, 0x80, 0x01]]
  ]
  for (const [value, bytes] of cases) {
    t.same([...encodeUvarint(value)], bytes, `encode ${value}`)
    t.same(decodeUvarint(Uint8Array.from(bytes)), { value, bytes: bytes.length }, `decode ${value}`)
  }
  t.equal(decodeUvarint(Uint8Array.from([0x80])), undefined, 'incomplete')
  t.throws(() => decodeUvarint(Uint8Array.from([0x80, 0x00])), { code: 'ERR_INVALID_VARINT' }, 'not minimal')
  t.throws(() => encodeUvarint(-1), { code: 'ERR_INVALID_VARINT' })
})

t.test('varint round trip', async t => {
  fc.assert(fc.property(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), value => {
    const buf = new Uint8Array(uvarintLength(value) + 2)
    const end = writeUvarint(value, buf, 1)
    const decoded = decodeUvarint(buf, 1)
    return end === uvarintLength(value) + 1 && decoded?.value === value && decoded.bytes === end - 1
  }))
})

t.test('ByteQueue: any split gives the same bytes', async t => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), fc.array(fc.nat(50)), fc.array(fc.nat(40)), (data, cuts, takes) => {
    const q = new ByteQueue()
    let pos = 0
    for (const c of cuts) { q.push(data.subarray(pos, Math.min(data.length, pos + c))); pos = Math.min(data.length, pos + c) }
    q.push(data.subarray(pos))
    const out: number[] = []
    for (const n of takes) {
      if (n <= q.length) {
        if (n > 0) t.equal(q.byteAt(0), data[out.length])
        const chunks = n % 2 === 0 ? [q.take(n)!] : q.takeChunks(n)!
        for (const c of chunks) out.push(...c)
      } else t.equal(q.take(n), undefined)
    }
    out.push(...q.takeAll())
    return q.length === 0 && Buffer.from(out).equals(Buffer.from(data))
  }))
})
