// Runs every vector in spec-vectors/multiaddr/*.json (each file names its source).
import t, { type Test } from 'tap'
import { readFileSync } from 'node:fs'
import { createHash } from 'node:crypto'
import { Multiaddr, multiaddr } from '../../src/multiaddr/index.js'
import { isP2PError } from '../../src/util/errors.js'
import { base32 } from '../../src/util/multibase.js'

const dir = new URL('../../spec-vectors/multiaddr/', import.meta.url)
const load = (name: string): any => JSON.parse(readFileSync(new URL(name, dir), 'utf8'))
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex')
const fromHex = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'hex'))

function rejects (t: Test, fn: () => unknown, what: string): void {
  try {
    fn()
    t.fail(`should have been rejected: ${what}`)
  } catch (err) {
    t.ok(isP2PError(err) && /^ERR_(MULTIADDR_|INVALID_VARINT)/.test(err.code), `rejected with a P2PError: ${what} (${(err as Error).message})`)
  }
}

function checkValid (t: Test, text: string, hexBytes: string): void {
  const fromText = multiaddr(text)
  t.equal(hex(fromText.bytes), hexBytes, `text → bytes: ${text}`)
  const fromBytes = Multiaddr.fromBytes(fromHex(hexBytes))
  t.equal(fromBytes.toString(), text, `bytes → text: ${hexBytes}`)
  t.ok(fromBytes.equals(fromText))
}

t.test('multiformats/multiaddr test/multiaddr.feature', async t => {
  const v = load('spec-feature.json')
  for (const c of v.valid) {
    checkValid(t, c.text, c.hex)
    const ma = multiaddr(c.text)
    t.same(ma.components(), c.components.map((x: any) => ({ code: x.codec, name: x.protocol, value: x.value })))
    for (const x of c.components) {
      const one = multiaddr(x.string)
      t.equal(hex(one.bytes), x.packed)
      t.ok(hex(one.bytes).endsWith(x.rawValue))
    }
  }
})

t.test('rust-multiaddr tests/lib.rs', async t => {
  const v = load('rust-multiaddr.json')
  for (const c of v.valid) checkValid(t, c.text, c.hex)
  for (const text of v.invalid) rejects(t, () => multiaddr(text), text)
  for (const h of v.invalidBytes) rejects(t, () => Multiaddr.fromBytes(fromHex(h)), h)
})

t.test('go-multiaddr multiaddr_test.go', async t => {
  const v = load('go-multiaddr.json')
  for (const c of v.valid) checkValid(t, c.text, c.hex)
  for (const text of v.invalid) rejects(t, () => multiaddr(text), JSON.stringify(text))
  for (const text of v.succeeds) {
    const ma = multiaddr(text)
    // whatever it printed must read back as the same bytes
    t.equal(hex(multiaddr(ma.toString()).bytes), hex(ma.bytes), `parses and re-parses: ${text}`)
  }
  for (const text of v.roundTrip) t.equal(multiaddr(text).toString(), text)
  for (const { input, output } of v.canonical) t.equal(multiaddr(input).toString(), output)
  for (const [a, b] of v.equal) t.ok(multiaddr(a).equals(multiaddr(b)), `${a} == ${b}`)
  for (const [a, b] of v.notEqual) t.notOk(multiaddr(a).equals(multiaddr(b)), `${a} != ${b}`)
  for (const h of v.invalidBytes) rejects(t, () => Multiaddr.fromBytes(fromHex(h)), h)

  // TestInvalidP2PAddrString builds a CIDv1 whose codec is md5 (0xd5, not
  // libp2p-key) around sha2-256("test"); rebuilt here with node:crypto.
  const digest = createHash('sha256').update('test').digest()
  const cid = Uint8Array.from([0x01, 0xd5, 0x01, 0x12, 0x20, ...digest])
  rejects(t, () => multiaddr(`/p2p/b${base32.encode(cid)}`), 'CID with codec md5')
})

