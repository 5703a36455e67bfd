import t from 'tap'
import { parseByteSize } from '../../src/util/byte-size.js'

t.test('whole numbers and binary units', async t => {
  t.equal(parseByteSize('0'), 0)
  t.equal(parseByteSize('65536'), 65536)
  t.equal(parseByteSize('17B'), 17)
  t.equal(parseByteSize('64KiB'), 65536)
  t.equal(parseByteSize('64k'), 65536)
  t.equal(parseByteSize('1.5MiB'), 1.5 * 2 ** 20)
  t.equal(parseByteSize('10 mib'), 10 * 2 ** 20)
  t.equal(parseByteSize('2GiB'), 2 * 2 ** 30)
  t.equal(parseByteSize(' 3g '), 3 * 2 ** 30)
})

t.test('anything else is no size', async t => {
  for (const bad of ['', 'lots', '-1', '1e6', '0x10', '1.', '.5KiB', '64KB', '64 KiB B', '0.1KiB', '1.5B', '9007199254740993', '99999999GiB']) {
    t.equal(parseByteSize(bad), undefined, JSON.stringify(bad))
  }
})
