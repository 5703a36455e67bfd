// /onion, /onion3, /garlic64, /garlic32 (src/multiaddr/tor-i2p.ts): exact
// bytes of the go/rust vectors, round trips, case, and every rejection.
import t from 'tap'
import fc from 'fast-check'
import { readFileSync } from 'node:fs'
import { Multiaddr, multiaddr, protocolByName, CODE_ONION, CODE_ONION3, CODE_GARLIC64, CODE_GARLIC32 } from '../../src/multiaddr/index.js'
import { encodeUvarint } from '../../src/util/varint.js'

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex')
const fromHex = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'hex'))
const concat = (...parts: Uint8Array[]): Uint8Array => Uint8Array.from(parts.flatMap(p => [...p]))
const INVALID_VALUE = { code: 'ERR_MULTIADDR_INVALID_VALUE' }

// RFC 4648 base32 written out bit by bit here, so the tests do not lean on
// the codec's own encoder
function base32 (bytes: Uint8Array): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567'
  const bits = [...bytes].map(b => b.toString(2).padStart(8, '0')).join('')
  let out = ''
  for (let i = 0; i < bits.length; i += 5) out += alphabet[parseInt(bits.slice(i, i + 5).padEnd(5, '0'), 2)]
  return out
}
const i2pBase64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64').replace(/\+/g, '-').replace(/\//g, '~')

// go-multiaddr multiaddr_test.go TestStringToBytes / rust-multiaddr tests/lib.rs construct_success
const ONION = '/onion/aaimaq4ygg2iegci:80'
const ONION_HOST = [0, 16, 192, 67, 152, 49, 180, 130, 24, 72] // rust: Onion(Cow::Owned([...]), 80)
const ONION3_HOST_TEXT = 'vww6ybal4bd7szmgncyruucpgfkqahzddi37ktceo3ah7ngmcopnpyyd'
const ONION3_HOST = [173, 173, 236, 4, 11, 224, 71, 249, 101, 134, 104, 177, 26, 80, 79, 49, 85, 0, 31, 35, 26, 55, 245, 76, 68, 118, 192, 127, 180, 204, 19, 158, 215, 227, 3]
const GARLIC32 = '566niximlxdzpanmn4qouucvua3k7neniwss47li5r6ugoertzuq'
const GARLIC32_HEX = 'efbcd45d0c5dc79781ac6f20ea5055a036afb48d45a52e7d68ec7d4338919e69'

t.test('the protocol table rows', async t => {
  t.same(protocolByName('onion'), { code: 444, name: 'onion', size: { type: 'fixed', bits: 96 }, kind: 'onion' })
  t.same(protocolByName('onion3'), { code: 445, name: 'onion3', size: { type: 'fixed', bits: 296 }, kind: 'onion3' })
  t.same(protocolByName('garlic64'), { code: 446, name: 'garlic64', size: { type: 'variable' }, kind: 'garlic64' })
  t.same(protocolByName('garlic32'), { code: 447, name: 'garlic32', size: { type: 'variable' }, kind: 'garlic32' })
  t.same([CODE_ONION, CODE_ONION3, CODE_GARLIC64, CODE_GARLIC32], [444, 445, 446, 447])
})

t.test('/onion: code, 10 address bytes, big-endian port; no length prefix', async t => {
  const ma = multiaddr(ONION)
  t.equal(hex(ma.bytes), 'bc030010c0439831b48218480050')
  t.same([...ma.bytes], [0xbc, 0x03, ...ONION_HOST, 0x00, 0x50])
  t.equal(Multiaddr.fromBytes(ma.bytes).toString(), ONION)
  t.same(ma.components(), [{ code: 444, name: 'onion', value: 'aaimaq4ygg2iegci:80' }])
  // the port's two bytes, high byte first, at both ends of its range
  t.equal(hex(multiaddr('/onion/aaimaq4ygg2iegci:1').bytes), 'bc030010c0439831b48218480001')
  t.equal(hex(multiaddr('/onion/aaimaq4ygg2iegci:256').bytes), 'bc030010c0439831b48218480100')
  t.equal(hex(multiaddr('/onion/aaimaq4ygg2iegci:65535').bytes), 'bc030010c0439831b4821848ffff')
  // a fixed-size value: the next component starts right after the port
  const withHttp = multiaddr(`${ONION}/http`)
  t.equal(hex(withHttp.bytes), 'bc030010c0439831b48218480050e003')
  t.equal(Multiaddr.fromBytes(withHttp.bytes).toString(), `${ONION}/http`)
})

