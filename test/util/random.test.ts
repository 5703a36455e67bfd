// Pooled random bytes (src/util/random.ts): the length asked for, a copy of
// its own each time, no byte handed out twice (checked across pool refills),
// and large requests straight from the CSPRNG.
import t from 'tap'
import { randomBytes } from '../../src/util/random.js'

t.test('each call returns its own fresh bytes, across several pool refills', async t => {
  // 32-byte cuts: 4096 / 32 = 128 per pool; 1000 of them refill it ~8 times
  const results = Array.from({ length: 1000 }, () => randomBytes(32))
  t.ok(results.every(bytes => bytes.length === 32), 'the length asked for')
  t.ok(results.every(bytes => bytes.byteOffset === 0 && bytes.buffer.byteLength === 32), 'a copy, not a view into the pool')
  const seen = new Set(results.map(bytes => Buffer.from(bytes).toString('hex')))
  t.equal(seen.size, results.length, 'no two results alike (2^-256 odds otherwise)')
})

t.test('a cut that does not fit what is left of the pool comes from a new pool', async t => {
  const sizes = [1, 255, 256, 100, 4000 % 256, 3]
  const all: Uint8Array[] = []
  for (let round = 0; round < 40; round++) for (const n of sizes) all.push(randomBytes(n))
  t.same(all.map(b => b.length), Array.from({ length: 40 }, () => sizes).flat())
  // no 16-byte window of any result appears in another: bytes are not reused
  const windows = new Map<string, number>()
  let reused = 0
  all.forEach((bytes, index) => {
    for (let i = 0; i + 16 <= bytes.length; i += 16) {
      const key = Buffer.from(bytes.subarray(i, i + 16)).toString('hex')
      if ((windows.get(key) ?? index) !== index) reused++
      windows.set(key, index)
    }
  })
  t.equal(reused, 0, 'bytes handed out once')
})

t.test('writing to a result does not change later results', async t => {
  const a = randomBytes(64)
  a.fill(0)
  const b = randomBytes(64)
  t.not(b.buffer, a.buffer, 'each result owns its memory: no view into a shared pool')
  t.notOk(b.every(x => x === 0), 'the next cut is still random')
})

t.test('large requests bypass the pool', async t => {
  const big = randomBytes(10_000)
  t.equal(big.length, 10_000)
  t.ok(new Set(big).size > 200, 'bytes spread over the range')
})