t.test('js-multiaddr test/index.spec.ts and test/convert.spec.ts', async t => {
  const v = load('js-multiaddr.json')
  for (const { input, output } of v.canonical) {
    const ma = multiaddr(input)
    t.equal(ma.toString(), output, input)
    t.equal(Multiaddr.fromBytes(ma.bytes).toString(), output)
  }
  for (const { text, peerId } of v.peerId) t.equal(multiaddr(text).getPeerId(), peerId ?? undefined, text)
  for (const { text, code, result } of v.decapsulateCode) t.equal(multiaddr(text).decapsulateCode(code).toString(), result)
  for (const { text, socket } of v.socket) {
    t.same(multiaddr(text).toSocketAddress(), socket, text)
    t.equal(Multiaddr.fromSocketAddress(socket).toString(), text)
  }
  for (const text of v.notSocket) t.throws(() => multiaddr(text).toSocketAddress(), { code: 'ERR_MULTIADDR_NOT_SOCKET_ADDRESS' })
  for (const text of v.invalid) rejects(t, () => multiaddr(text), text)
  for (const { hex: h, text } of v.ip6) t.equal(Multiaddr.fromBytes(fromHex(`29${h}`)).toString(), `/ip6/${text}`)
  for (const { text, hex: h } of v.ip6Input) t.equal(hex(multiaddr(`/ip6/${text}`).bytes), `29${h}`)
  for (const text of v.ip4Invalid) rejects(t, () => multiaddr(`/ip4/${text}`), text)
  for (const text of v.ip6Invalid) rejects(t, () => multiaddr(`/ip6/${text}`), text)
})

t.test('RFC 5952 examples', async t => {
  const v = load('rfc5952.json')
  for (const text of v.sameAddress) {
    const ma = multiaddr(`/ip6/${text}`)
    t.equal(hex(ma.bytes), `29${v.hex}`, text)
    t.equal(ma.toString(), `/ip6/${v.canonical}`, text)
  }
})

t.test('protocols/unix.md examples', async t => {
  const v = load('unix.json')
  for (const row of v.rows) {
    const ma = multiaddr(row.text)
    const utf8 = new TextEncoder().encode(row.value)
    t.equal(hex(ma.bytes), hex(Uint8Array.from([0x90, 0x03, utf8.length, ...utf8])), row.text)
    t.equal(ma.toString(), row.text)
    t.same(ma.components(), [{ code: 400, name: 'unix', value: row.text.slice('/unix/'.length) }])
  }
  // percentencode.md: "Implementations should accept both upper and lower case hex values."
  t.equal(multiaddr('/unix/dir%2ffile.socket').toString(), '/unix/dir%2Ffile.socket')
})

t.test('protocols/httppath.md examples', async t => {
  const v = load('http-path.json')
  for (const row of v.rows) {
    const ma = multiaddr(row.text)
    const utf8 = new TextEncoder().encode(row.value)
    const bytes = Uint8Array.from([0xe1, 0x03, utf8.length, ...utf8])
    t.equal(hex(ma.bytes), hex(bytes), row.text)
    t.equal(ma.toString(), row.text)
    t.equal(Multiaddr.fromBytes(bytes).toString(), row.text)
    t.same(ma.components(), [{ code: 481, name: 'http-path', value: row.text.slice('/http-path/'.length) }])
  }
  // "implementations should compare their binary representation to avoid
  // ambiguities over which characters were escaped"
  t.ok(multiaddr('/http-path/a%2fb').equals(multiaddr('/http-path/a%2Fb')))
  t.ok(multiaddr('/http-path/%61').equals(multiaddr('/http-path/a')))
  t.equal(multiaddr('/http-path/%61%2fb').toString(), '/http-path/a%2Fb')
  // segment-nz = 1*pchar: never empty
  rejects(t, () => multiaddr('/http-path/'), 'no value')
  rejects(t, () => multiaddr('/http/http-path//p2p/QmcgpsyWgH8Y8ajJz1Cu72KnS5uo2Aa2LpzU7kinSupNKC'), 'empty value')
  rejects(t, () => Multiaddr.fromBytes(fromHex('e10300')), 'empty value in bytes')
  rejects(t, () => multiaddr('/http-path/a%2'), 'cut %XX escape')
})