t.test('/onion3: code, 35 address bytes, big-endian port', async t => {
  const text = `/onion3/${ONION3_HOST_TEXT}:1234`
  const ma = multiaddr(text)
  t.equal(hex(ma.bytes), 'bd03adadec040be047f9658668b11a504f3155001f231a37f54c4476c07fb4cc139ed7e30304d2')
  t.same([...ma.bytes], [0xbd, 0x03, ...ONION3_HOST, 0x04, 0xd2])
  t.equal(ma.bytes.length, 2 + 37, '296 bits of value')
  t.equal(Multiaddr.fromBytes(ma.bytes).toString(), text)
  t.equal(Multiaddr.fromBytes(multiaddr(`/onion3/${ONION3_HOST_TEXT}:80/http`).bytes).toString(), `/onion3/${ONION3_HOST_TEXT}:80/http`)
})

t.test('base32 is read in either case and printed in lower case', async t => {
  for (const text of ['/onion/AAIMAQ4YGG2IEGCI:80', '/onion/aAiMaQ4yGg2iEgCi:80']) {
    t.equal(hex(multiaddr(text).bytes), 'bc030010c0439831b48218480050', text)
    t.equal(multiaddr(text).toString(), ONION)
    t.ok(multiaddr(text).equals(multiaddr(ONION)))
  }
  t.equal(multiaddr(`/onion3/${ONION3_HOST_TEXT.toUpperCase()}:1234`).toString(), `/onion3/${ONION3_HOST_TEXT}:1234`)
  t.equal(multiaddr(`/garlic32/${GARLIC32.toUpperCase()}`).toString(), `/garlic32/${GARLIC32}`)
  // protocol names stay case-sensitive
  t.throws(() => multiaddr(ONION.replace('onion', 'ONION')), { code: 'ERR_MULTIADDR_UNKNOWN_PROTOCOL' })
})

t.test('/onion and /onion3 text that must be refused', async t => {
  const o3 = ONION3_HOST_TEXT
  const cases: Array<[string, RegExp]> = [
    ['/onion/timaq4ygg2iegci', /has no ":<port>"/],
    ['/onion/timaq4ygg2iegci7', /has no ":<port>"/],
    ['/onion/timaq4ygg2iegci:80', /15 characters, expected 16/],
    ['/onion/aaimaq4ygg2iegci7:80', /17 characters, expected 16/],
    ['/onion/:80', /0 characters, expected 16/],
    ['/onion/9imaq4ygg2iegci7:80', /character "9"/],
    ['/onion/timaq4ygg2iegci@:666', /character "@"/],
    ['/onion/timaq4ygg2iegci0:80', /character "0"/],
    ['/onion/timaq4ygg2iegci1:80', /character "1"/],
    ['/onion/timaq4ygg2iegci=:80', /character "="/],
    ['/onion/timaq4ygg2iegci7:0', /port "0"/],
    ['/onion/timaq4ygg2iegci7:65536', /port "65536"/],
    ['/onion/timaq4ygg2iegci7:99999999999', /port/],
    ['/onion/timaq4ygg2iegci7:-1', /port "-1"/],
    ['/onion/timaq4ygg2iegci7:+80', /port "\+80"/],
    ['/onion/timaq4ygg2iegci7:080', /port "080"/],
    ['/onion/timaq4ygg2iegci7:0x50', /port/],
    ['/onion/timaq4ygg2iegci7:', /port ""/],
    ['/onion/timaq4ygg2iegci7:80:80', /port "80:80"/],
    ['/onion/timaq4ygg2iegci7/80', /has no ":<port>"/],
    [`/onion3/${o3}`, /has no ":<port>"/],
    [`/onion3/${o3}7:80`, /57 characters, expected 56/],
    ['/onion3/vww6ybal4bd7szmgncyruucpgfkqahzddi37ktceo3ah7ngmcopyyd:1234', /54 characters, expected 56/], // js 'onion3 bad length'
    [`/onion3/9${o3.slice(1)}:80`, /character "9"/],
    [`/onion3/${o3.slice(0, 55)}@:666`, /character "@"/],
    [`/onion3/${o3}:0`, /port "0"/],
    [`/onion3/${o3}:-1`, /port "-1"/],
    [`/onion3/${o3}:65536`, /port "65536"/],
    ['/onion', /needs a value/],
    ['/onion3/', /needs a value/]
  ]
  for (const [text, message] of cases) t.throws(() => multiaddr(text), { ...INVALID_VALUE, message }, text)
})

