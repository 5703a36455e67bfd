import t from 'tap'
import { StreamReader, readTimeLimit } from '../../src/util/stream-reader.js'
import { duplexPair } from '../helpers/duplex-pair.js'
import { isP2PError } from '../../src/util/errors.js'

t.test('reads exact counts and leaves the rest in the stream', async t => {
  const [a, b] = duplexPair()
  a.write(Uint8Array.from([3, 1, 2, 3, 9, 9]))
  const reader = new StreamReader(b)
  const body = await reader.readLengthPrefixed(10)
  t.same([...body], [1, 2, 3])
  // the next layer sees the leftover bytes through ordinary stream reading
  a.end()
  const rest: number[] = []
  for await (const chunk of b) rest.push(...chunk)
  t.same(rest, [9, 9])
})

t.test('waits for bytes split across writes', async t => {
  const [a, b] = duplexPair()
  const reader = new StreamReader(b)
  const p = reader.readExactly(4)
  a.write(Uint8Array.from([1, 2]))
  setTimeout(() => a.write(Uint8Array.from([3, 4, 5])), 5)
  t.same([...await p], [1, 2, 3, 4])
  t.same([...await reader.readExactly(1)], [5])
})

t.test('EOF, over-long prefix and abort are typed errors', async t => {
  const [a, b] = duplexPair()
  a.write(Uint8Array.from([5, 1]))
  a.end()
  await t.rejects(new StreamReader(b).readLengthPrefixed(10), { code: 'ERR_UNEXPECTED_EOF' })

  const [c, d] = duplexPair()
  c.write(Uint8Array.from([0x80, 0x01]))
  await t.rejects(new StreamReader(d).readLengthPrefixed(100, 'ERR_TOO_LONG'), { code: 'ERR_TOO_LONG' })

  const [, f] = duplexPair()
  const controller = new AbortController()
  const p = new StreamReader(f, controller.signal).readExactly(1)
  controller.abort(new Error('stop'))
  await t.rejects(p, { message: 'stop' })

  const [g, h] = duplexPair()
  g.write(Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]))
  try {
    await new StreamReader(h).readUvarint()
    t.fail('expected an error')
  } catch (err) {
    t.ok(isP2PError(err, 'ERR_INVALID_VARINT'))
  }
})

t.test('a time limit covers all of a reader\'s waits together, and leaves no timer behind', async t => {
  const [a, b] = duplexPair()
  const reader = new StreamReader(b, undefined, readTimeLimit(60, () => new Error('the reads took too long')))
  const started = performance.now()
  // the first wait ends in time; the second shares what is left of the limit
  setTimeout(() => { a.write(Uint8Array.from([1])) }, 30)
  t.same([...await reader.readExactly(1)], [1])
  await t.rejects(reader.readExactly(1), { message: 'the reads took too long' })
  const elapsed = performance.now() - started
  t.ok(elapsed >= 55 && elapsed < 1000, `timed out ${elapsed.toFixed(0)} ms after the limit was set, not after the second wait began`)
  // the limit is spent: a wait rejects at once; buffered bytes are still read
  a.write(Uint8Array.from([2]))
  await new Promise(resolve => setImmediate(resolve))
  t.same([...await reader.readExactly(1)], [2], 'bytes already here need no wait')
  await t.rejects(reader.readExactly(1), { message: 'the reads took too long' })
  t.equal(b.listenerCount('readable'), 0, 'no listener left on the stream')
})

t.test('a wait that ends before the time limit clears its timer', async t => {
  const [a, b] = duplexPair()
  const timers = (): number => process.getActiveResourcesInfo().filter(kind => kind === 'Timeout').length
  const before = timers()
  const reader = new StreamReader(b, undefined, readTimeLimit(5_000, () => new Error('late')))
  setTimeout(() => { a.write(Uint8Array.from([7])) }, 5)
  t.same([...await reader.readExactly(1)], [7])
  t.equal(timers(), before, 'the wait\'s timer is gone with the wait')
  t.equal(b.listenerCount('readable'), 0)
})
