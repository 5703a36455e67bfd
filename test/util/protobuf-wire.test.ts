// The protobuf wire helpers, cross-checked against protobufjs (an independent
// implementation of the protobuf.dev "Encoding" rules).
import t from 'tap'
import fc from 'fast-check'
import protobuf from 'protobufjs'
import { FieldWriter, WireType, fieldBytes, fieldString, fieldVarint, readFields } from '../../src/util/protobuf-wire.js'

const CODE = 'ERR_TEST_INVALID_MESSAGE'
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex')

t.test('FieldWriter writes what protobufjs writes, byte for byte', async t => {
  fc.assert(fc.property(
    fc.integer({ min: 1, max: 0x1fffffff }), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), fc.uint8Array({ maxLength: 300 }), fc.string(),
    (number, varint, bytes, text) => {
      const ours = new FieldWriter().uint64(number, varint).bytes(number, bytes).string(number, text).finish()
      const w = protobuf.Writer.create()
      w.uint32(number * 8 + 0).uint64(protobuf.util.LongBits.from(varint.toString()).toLong(true))
      w.uint32(number * 8 + 2).bytes(bytes)
      w.uint32(number * 8 + 2).string(text)
      return hex(ours) === hex(w.finish())
    }), { numRuns: 200 })
  // protobuf.dev "Encoding", the first examples: field 1 = 150 → 08 96 01; field 2 = "testing" → 12 07 74 65 73 74 69 6e 67
  t.equal(hex(new FieldWriter().uint64(1, 150n).finish()), '089601')
  t.equal(hex(new FieldWriter().string(2, 'testing').finish()), '120774657374696e67')
  t.throws(() => new FieldWriter().uint64(1, -1n), { code: 'ERR_INVALID_PARAMETERS' })
  t.throws(() => new FieldWriter().uint64(1, 1n << 64n), { code: 'ERR_INVALID_PARAMETERS' })
  t.throws(() => new FieldWriter().bytes(0, Uint8Array.of()), { code: 'ERR_INVALID_PARAMETERS', message: /field number 0/ })
  t.throws(() => new FieldWriter().string(0x20000000, ''), { code: 'ERR_INVALID_PARAMETERS' })
})

t.test('readFields reads every wire type protobufjs writes', async t => {
  const w = protobuf.Writer.create()
  w.uint32(1 << 3 | 0).uint64(protobuf.util.LongBits.from('18446744073709551615').toLong(true))
  w.uint32(2 << 3 | 1).fixed64(protobuf.util.LongBits.from('72623859790382856').toLong(true)) // 0x0102030405060708
  w.uint32(3 << 3 | 2).bytes(Uint8Array.of(9, 8, 7))
  w.uint32(4 << 3 | 5).fixed32(0xaabbccdd)
  w.uint32(0x1fffffff * 8 + 2).string('é')
  const fields = readFields(w.finish(), CODE)
  t.same(fields.map(f => [f.number, f.wireType]), [[1, 0], [2, 1], [3, 2], [4, 5], [0x1fffffff, 2]])
  t.equal(fieldVarint(fields[0], CODE), (1n << 64n) - 1n)
  t.equal(hex(fields[1].value as Uint8Array), '0807060504030201', 'I64 is little-endian')
  t.equal(hex(fieldBytes(fields[2], CODE)), '090807')
  t.equal(hex(fields[3].value as Uint8Array), 'ddccbbaa')
  t.equal(fieldString(fields[4], CODE), 'é')
  // a leading byte-order mark is part of the string: "\uFEFF/x" is not "/x"
  const bom = readFields(protobuf.Writer.create().uint32(1 << 3 | 2).string('\uFEFF/x').finish(), CODE)
  t.equal(fieldString(bom[0], CODE), '\uFEFF/x')
  t.equal(WireType.LEN, 2)
  // protobuf varints need not be minimal: a padded 1 is still 1
  t.equal(fieldVarint(readFields(Uint8Array.of(0x08, 0x81, 0x80, 0x00), CODE)[0], CODE), 1n)
})