t.test('/onion and /onion3 bytes that must be refused', async t => {
  // port 0 has no text form, so its bytes are refused too
  t.throws(() => Multiaddr.fromBytes(fromHex('bc030010c0439831b48218480000')), { ...INVALID_VALUE, message: /port is 0/ })
  t.throws(() => Multiaddr.fromBytes(Uint8Array.from([0xbd, 0x03, ...ONION3_HOST, 0, 0])), { ...INVALID_VALUE, message: /port is 0/ })
  // one byte short of the fixed 12 / 37
  t.throws(() => Multiaddr.fromBytes(fromHex('bc030010c0439831b482184800')), { code: 'ERR_MULTIADDR_TRUNCATED' })
  t.throws(() => Multiaddr.fromBytes(Uint8Array.from([0xbd, 0x03, ...ONION3_HOST, 4])), { code: 'ERR_MULTIADDR_TRUNCATED' })
  // one byte long: the extra byte is read as the next protocol code
  t.throws(() => Multiaddr.fromBytes(fromHex('bc030010c0439831b4821848005000')), { code: 'ERR_MULTIADDR_UNKNOWN_PROTOCOL' })
})

t.test('/garlic32: 32 bytes (52 characters) or 35 and more (56 and more)', async t => {
  const ma = multiaddr(`/garlic32/${GARLIC32}`)
  t.equal(hex(ma.bytes), `bf0320${GARLIC32_HEX}`, 'code bf03, length 0x20, the hash')
  t.equal(Multiaddr.fromBytes(ma.bytes).toString(), `/garlic32/${GARLIC32}`)
  // go TestConstructSucceeds: the 35-byte encrypted-leaseset form
  const long = multiaddr(`/garlic32/${GARLIC32}zwas`)
  t.equal(hex(long.bytes), `bf0323${GARLIC32_HEX}0cd812`)
  t.equal(long.toString(), `/garlic32/${GARLIC32}zwas`)
  // 37 bytes (two-byte sig types): 60 characters, the last 4 bits zero
  const b37 = Uint8Array.from({ length: 37 }, (_, i) => i * 7)
  t.equal(multiaddr(`/garlic32/${base32(b37)}`).toString(), `/garlic32/${base32(b37)}`)
  t.equal(hex(multiaddr(`/garlic32/${base32(b37)}`).bytes), `bf0325${hex(b37)}`)

  const cases: Array<[string, RegExp]> = [
    [GARLIC32.slice(0, 51), /51 characters, expected 52 or at least 56/], // go TestConstructFails
    [`${GARLIC32.slice(0, 51)}77`, /53 characters/],
    [`${GARLIC32}a`, /53 characters/],
    [`${GARLIC32}aa`, /54 characters/],
    [`${GARLIC32}aaa`, /55 characters/],
    [`${GARLIC32}zwa`, /55 characters/],
    [`${GARLIC32}zwass`, /non-canonical trailing bits/], // 57 characters: 285 bits is no whole number of bytes
    [`${GARLIC32}zwassw`, /non-canonical trailing bits/], // go lists it as valid; its last 2 bits are not zero
    [`${GARLIC32.slice(0, 51)}r`, /non-canonical trailing bits/], // 'q' = 10000, 'r' = 10001
    [`${GARLIC32.slice(0, 51)}:80`, /54 characters/],
    [`${GARLIC32}:-1`, /55 characters/],
    [`${GARLIC32.slice(0, 51)}@`, /character "@"/],
    [`${GARLIC32.slice(0, 51)}1`, /character "1"/],
    [`${GARLIC32}.b32.i2p`, /character "\."/],
    ['', /0 characters/]
  ]
  for (const [value, message] of cases) t.throws(() => multiaddr(`/garlic32/${value}/tcp/1`), { ...INVALID_VALUE, message }, value)

  // bytes: only 32 or 35+
  for (const length of [0, 1, 31, 33, 34]) {
    const value = new Uint8Array(length).fill(0xab)
    t.throws(() => Multiaddr.fromBytes(concat(fromHex('bf03'), encodeUvarint(length), value)), { ...INVALID_VALUE, message: /expected 32 .* or at least 35/ }, `${length} bytes`)
  }
  for (const length of [32, 35, 36, 64]) {
    const value = new Uint8Array(length).fill(0xab)
    const text = Multiaddr.fromBytes(concat(fromHex('bf03'), encodeUvarint(length), value)).toString()
    t.equal(text, `/garlic32/${base32(value)}`, `${length} bytes`)
    t.equal(hex(multiaddr(text).bytes), `bf03${hex(encodeUvarint(length))}${hex(value)}`)
  }
})

