import t from 'tap'
import fc from 'fast-check'
import { ByteQueue } from '../../src/util/byte-queue.js'

type Op =
  | { op: 'push', bytes: Uint8Array }
  | { op: 'take' | 'takeChunks' | 'skip' | 'peek', n: number }
  | { op: 'byteAt', index: number }

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant('push' as const), bytes: fc.uint8Array({ maxLength: 40 }) }),
  fc.record({ op: fc.constantFrom('take' as const, 'takeChunks' as const, 'skip' as const, 'peek' as const), n: fc.integer({ min: 0, max: 90 }) }),
  fc.record({ op: fc.constant('byteAt' as const), index: fc.integer({ min: 0, max: 90 }) })
)

t.test('every operation agrees with a plain byte array, whatever the chunking', async t => {
  fc.assert(fc.property(fc.array(opArb, { maxLength: 300 }), ops => {
    const queue = new ByteQueue()
    let model: number[] = []
    for (const step of ops) {
      switch (step.op) {
        case 'push':
          queue.push(step.bytes)
          model.push(...step.bytes)
          break
        case 'byteAt':
          if (step.index < model.length && queue.byteAt(step.index) !== model[step.index]) return false
          break
        case 'peek': {
          const got = queue.peek(step.n)
          if (step.n > model.length) { if (got !== undefined) return false; break }
          if (got === undefined || Buffer.compare(Buffer.from(got), Buffer.from(model.slice(0, step.n))) !== 0) return false
          break
        }
        case 'take':
        case 'takeChunks': {
          const got = step.op === 'take' ? queue.take(step.n) : queue.takeChunks(step.n)
          if (step.n > model.length) { if (got !== undefined) return false; break }
          if (got === undefined) return false
          const bytes = got instanceof Uint8Array ? got : Buffer.concat(got)
          if (Buffer.compare(Buffer.from(bytes), Buffer.from(model.slice(0, step.n))) !== 0) return false
          model = model.slice(step.n)
          break
        }
        case 'skip':
          if (step.n > model.length) {
            try { queue.skip(step.n); return false } catch (err) { if (!(err instanceof RangeError)) return false }
            break
          }
          queue.skip(step.n)
          model = model.slice(step.n)
          break
      }
      if (queue.length !== model.length) return false
    }
    return Buffer.compare(Buffer.from(queue.takeAll()), Buffer.from(model)) === 0
  }), { numRuns: 300 })
})

t.test('many tiny chunks are consumed in linear time (a peer sending 1-byte messages)', async t => {
  // with Array.shift() per consumed chunk this took minutes (each shift
  // copies the rest of a long array); the test then runs into tap's timeout
  const count = 300_000
  const queue = new ByteQueue()
  for (let i = 0; i < count; i++) queue.push(Uint8Array.of(i & 0xff))
  const chunks = queue.takeChunks(count - 10) ?? []
  t.equal(chunks.length, count - 10)
  t.ok(chunks.every((c, i) => c.length === 1 && c[0] === (i & 0xff)), 'every byte in order')
  t.same([...queue.takeAll()], Array.from({ length: 10 }, (_, i) => (count - 10 + i) & 0xff))
  for (let i = 0; i < count; i++) queue.push(Uint8Array.of(7))
  let taken = 0
  while (queue.length > 0) { queue.take(1); taken++ }
  t.equal(taken, count)
})
