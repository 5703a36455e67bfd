// /ip4 and /ip6 values: strict parsing, RFC 5952 printing.
import t from 'tap'
import fc from 'fast-check'
import { isIPv6 } from 'node:net'
import { multiaddr, Multiaddr } from '../../src/multiaddr/index.js'
import { ip4FromText, ip6FromText, ip6ToText } from '../../src/multiaddr/ip.js'

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex')

t.test('ip4 accepts dotted decimal', async t => {
  t.equal(hex(ip4FromText('0.0.0.0')), '00000000')
  t.equal(hex(ip4FromText('255.255.255.255')), 'ffffffff')
  t.equal(hex(ip4FromText('192.168.0.1')), 'c0a80001')
})

t.test('ip4 rejects everything else', async t => {
  for (const bad of ['256.0.0.1', '1.2.3.256', '1.2.3', '1.2.3.4.5', ' 1.2.3.4', '1.2.3.4 ', 'x1.2.3.4', '1.2.3.4x',
    '01.2.3.4', '1.2.3.04', '1.2.3.-4', '+1.2.3.4', '1..3.4', '', '1.2.3.4/8', '0x7f.0.0.1', '١.٢.٣.٤', '1.2.3.1000']) {
    t.throws(() => ip4FromText(bad), { code: 'ERR_MULTIADDR_INVALID_VALUE' }, JSON.stringify(bad))
    if (!bad.includes('/')) t.throws(() => multiaddr(`/ip4/${bad}/tcp/1`), { code: 'ERR_MULTIADDR_INVALID_VALUE' }, JSON.stringify(bad))
  }
})

t.test('ip6 accepts RFC 4291 text forms', async t => {
  const cases: Array<[string, string]> = [
    ['::', '00000000000000000000000000000000'],
    ['::1', '00000000000000000000000000000001'],
    ['1::', '00010000000000000000000000000000'],
    ['1:2:3:4:5:6:7:8', '00010002000300040005000600070008'],
    ['1:2:3:4:5:6:7::', '00010002000300040005000600070000'],
    ['::2:3:4:5:6:7:8', '00000002000300040005000600070008'],
    ['FE80::ABCD', 'fe80000000000000000000000000abcd'],
    ['::1.2.3.4', '00000000000000000000000001020304'],
    ['::ffff:1.2.3.4', '00000000000000000000ffff01020304'],
    ['1:2:3:4:5:6:1.2.3.4', '00010002000300040005000601020304'],
    ['0001:0002::0003', '00010002000000000000000000000003']
  ]
  for (const [text, bytes] of cases) t.equal(hex(ip6FromText(text)), bytes, text)
})

t.test('ip6 rejects malformed text', async t => {
  for (const bad of ['', ':', ':::', '1::2::3', '1:2:3:4:5:6:7', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7:8::', '::1:2:3:4:5:6:7:8',
    '12345::', '::g', ':1::', '1::2:', 'fe80::1%eth0', '1.2.3.4::', '::1.2.3', '::1.2.3.4:5', '1:2:3:4:5:6:7:1.2.3.4',
    '::256.0.0.1', ' ::1', '::1 ', '[::1]', '1:2:3:4:5:6:7:8 ']) {
    t.throws(() => ip6FromText(bad), { code: 'ERR_MULTIADDR_INVALID_VALUE' }, JSON.stringify(bad))
  }
})

t.test('ip6 prints RFC 5952 canonical text', async t => {
  const cases: Array<[string, string]> = [
    ['00000000000000000000000000000000', '::'],
    ['00000000000000000000000000000001', '::1'],
    ['00010000000000000000000000000000', '1::'],
    // 4.2.2: a single zero group is not shortened
    ['20010db8000000010001000100010001', '2001:db8:0:1:1:1:1:1'],
    // 4.2.3: the longest run wins, and on a tie the first
    ['20010000000000010000000000000001', '2001:0:0:1::1'],
    ['20010db8000000000001000000000001', '2001:db8::1:0:0:1'],
    // 4.3: lower case; 4.1: no leading zeros
    ['fe80000000000000000000000000abcd', 'fe80::abcd'],
    // section 5: IPv4-mapped addresses keep the dotted quad
    ['00000000000000000000ffff7f000001', '::ffff:127.0.0.1']
  ]
  for (const [bytes, text] of cases) t.equal(ip6ToText(Buffer.from(bytes, 'hex')), text, bytes)
})

// An independent oracle: the WHATWG URL host serializer (Node's URL) uses
// the same compression rules as RFC 5952 section 4, except that it never
// prints a dotted quad, so IPv4-mapped addresses are left out.
const ip6Bytes = fc.array(fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: 0, max: 0xffff })), { minLength: 8, maxLength: 8 })
  .map(groups => {
    const out = new Uint8Array(16)
    groups.forEach((g, i) => { out[2 * i] = g >> 8; out[2 * i + 1] = g & 0xff })
    return out
  })
  .filter(b => !(b.subarray(0, 10).every(x => x === 0) && b[10] === 0xff && b[11] === 0xff))

t.test('ip6 printing agrees with the WHATWG URL serializer; parsing inverts it', async t => {
  t.doesNotThrow(() => fc.assert(fc.property(ip6Bytes, bytes => {
    const text = ip6ToText(bytes)
    const whatwg = new URL(`http://[${text}]/`).hostname.slice(1, -1)
    return text === whatwg && isIPv6(text) && hex(ip6FromText(text)) === hex(bytes)
  }), { numRuns: 500 }))
})

t.test('ip6 in a multiaddr prints canonical text', async t => {
  t.equal(multiaddr('/ip6/0:0:0:0:0:0:0:1/tcp/1').toString(), '/ip6/::1/tcp/1')
  t.equal(multiaddr('/ip6/::FFFF:7F00:1').toString(), '/ip6/::ffff:127.0.0.1')
  t.equal(Multiaddr.fromBytes(multiaddr('/ip6/2001:DB8::1').bytes).toString(), '/ip6/2001:db8::1')
})
