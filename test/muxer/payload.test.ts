import t from 'tap'
import { ownPayload, RETAINED_MAX_RATIO } from '../../src/muxer/payload.js'

t.test('a payload that is a small part of its buffer is copied into memory of its own', async t => {
  const chunk = Buffer.alloc(64 * 1024, 9)
  chunk[100] = 7
  const view = chunk.subarray(100, 101)
  const kept = ownPayload(view)
  t.not(kept, view, 'a copy')
  t.equal(kept.buffer.byteLength, 1, 'exactly its own length behind it')
  t.same([...kept], [7], 'the same byte')
  chunk[100] = 0
  t.equal(kept[0], 7, 'independent of the chunk afterwards')
})

t.test('a small copy does not come from the shared pool (whose 8 KiB slab it would keep)', async t => {
  const pooled = Buffer.from('abc')
  t.ok(pooled.buffer.byteLength > 3 * RETAINED_MAX_RATIO, 'Buffer.from of 3 bytes is a slice of the pool')
  const kept = ownPayload(pooled)
  t.equal(kept.buffer.byteLength, 3)
  t.equal(Buffer.from(kept).toString(), 'abc')
})

t.test('a payload filling at least a quarter of its buffer is kept as it is', async t => {
  const chunk = Buffer.alloc(64 * 1024)
  const quarter = chunk.subarray(0, 16 * 1024)
  t.equal(ownPayload(quarter), quarter)
  const justUnder = chunk.subarray(0, 16 * 1024 - 1)
  t.not(ownPayload(justUnder), justUnder, 'one byte less than a quarter is copied')
  t.equal(ownPayload(chunk), chunk)
  const whole = new Uint8Array(10)
  t.equal(ownPayload(whole), whole)
})

t.test('an empty payload is kept as it is when its buffer is empty, and copied (to nothing) otherwise', async t => {
  const empty = new Uint8Array(0)
  t.equal(ownPayload(empty), empty)
  const emptyView = Buffer.alloc(100).subarray(5, 5)
  t.equal(ownPayload(emptyView).buffer.byteLength, 0)
})
