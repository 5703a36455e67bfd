import t from 'tap'
import { StreamReader } from '../../src/util/stream-reader.js'
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
