// Every error code, with the position it reports; hostile bytes and text.
import t from 'tap'
import { Multiaddr, multiaddr, CODE_P2P, CODE_CERTHASH, CODE_DNS4, CODE_IP6ZONE, CODE_UNIX } from '../../src/multiaddr/index.js'
import { encodeUvarint } from '../../src/util/varint.js'
import { base58btc, base64url } from '../../src/util/multibase.js'

const fromHex = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'hex'))
const component = (code: number, value: Uint8Array): Uint8Array =>
  Uint8Array.from([...encodeUvarint(code), ...encodeUvarint(value.length), ...value])
const sha256Id = 'QmcgpsyWgH8Y8ajJz1Cu72KnS5uo2Aa2LpzU7kinSupNKC'

t.test('ERR_MULTIADDR_INVALID: not a multiaddr text', async t => {
  for (const bad of ['', 'ip4/1.2.3.4', ' /ip4/1.2.3.4', '//', '/ip4/1.2.3.4//tcp/1', '/ip4/1.2.3.4/tcp/1//', '//ip4/1.2.3.4']) {
    t.throws(() => multiaddr(bad), { code: 'ERR_MULTIADDR_INVALID' }, JSON.stringify(bad))
  }
  t.throws(() => Multiaddr.fromString(42 as unknown as string), { code: 'ERR_MULTIADDR_INVALID' })
  t.throws(() => Multiaddr.fromBytes('0401020304' as unknown as Uint8Array), { code: 'ERR_MULTIADDR_INVALID' })
})

t.test('the empty multiaddr', async t => {
  const empty = multiaddr('/')
  t.equal(empty.bytes.length, 0)
  t.equal(empty.toString(), '/')
  t.same(empty.components(), [])
  t.ok(Multiaddr.fromBytes(new Uint8Array(0)).equals(empty))
  t.equal(empty.encapsulate('/ip4/1.2.3.4').toString(), '/ip4/1.2.3.4')
  t.equal(multiaddr('/ip4/1.2.3.4').decapsulate('/ip4/1.2.3.4').toString(), '/')
})

t.test('ERR_MULTIADDR_UNKNOWN_PROTOCOL names the protocol and where', async t => {
  t.throws(() => multiaddr('/ip4/1.2.3.4/tcpp/80'), { code: 'ERR_MULTIADDR_UNKNOWN_PROTOCOL', message: /"\/tcpp" at character 13/ })
  t.throws(() => multiaddr('/IP4/1.2.3.4'), { code: 'ERR_MULTIADDR_UNKNOWN_PROTOCOL' })
  // a value where a protocol name should be (quic has no value)
  t.throws(() => multiaddr('/udp/1/quic/1234'), { code: 'ERR_MULTIADDR_UNKNOWN_PROTOCOL', message: /"\/1234"/ })
  // code 0x0200 is "json" in the multicodec table, not a multiaddr protocol
  t.throws(() => Multiaddr.fromBytes(fromHex('0401020304' + '8004')), { code: 'ERR_MULTIADDR_UNKNOWN_PROTOCOL', message: /code 512 \(0x200\) at byte 5/ })
  t.throws(() => Multiaddr.fromBytes(fromHex('00')), { code: 'ERR_MULTIADDR_UNKNOWN_PROTOCOL' })
})

