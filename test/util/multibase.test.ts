import t from 'tap'
import fc from 'fast-check'
import { readFileSync } from 'node:fs'
import {
  base58btc, base36, base36upper, base32, base32upper, base64url, base64, base16, decodeMultibase, encodeMultibase, type BaseCodec
} from '../../src/util/multibase.js'

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
  // multibase table: 'm' is base64 "rfc4648 no padding"; padding is for 'M', which we do not read
  t.throws(() => decodeMultibase('meWVzIG1hbmkgIQ=='), { code: 'ERR_INVALID_MULTIBASE' }, "'m' with padding is refused")
})

interface MultibaseVectors {
  source: string
  vectors: Array<{ input: string, encodings: Record<string, string> }>
  caseInsensitive: { input: string, texts: Record<string, string> }
}
const vectors = JSON.parse(readFileSync(new URL('../../spec-vectors/util/multibase.json', import.meta.url), 'utf8')) as MultibaseVectors
const CODECS: Record<string, BaseCodec> = { base58btc, base36, base36upper, base32, base32upper, base64url, base64, base16 }

t.test('multibase test suite vectors (spec-vectors/util/multibase.json)', async t => {
  t.match(vectors.source, /multiformats\/multibase/)
  for (const v of vectors.vectors) {
    const input = Buffer.from(v.input, 'utf8')
    t.same(Object.keys(v.encodings).sort(), Object.keys(CODECS).sort(), 'every codec has a vector')
    for (const [name, text] of Object.entries(v.encodings)) {
      const codec = CODECS[name]
      t.equal(encodeMultibase(codec, input), text, `${name} encodes ${JSON.stringify(v.input)}`)
      t.equal(Buffer.from(decodeMultibase(text)).toString('hex'), input.toString('hex'), `${name} decodes ${text}`)
    }
  }
})

t.test('base16, base32 and base36 decode letters of either case (case_insensitivity.csv)', async t => {
  const { input, texts } = vectors.caseInsensitive
  for (const [name, text] of Object.entries(texts)) {
    t.equal(Buffer.from(decodeMultibase(text)).toString('utf8'), input, `${name} ${text}`)
  }
  // encoders still write one canonical case per prefix
  t.equal(encodeMultibase(base32, Buffer.from(input)), 'bnbswy3dpeb3w64tmmq')
  t.equal(encodeMultibase(base32upper, Buffer.from(input)), 'BNBSWY3DPEB3W64TMMQ')
  t.equal(encodeMultibase(base36upper, Buffer.from(input)), 'KFUVRSIVVNFRBJWAJO')
  // base58btc is case-sensitive: swapping a letter's case changes the value
  t.notSame([...base58btc.decode('7paNL19xttacUY')], [...base58btc.decode('7PaNL19xttacUY')])
  // '1', '8', '9' and non-ASCII are outside base32 and base36 in any case
  t.throws(() => base32upper.decode('AB1'), { code: 'ERR_INVALID_MULTIBASE', message: /character "1" at 2/ })
  t.throws(() => base36.decode('a-b'), { code: 'ERR_INVALID_MULTIBASE', message: /character "-" at 1/ })
  t.throws(() => base36.decode('é'), { code: 'ERR_INVALID_MULTIBASE' })
  t.throws(() => base16.decode('0g'), { code: 'ERR_INVALID_MULTIBASE' })
  // RFC 4648: non-zero unused trailing bits are not canonical, in either case
  t.throws(() => base32upper.decode('AB'), { code: 'ERR_INVALID_MULTIBASE', message: /non-canonical/ })
  t.throws(() => base32.decode('ab'), { code: 'ERR_INVALID_MULTIBASE', message: /non-canonical/ })
})

t.test('base36 keeps leading zero bytes as leading "0" digits', async t => {
  t.equal(base36.encode(Uint8Array.of(0, 0, 35)), '00z')
  t.same([...base36.decode('00z')], [0, 0, 35])
  t.same([...base36.decode('10')], [36])
  t.equal(base36.encode(new Uint8Array(0)), '')
})

t.test('bad characters are typed errors', async t => {
  t.throws(() => base58btc.decode('0OIl'), { code: 'ERR_INVALID_MULTIBASE' })
  t.throws(() => base32.decode('abc1'), { code: 'ERR_INVALID_MULTIBASE' })
  t.throws(() => base64url.decode('a+b'), { code: 'ERR_INVALID_MULTIBASE' })
  t.throws(() => decodeMultibase('Qxyz'), { code: 'ERR_INVALID_MULTIBASE' })
  t.throws(() => decodeMultibase(''), { code: 'ERR_INVALID_MULTIBASE' })
})

t.test('round trips', async t => {
  for (const codec of Object.values(CODECS)) {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), bytes =>
      Buffer.from(codec.decode(codec.encode(bytes))).equals(Buffer.from(bytes))), { numRuns: 200 })
  }
})
