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

t.test('take…: bytes already buffered come back at once, not as a promise; the rest as one', async t => {
  const [a, b] = duplexPair()
  // two messages (lengths 2 and 130, the second with a two-byte varint) and three bytes more
  const long = Array.from({ length: 130 }, (_, i) => i)
  a.write(Uint8Array.from([2, 7, 8, 0x82, 0x01, ...long, 1, 2, 3]))
  await new Promise(resolve => setImmediate(resolve))
  const reader = new StreamReader(b)
  const first = reader.takeLengthPrefixed(200)
  t.ok(first instanceof Uint8Array, 'a whole buffered message is no promise')
  t.same([...(first as Uint8Array)], [7, 8])
  const second = reader.takeLengthPrefixed(200)
  t.ok(second instanceof Uint8Array)
  t.same([...(second as Uint8Array)], long)
  const exact = reader.takeExactly(2)
  t.same(exact instanceof Uint8Array ? [...exact] : 'a promise', [1, 2])
  t.same(reader.takeExactly(0), new Uint8Array(0))

  // the byte left (3) is a whole length prefix: the body's 3 bytes are awaited
  const pending = reader.takeLengthPrefixed(200)
  t.ok(pending instanceof Promise, 'a message not all here is a promise')
  a.write(Uint8Array.from([0x81, 0x01]))
  setTimeout(() => a.write(Uint8Array.from([...long, 5, 6, 9])), 5)
  t.same([...await pending], [0x81, 0x01, ...long.slice(0, 1)])
  t.same([...await reader.readExactly(2)], long.slice(1, 3))
})

t.test('take…: a varint split across writes, and errors thrown at once or rejected', async t => {
  const [a, b] = duplexPair()
  a.write(Uint8Array.from([0x82]))
  await new Promise(resolve => setImmediate(resolve))
  const reader = new StreamReader(b)
  const pending = reader.takeLengthPrefixed(200)
  t.ok(pending instanceof Promise, 'half a varint: the rest is awaited')
  setTimeout(() => a.write(Uint8Array.from([0x01, ...Array.from({ length: 130 }, () => 4), 9])), 5)
  const body = await pending
  t.equal(body.length, 130)
  t.ok(body.every(x => x === 4))
  t.same([...await reader.readExactly(1)], [9], 'nothing over-read')

  // a prefix over the limit, already here: thrown at once, before the body is read
  const [c, d] = duplexPair()
  c.write(Uint8Array.from([0x80, 0x01, 1, 2]))
  await new Promise(resolve => setImmediate(resolve))
  t.throws(() => new StreamReader(d).takeLengthPrefixed(100, 'ERR_TOO_LONG'), { code: 'ERR_TOO_LONG' })
  // ... and when the prefix arrives later: rejected
  const [e, f] = duplexPair()
  const late = new StreamReader(f).takeLengthPrefixed(100, 'ERR_TOO_LONG')
  setTimeout(() => e.write(Uint8Array.from([0x80, 0x01])), 5)
  await t.rejects(late as Promise<Uint8Array>, { code: 'ERR_TOO_LONG' })

  // a non-minimal varint and an over-long one, both already here
  const [g, h] = duplexPair()
  g.write(Uint8Array.from([0x81, 0x00]))
  await new Promise(resolve => setImmediate(resolve))
  t.throws(() => new StreamReader(h).takeLengthPrefixed(100), { code: 'ERR_INVALID_VARINT' })
  const [i, j] = duplexPair()
  i.write(Uint8Array.from(Array.from({ length: 10 }, () => 0xff)))
  await new Promise(resolve => setImmediate(resolve))
  t.throws(() => new StreamReader(j).takeLengthPrefixed(100), { code: 'ERR_INVALID_VARINT', message: /longer than 9 bytes/ })

  // an aborted reader throws at once, even with bytes buffered
  const [k, l] = duplexPair()
  k.write(Uint8Array.from([1, 1]))
  await new Promise(resolve => setImmediate(resolve))
  const controller = new AbortController()
  controller.abort(new Error('stop'))
  t.throws(() => new StreamReader(l, controller.signal).takeExactly(2), { message: 'stop' })
})