t.test('ERR_MULTIADDR_INVALID_VALUE: missing or malformed values', async t => {
  const cases = [
    ['/ip4', /\/ip4 at character 1 .* needs a value/],
    ['/tcp/80/ip6', /\/ip6 at character 8/],
    ['/tcp/65536', /port 65536 is greater than 65535/],
    ['/tcp/-1', /port "-1"/],
    ['/tcp/+1', /port "\+1"/],
    ['/tcp/0x50', /port/],
    ['/tcp/1e3', /port/],
    ['/tcp/080', /leading zeros/],
    ['/udp/99999999999999999999', /port/],
    ['/tcp/', /\/tcp at character 1 .* needs a value/],
    ['/tcp//', /port ""/],
    ['/dns4/', /needs a value/],
    ['/dns4//tcp/1', /empty/],
    ['/sni//tls', /empty/],
    ['/ipcidr/256', /0 to 255/],
    ['/unix/%2', /not a %XX escape/],
    ['/unix/%zz', /not a %XX escape/],
    ['/dns/a\uD800b', /lone UTF-16 surrogate/],
    ['/unix/\uDC00', /lone UTF-16 surrogate/],
    ['/p2p/' + sha256Id.slice(0, -1), /multihash/],
    ['/p2p/Qm0OIl', /not valid multibase/],
    ['/p2p/' + 'Qm' + 'z'.repeat(300), /more than the 256 allowed/],
    ['/p2p/zQmcgpsyWgH8Y8ajJz1Cu72KnS5uo2Aa2LpzU7kinSupNKC', /version/], // a multibase multihash is not a CID
    ['/certhash/uEiDDq4_xNyDorZBH3TlGazyJdOWSwvo4PUo5YHFMrvDE8', /not valid multibase/],
    [`/certhash/u${base64url.encode(Uint8Array.from([0x12, 0x20, ...new Uint8Array(31)]))}`, /declares a 32-byte digest but 31/],
    ['/certhash/xyz', /multibase/],
    ['/certhash//', /multibase/]
  ] as const
  for (const [text, message] of cases) {
    t.throws(() => multiaddr(text), { code: 'ERR_MULTIADDR_INVALID_VALUE', message }, JSON.stringify(text))
  }
})

t.test('ERR_MULTIADDR_INVALID_VALUE: bytes no text form can hold', async t => {
  const enc = new TextEncoder()
  const cases: Array<[string, Uint8Array]> = [
    ['dns4 holding "/"', component(CODE_DNS4, enc.encode('a/b'))],
    ['empty dns4', component(CODE_DNS4, new Uint8Array(0))],
    ['ip6zone holding "/"', component(CODE_IP6ZONE, enc.encode('eth/0'))],
    ['dns4 not UTF-8', component(CODE_DNS4, Uint8Array.of(0x61, 0xff, 0x62))],
    ['empty unix path', component(CODE_UNIX, new Uint8Array(0))],
    // multihashes: sha1 (0x11) is not a peer ID hash; wrong digest lengths; trailing bytes
    ['p2p sha1', component(CODE_P2P, Uint8Array.from([0x11, 0x14, ...new Uint8Array(20)]))],
    ['p2p sha2-256 with 31 bytes', component(CODE_P2P, Uint8Array.from([0x12, 0x1f, ...new Uint8Array(31)]))],
    ['p2p digest shorter than declared', component(CODE_P2P, Uint8Array.from([0x00, 0x05, 1, 2, 3]))],
    ['p2p digest longer than declared', component(CODE_P2P, Uint8Array.from([0x00, 0x02, 1, 2, 3]))],
    ['p2p empty', component(CODE_P2P, new Uint8Array(0))],
    ['p2p code only', component(CODE_P2P, Uint8Array.of(0x00))],
    ['p2p code varint cut', component(CODE_P2P, Uint8Array.of(0x80))],
    ['p2p over-long identity', component(CODE_P2P, Uint8Array.from([0x00, 0x81, 0x01, ...new Uint8Array(129)]))],
    ['certhash not a multihash', component(CODE_CERTHASH, Uint8Array.of(0x12, 0x20, 1))]
  ]
  for (const [what, bytes] of cases) {
    t.throws(() => Multiaddr.fromBytes(bytes), { code: 'ERR_MULTIADDR_INVALID_VALUE', message: /at byte 0/ }, what)
  }
  // identity peer IDs (ed25519 keys) are fine, and print as base58btc
  const identity = Uint8Array.from([0x00, 0x24, 0x08, 0x01, 0x12, 0x20, ...new Uint8Array(32).fill(7)])
  t.equal(Multiaddr.fromBytes(component(CODE_P2P, identity)).toString(), `/p2p/${base58btc.encode(identity)}`)
})