t.test('/garlic64: an I2P Destination, 387 bytes or more, in I2P base64', async t => {
  // go-multiaddr TestStringToBytes: a 387-byte Destination with a null certificate
  const v = JSON.parse(readFileSync(new URL('../../spec-vectors/multiaddr/go-multiaddr.json', import.meta.url), 'utf8'))
  const vector = v.valid.find((c: { text: string }) => c.text.startsWith('/garlic64/'))
  const text: string = vector.text
  const ma = multiaddr(text)
  t.equal(text.length, '/garlic64/'.length + 516)
  t.match(text, /[~]/, 'the vector uses ~')
  t.match(text, /-/, 'the vector uses -')
  t.equal(hex(ma.bytes.subarray(0, 4)), 'be038303', 'code be03, then varint 387 (83 03)')
  t.equal(ma.bytes.length, 4 + 387)
  t.equal(hex(ma.bytes.subarray(-3)), '000000', 'the null certificate: type 0, length 0')
  t.equal(hex(ma.bytes), vector.hex)
  t.equal(Multiaddr.fromBytes(ma.bytes).toString(), text)

  // "-" and "~" stand where standard base64 has "+" and "/": 0xfb 0xff is "-~"
  const dest = new Uint8Array(387)
  dest.set([0xfb, 0xff, 0xbf])
  t.equal(i2pBase64(dest).slice(0, 4), '-~-~')
  t.equal(hex(multiaddr(`/garlic64/${i2pBase64(dest)}`).bytes.subarray(4, 7)), 'fbffbf')
  t.equal(multiaddr(`/garlic64/${i2pBase64(dest)}`).toString(), `/garlic64/${i2pBase64(dest)}`)

  // lengths that are not a multiple of 3 are padded with "="
  for (const length of [388, 389, 391]) {
    const value = Uint8Array.from({ length }, (_, i) => (i * 31) & 0xff)
    const padded = i2pBase64(value)
    t.ok(padded.endsWith('='), `${length} bytes end in =`)
    const parsed = multiaddr(`/garlic64/${padded}/tcp/8080`)
    t.equal(hex(parsed.bytes), `be03${hex(encodeUvarint(length))}${hex(value)}061f90`, `${length} bytes`)
    t.equal(parsed.toString(), `/garlic64/${padded}/tcp/8080`)
    t.throws(() => multiaddr(`/garlic64/${padded.replace(/=+$/, '')}`), { ...INVALID_VALUE, message: /not I2P base64/ }, 'padding is required')
  }

  const g = text.slice('/garlic64/'.length)
  const cases: Array<[string, RegExp]> = [
    [`${g}7:80`, /not I2P base64/], // go TestConstructFails
    [`${g}:0`, /not I2P base64/],
    [`${g}:-1`, /not I2P base64/],
    [`${g}@:666`, /not I2P base64/],
    [g.replace('~', '/'), /not I2P base64/], // codec.ts would split on it anyway; also not the alphabet
    [g.replace(/~/g, '+'), /not I2P base64/],
    [g.slice(0, 512), /at least 387 bytes, got 384/],
    [i2pBase64(new Uint8Array(386)), /at least 387 bytes, got 386/],
    [`${i2pBase64(new Uint8Array(388)).slice(0, -3)}B==`, /non-zero bits/], // 'B' = 000001: a bit past the last byte
    ['', /at least 387 bytes, got 0/]
  ]
  for (const [value, message] of cases) t.throws(() => multiaddr(`/garlic64/${value}/tcp/1`), { ...INVALID_VALUE, message }, value.slice(-12))
  t.throws(() => Multiaddr.fromBytes(concat(fromHex('be03'), encodeUvarint(386), new Uint8Array(386))), { ...INVALID_VALUE, message: /got 386/ })
  t.throws(() => Multiaddr.fromBytes(fromHex('be0300')), { ...INVALID_VALUE, message: /got 0/ })
})

