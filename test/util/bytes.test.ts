import t from 'tap'
import fc from 'fast-check'
import { asBuffer, concatBytes, equalBytes } from '../../src/util/bytes.js'

t.test('equalBytes compares length and every byte', async t => {
  t.ok(equalBytes(Uint8Array.of(), Uint8Array.of()))
  t.ok(equalBytes(Uint8Array.of(1, 2, 3), Buffer.from([1, 2, 3])), 'a Buffer is a Uint8Array')
  t.notOk(equalBytes(Uint8Array.of(1, 2, 3), Uint8Array.of(1, 2)), 'prefix')
  t.notOk(equalBytes(Uint8Array.of(1, 2, 3), Uint8Array.of(1, 2, 4)), 'last byte')
  t.notOk(equalBytes(Uint8Array.of(0, 2, 3), Uint8Array.of(1, 2, 3)), 'first byte')
  const backing = Uint8Array.of(9, 1, 2, 9)
  t.ok(equalBytes(backing.subarray(1, 3), Uint8Array.of(1, 2)), 'views compare their own window')
  fc.assert(fc.property(fc.uint8Array({ maxLength: 32 }), fc.uint8Array({ maxLength: 32 }), (a, b) =>
    equalBytes(a, b) === Buffer.from(a).equals(Buffer.from(b))), { numRuns: 200 })
})

t.test('concatBytes joins the parts into a new array', async t => {
  t.same([...concatBytes([])], [])
  t.same([...concatBytes([Uint8Array.of(1), Uint8Array.of(), Uint8Array.of(2, 3)])], [1, 2, 3])
  const only = Uint8Array.of(7, 8)
  const joined = concatBytes([only])
  t.not(joined, only, 'a single part is copied, never aliased')
  only[0] = 0
  t.same([...joined], [7, 8])
  fc.assert(fc.property(fc.array(fc.uint8Array({ maxLength: 16 }), { maxLength: 6 }), parts =>
    Buffer.from(concatBytes(parts)).equals(Buffer.concat(parts))), { numRuns: 200 })
})

t.test('asBuffer is a view of the same memory', async t => {
  const backing = Uint8Array.of(0, 0xab, 0xcd, 0)
  const view = asBuffer(backing.subarray(1, 3))
  t.equal(view.toString('hex'), 'abcd')
  view[0] = 1
  t.equal(backing[1], 1, 'writes go through: no copy')
})