t.test('ERR_MULTIADDR_TRUNCATED: every cut inside a component', async t => {
  const ma = multiaddr(`/ip4/127.0.0.1/tcp/4001/dns4/example.com/p2p/${sha256Id}/certhash/uEiDDq4_xNyDorZBH3TlGazyJdOWSwvo4PUo5YHFMrvDE8g/unix/a%2Fb`)
  const boundaries = new Set<number>([0])
  let at = 0
  for (const c of [...multiaddrParts(ma)]) boundaries.add(at += c)
  for (let cut = 0; cut < ma.bytes.length; cut++) {
    const prefix = ma.bytes.subarray(0, cut)
    if (boundaries.has(cut)) {
      t.equal(Multiaddr.fromBytes(prefix).toString(), ma.toString().slice(0, Multiaddr.fromBytes(prefix).toString().length))
    } else {
      t.throws(() => Multiaddr.fromBytes(prefix), { code: 'ERR_MULTIADDR_TRUNCATED' }, `cut at ${cut}`)
    }
  }
  t.throws(() => Multiaddr.fromBytes(fromHex('04010203')), { code: 'ERR_MULTIADDR_TRUNCATED', message: /\/ip4 at byte 0 needs a 4-byte value, but only 3/ })
  t.throws(() => Multiaddr.fromBytes(fromHex('0401020304' + '0600')), { code: 'ERR_MULTIADDR_TRUNCATED', message: /\/tcp at byte 5/ })
  t.throws(() => Multiaddr.fromBytes(fromHex('3605616263')), { code: 'ERR_MULTIADDR_TRUNCATED', message: /5-byte value/ })
  t.throws(() => Multiaddr.fromBytes(fromHex('a5')), { code: 'ERR_MULTIADDR_TRUNCATED', message: /protocol code/ })
  t.throws(() => Multiaddr.fromBytes(fromHex('a50380')), { code: 'ERR_MULTIADDR_TRUNCATED', message: /length prefix of \/p2p/ })
  // a length prefix claiming far more than is there allocates nothing
  t.throws(() => Multiaddr.fromBytes(fromHex('a503ffffffffffffff0f')), { code: 'ERR_MULTIADDR_TRUNCATED' })
})

/** Encoded lengths of each component, from the codec's own view (code varint + prefix + value). */
function multiaddrParts (ma: Multiaddr): number[] {
  return ma.components().map(c => multiaddr(c.value === undefined ? `/${c.name}` : `/${c.name}/${c.value}`).bytes.length)
}

t.test('ERR_INVALID_VARINT: over-long and non-minimal varints', async t => {
  t.throws(() => Multiaddr.fromBytes(fromHex('ffffffffffffffffff01')), { code: 'ERR_INVALID_VARINT' })
  t.throws(() => Multiaddr.fromBytes(fromHex('8400' + '01020304')), { code: 'ERR_INVALID_VARINT' }) // 4 written in two bytes
  t.throws(() => Multiaddr.fromBytes(fromHex('368300' + '616263')), { code: 'ERR_INVALID_VARINT' }) // length 3 in two bytes
})

t.test('the caller\'s buffer is copied', async t => {
  const bytes = fromHex('047f0000010604d2')
  const ma = Multiaddr.fromBytes(bytes)
  bytes[1] = 10
  t.equal(ma.toString(), '/ip4/127.0.0.1/tcp/1234')
  t.equal(ma.bytes[1], 0x7f)
})

t.test('host names (dns, dns4, dns6, dnsaddr, sni) hold no control character and at most 255 bytes', async t => {
  // a resolver reads a C string: "localhost\0.example.com" would print as one name and resolve as another
  t.throws(() => multiaddr('/dns4/localhost\u0000.example.com/tcp/1'), { code: 'ERR_MULTIADDR_INVALID_VALUE', message: /host name "localhost\\x00\.example\.com" holds a control character/ })
  t.throws(() => Multiaddr.fromBytes(component(CODE_DNS4, new TextEncoder().encode('a\nb'))), { code: 'ERR_MULTIADDR_INVALID_VALUE' }, 'in bytes too')
  t.throws(() => multiaddr('/sni/a\u007fb'), { code: 'ERR_MULTIADDR_INVALID_VALUE' }, 'DEL')
  t.throws(() => multiaddr(`/dns/${'a'.repeat(256)}`), { code: 'ERR_MULTIADDR_INVALID_VALUE', message: /256 bytes, over the 255/ })
  t.equal(multiaddr(`/dns/${'a'.repeat(255)}`).toString(), `/dns/${'a'.repeat(255)}`)
  t.equal(multiaddr('/dns6/bücher.example/tcp/443').toString(), '/dns6/bücher.example/tcp/443', 'an IDN in UTF-8 is a host name')
  t.equal(multiaddr('/ip6zone/a\u0001b/ip6/fe80::1').toString(), '/ip6zone/a\u0001b/ip6/fe80::1', 'other UTF-8 values are not host names')
})
