import t from 'tap'
import fc from 'fast-check'
import { base58btc, base32, base64url, base64, base16, decodeMultibase, encodeMultibase } from '../../src/util/multibase.js'

// examples from multiformats/multibase tests/test1.csv ("yes mani !")
t.test('multibase spec examples', async t => {
  const input = new TextEncoder().encode('yes mani !')
  t.equal(encodeMultibase(base58btc, input), 'z7paNL19xttacUY')
  t.equal(encodeMultibase(base32, input), 'bpfsxgidnmfxgsibb')
  t.equal(encodeMultibase(base64url, input), 'ueWVzIG1hbmkgIQ')
  t.equal(encodeMultibase(base64, input), 'meWVzIG1hbmkgIQ')
  t.equal(encodeMultibase(base16, input), 'f796573206d616e692021')
  t.same([...decodeMultibase('z7paNL19xttacUY')], [...input])
  t.same([...base58btc.decode('1112')], [0, 0, 0, 1])
  t.equal(base58btc.encode(Uint8Array.from([0, 0, 1])), '112')
})

t.test('bad characters are typed errors', async t => {
  t.throws(() => base58btc.decode('0OIl'), { code: 'ERR_INVALID_MULTIBASE' })
  t.throws(() => base32.decode('abc1'), { code: 'ERR_INVALID_MULTIBASE' })
  t.throws(() => base64url.decode('a+b'), { code: 'ERR_INVALID_MULTIBASE' })
  t.throws(() => decodeMultibase('Qxyz'), { code: 'ERR_INVALID_MULTIBASE' })
  t.throws(() => decodeMultibase(''), { code: 'ERR_INVALID_MULTIBASE' })
})

t.test('round trips', async t => {
  for (const codec of [base58btc, base32, base64url, base64, base16]) {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), bytes =>
      Buffer.from(codec.decode(codec.encode(bytes))).equals(Buffer.from(bytes))), { numRuns: 200 })
  }
})