t.test('malformed input: the caller\'s code, remote, and the message named', async t => {
  const cases: Array<[string, number[], RegExp]> = [
    ['truncated key varint', [0x88], /varint at offset 0 runs past the end/],
    ['truncated LEN', [0x0a, 5, 1, 2], /field 1 claims 5 bytes, 2 remain/],
    ['truncated I32', [0x0d, 1, 2], /field 1 needs 4 bytes, 2 remain/],
    ['truncated I64', [0x09, 1], /field 1 needs 8 bytes, 1 remain/],
    ['group start', [0x0b], /wire type 3/],
    ['group end', [0x0c], /wire type 4/],
    ['reserved wire type 6', [0x0e], /wire type 6/],
    ['field number 0', [0x02, 0], /field number 0 is outside/],
    ['varint over 10 bytes', [0x08, ...new Array(10).fill(0x80), 0x01], /longer than 10 bytes/],
    ['varint over 64 bits', [0x08, ...new Array(9).fill(0xff), 0x02], /exceeds 64 bits/]
  ]
  for (const [name, bytes, message] of cases) {
    t.throws(() => readFields(Uint8Array.from(bytes), CODE, 'Test'), { code: CODE, remote: true, message }, name)
    t.throws(() => readFields(Uint8Array.from(bytes), CODE, 'Test'), { message: /^invalid Test: / }, `${name}: message named`)
  }
  const [varint] = readFields(Uint8Array.of(0x08, 1), CODE)
  const [len] = readFields(Uint8Array.of(0x0a, 1, 0xff), CODE)
  t.throws(() => fieldBytes(varint, CODE), { code: CODE, message: /field 1 has wire type 0, expected 2/ })
  t.throws(() => fieldVarint(len, CODE), { code: CODE, message: /field 1 has wire type 2, expected 0/ })
  t.throws(() => fieldString(len, CODE, 'Test'), { code: CODE, remote: true, message: /^invalid Test: field 1 is not valid UTF-8/ })
  t.same(readFields(new Uint8Array(0), CODE), [], 'an empty message has no fields')
})

t.test('property: any prefix cut of a message is a typed error or fewer fields, never a crash', async t => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), bytes => {
    try {
      readFields(bytes, CODE)
    } catch (err) {
      return (err as { code?: string }).code === CODE
    }
    return true
  }), { numRuns: 500 })
})

t.test('keys and lengths (read as numbers) agree with protobufjs at every field number and size', async t => {
  fc.assert(fc.property(
    fc.integer({ min: 1, max: 0x1fffffff }),
    fc.uint8Array({ maxLength: 300 }),
    (number, bytes) => {
      const w = protobuf.Writer.create()
      w.uint32((number << 3 | 2) >>> 0).bytes(bytes)
      const fields = readFields(w.finish(), CODE)
      return fields.length === 1 && fields[0].number === number && fields[0].wireType === WireType.LEN &&
        hex(fields[0].value as Uint8Array) === hex(bytes)
    }), { numRuns: 300 })
  // the largest field number, its key padded to ten bytes (protobuf allows it), a length padded too
  const max = readFields(Uint8Array.of(0xfa, 0xff, 0xff, 0xff, 0x8f, 0x80, 0x80, 0x80, 0x80, 0x00, 0x82, 0x00, 7, 8), CODE)
  t.same(max.map(f => [f.number, f.wireType, hex(f.value as Uint8Array)]), [[0x1fffffff, WireType.LEN, '0708']])
  // one past it, and a key of 2^63 + 2 (bits a double cannot hold): refused, not wrapped around
  t.throws(() => readFields(Uint8Array.of(0x82, 0x80, 0x80, 0x80, 0x10, 0), CODE), { code: CODE, message: /field number 536870912 is outside/ })
  t.throws(() => readFields(Uint8Array.of(0x92, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01), CODE), { code: CODE, message: /is outside 1\.\.536870911/ })
  // a length of 2^63 (ten bytes): more than remains
  t.throws(() => readFields(Uint8Array.of(0x0a, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01, 1), CODE), { code: CODE, message: /field 1 claims \d+ bytes, 1 remain/ })
})