// Property: random values, with bytes built here by hand, parse to exactly
// those bytes and print back to the same text.
t.test('random values round-trip with independently built bytes', async t => {
  const port = fc.integer({ min: 1, max: 0xffff })
  const portBytes = (p: number): Uint8Array => Uint8Array.of(p >> 8, p & 0xff)
  const onionPart = fc.tuple(fc.uint8Array({ minLength: 10, maxLength: 10 }), port).map(([host, p]) =>
    ({ text: `/onion/${base32(host)}:${p}`, bytes: concat(encodeUvarint(444), host, portBytes(p)) }))
  const onion3Part = fc.tuple(fc.uint8Array({ minLength: 35, maxLength: 35 }), port).map(([host, p]) =>
    ({ text: `/onion3/${base32(host)}:${p}`, bytes: concat(encodeUvarint(445), host, portBytes(p)) }))
  const garlic32Part = fc.oneof(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 35, maxLength: 70 })).map(value =>
    ({ text: `/garlic32/${base32(value)}`, bytes: concat(encodeUvarint(447), encodeUvarint(value.length), value) }))
  const garlic64Part = fc.uint8Array({ minLength: 387, maxLength: 400 }).map(value =>
    ({ text: `/garlic64/${i2pBase64(value)}`, bytes: concat(encodeUvarint(446), encodeUvarint(value.length), value) }))
  const address = fc.array(fc.oneof(onionPart, onion3Part, garlic32Part, garlic64Part), { minLength: 1, maxLength: 3 })
    .map(parts => ({ text: parts.map(p => p.text).join(''), bytes: concat(...parts.map(p => p.bytes)) }))
  t.doesNotThrow(() => fc.assert(fc.property(address, ({ text, bytes }) => {
    const fromText = multiaddr(text)
    const fromBytes = Multiaddr.fromBytes(bytes)
    return hex(fromText.bytes) === hex(bytes) && fromBytes.toString() === text && fromText.toString() === text
  }), { numRuns: 200 }))
})

// js-multiaddr 13 (node_modules, as in properties.test.ts) agrees on /onion
// and /onion3. It is not asked about /garlic64 and /garlic32: it stores their
// text as UTF-8 instead of the decoded bytes that go-multiaddr's vectors hold.
t.test('agrees with @multiformats/multiaddr on /onion and /onion3 bytes', async t => {
  const js = await import('@multiformats/multiaddr')
  const part = fc.tuple(fc.boolean(), fc.uint8Array({ minLength: 35, maxLength: 35 }), fc.integer({ min: 1, max: 0xffff }))
    .map(([v3, host, p]) => v3 ? `/onion3/${base32(host)}:${p}` : `/onion/${base32(host.subarray(0, 10))}:${p}`)
  t.doesNotThrow(() => fc.assert(fc.property(part, text => {
    const ours = multiaddr(text)
    return hex(js.multiaddr(text).bytes) === hex(ours.bytes) && js.multiaddr(ours.bytes).toString() === ours.toString()
  }), { numRuns: 100 }))
})
