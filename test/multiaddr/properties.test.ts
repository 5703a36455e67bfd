// Property tests: generated valid addresses, with their bytes built here
// independently of the codec (varint + value layout by hand), must parse to
// exactly those bytes and round-trip both ways; random input must only ever
// produce a P2PError.
import t from 'tap'
import fc from 'fast-check'
import { Multiaddr, multiaddr } from '../../src/multiaddr/index.js'
import { isP2PError } from '../../src/util/errors.js'
import { encodeUvarint } from '../../src/util/varint.js'
import { base58btc, base32, base64url, base16 } from '../../src/util/multibase.js'

interface Part { text: string, bytes: Uint8Array }

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s)
const concat = (...parts: Uint8Array[]): Uint8Array => Uint8Array.from(parts.flatMap(p => [...p]))
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
const fixed = (code: number, name: string, text: string, value: Uint8Array): Part =>
  ({ text: `/${name}/${text}`, bytes: concat(encodeUvarint(code), value) })
const variable = (code: number, name: string, text: string, value: Uint8Array): Part =>
  ({ text: `/${name}/${text}`, bytes: concat(encodeUvarint(code), encodeUvarint(value.length), value) })
const bare = (code: number, name: string): Part => ({ text: `/${name}`, bytes: encodeUvarint(code) })

// ip6 text in a random legal spelling: full or with the first zero run
// compressed, random case, optional leading zeros
const ip6Part = fc.tuple(fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0xffff })), { minLength: 8, maxLength: 8 }),
  fc.boolean(), fc.boolean(), fc.boolean()).map(([groups, compress, upper, pad]) => {
  const bytes = new Uint8Array(16)
  groups.forEach((g, i) => { bytes[2 * i] = g >> 8; bytes[2 * i + 1] = g & 0xff })
  let words = groups.map(g => pad ? g.toString(16).padStart(4, '0') : g.toString(16))
  let text = words.join(':')
  const zero = groups.indexOf(0)
  if (compress && zero !== -1) {
    let end = zero
    while (end < 8 && groups[end] === 0) end++
    words = groups.map(g => g.toString(16))
    text = `${words.slice(0, zero).join(':')}::${words.slice(end).join(':')}`
  }
  return fixed(0x29, 'ip6', upper ? text.toUpperCase() : text, bytes)
})

const port = fc.integer({ min: 0, max: 0xffff })
const portBytes = (p: number): Uint8Array => Uint8Array.of(p >> 8, p & 0xff)
const name = fc.string({ minLength: 1, maxLength: 16, unit: 'grapheme' }).filter(s => !s.includes('/'))

const multihash = (code: number, digest: Uint8Array): Uint8Array => concat(encodeUvarint(code), encodeUvarint(digest.length), digest)
const peerIdPart = fc.tuple(fc.boolean(), fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 1, maxLength: 42 }), fc.constantFrom('b58', 'cid32', 'ipfs'))
  .map(([sha, digest, key, form]) => {
    const mh = sha ? multihash(0x12, digest) : multihash(0x00, key)
    const text = form === 'cid32' ? `b${base32.encode(concat(Uint8Array.of(0x01, 0x72), mh))}` : base58btc.encode(mh)
    // base58btc text must start with 1 or Qm to be read as a bare multihash; identity ones start with '1'
    return variable(0x01a5, form === 'ipfs' ? 'ipfs' : 'p2p', text, mh)
  })
const certhashPart = fc.tuple(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.constantFrom('u', 'b', 'z', 'f'))
  .map(([digest, base]) => {
    const mh = multihash(0x12, digest)
    const codec = { u: base64url, b: base32, z: base58btc, f: base16 }[base]
    return variable(0x01d2, 'certhash', `${base}${codec.encode(mh)}`, mh)
  })
// unix: a UTF-8 path, every byte percent-encoded with random case (any legal spelling)
const unixPart = fc.tuple(fc.string({ minLength: 1, maxLength: 12, unit: 'grapheme' }), fc.boolean()).map(([path, lower]) => {
  const bytes = utf8(path)
  const text = [...bytes].map(b => `%${b.toString(16).padStart(2, '0')}`).join('')
  return variable(0x0190, 'unix', lower ? text : text.toUpperCase(), bytes)
})

const part: fc.Arbitrary<Part> = fc.oneof(
  fc.uint8Array({ minLength: 4, maxLength: 4 }).map(b => fixed(0x04, 'ip4', [...b].join('.'), b)),
  ip6Part,
  port.map(p => fixed(0x06, 'tcp', String(p), portBytes(p))),
  port.map(p => fixed(0x0111, 'udp', String(p), portBytes(p))),
  port.map(p => fixed(0x84, 'sctp', String(p), portBytes(p))),
  fc.integer({ min: 0, max: 255 }).map(n => fixed(0x2b, 'ipcidr', String(n), Uint8Array.of(n))),
  fc.tuple(fc.constantFrom(['ip6zone', 0x2a], ['memory', 0x0309]), name)
    .map(([[n, code], value]) => variable(code as number, n as string, value, utf8(value))),
  // host names hold no control character (src/multiaddr/values.ts hostName)
  fc.tuple(fc.constantFrom(['dns', 0x35], ['dns4', 0x36], ['dns6', 0x37], ['dnsaddr', 0x38], ['sni', 0x01c1]), name.filter(s => !/[\u0000-\u001f\u007f]/.test(s)))
    .map(([[n, code], value]) => variable(code as number, n as string, value, utf8(value))),
  peerIdPart,
  certhashPart,
  unixPart,
  fc.constantFrom<[string, number]>(['tls', 0x01c0], ['noise', 0x01c6], ['quic', 0x01cc], ['quic-v1', 0x01cd], ['webtransport', 0x01d1],
    ['ws', 0x01dd], ['wss', 0x01de], ['http', 0x01e0], ['https', 0x01bb], ['p2p-circuit', 0x0122], ['webrtc', 0x0119],
    ['webrtc-direct', 0x0118], ['utp', 0x012e], ['udt', 0x012d], ['p2p-webrtc-star', 0x0113]).map(([n, code]) => bare(code, n))
)

const address = fc.array(part, { minLength: 1, maxLength: 6 })
  .map(parts => ({ text: parts.map(p => p.text).join(''), bytes: concat(...parts.map(p => p.bytes)), count: parts.length }))

t.test('text → bytes gives the independently built bytes', async t => {
  t.doesNotThrow(() => fc.assert(fc.property(address, ({ text, bytes, count }) => {
    const ma = multiaddr(text)
    return hex(ma.bytes) === hex(bytes) && ma.components().length === count
  }), { numRuns: 400 }))
})

t.test('bytes → text → bytes and canonical text → bytes → text round-trip', async t => {
  t.doesNotThrow(() => fc.assert(fc.property(address, ({ bytes }) => {
    const a = Multiaddr.fromBytes(bytes)
    const text = a.toString()
    const b = multiaddr(text)
    return hex(b.bytes) === hex(bytes) && b.toString() === text && Multiaddr.fromBytes(b.bytes).toString() === text
  }), { numRuns: 400 }))
})

t.test('encapsulate is concatenation; decapsulate undoes it', async t => {
  t.doesNotThrow(() => fc.assert(fc.property(address, address, (a, b) => {
    const left = Multiaddr.fromBytes(a.bytes)
    const right = Multiaddr.fromBytes(b.bytes)
    const joined = left.encapsulate(right)
    const cut = joined.decapsulate(right)
    return hex(joined.bytes) === hex(concat(a.bytes, b.bytes)) &&
      joined.toString() === left.toString() + right.toString() &&
      // the last occurrence of `right` is at the end, so the cut leaves `left`
      hex(cut.bytes) === hex(a.bytes)
  }), { numRuns: 200 }))
})

function onlyP2PErrors (fn: () => void): boolean {
  try {
    fn()
    return true
  } catch (err) {
    if (isP2PError(err) && /^ERR_(MULTIADDR_|INVALID_VARINT$)/.test(err.code)) return true
    throw err
  }
}

t.test('random bytes: a valid address or a P2PError, never anything else', async t => {
  t.doesNotThrow(() => fc.assert(fc.property(fc.uint8Array({ maxLength: 80 }), bytes => onlyP2PErrors(() => {
    const ma = Multiaddr.fromBytes(bytes)
    // anything accepted must print and re-read as the same bytes
    if (hex(multiaddr(ma.toString()).bytes) !== hex(bytes)) throw new Error(`not round-tripped: ${hex(bytes)}`)
  })), { numRuns: 1500 }))
})

t.test('mutated valid bytes: a valid address or a P2PError', async t => {
  t.doesNotThrow(() => fc.assert(fc.property(address, fc.nat(), fc.integer({ min: 0, max: 255 }), fc.nat(), ({ bytes }, at, value, cut) => {
    const mutated = Uint8Array.from(bytes)
    mutated[at % mutated.length] = value
    return onlyP2PErrors(() => {
      const ma = Multiaddr.fromBytes(mutated.subarray(0, mutated.length - (cut % 3)))
      if (hex(multiaddr(ma.toString()).bytes) !== hex(ma.bytes)) throw new Error(`not round-tripped: ${hex(mutated)}`)
    })
  }), { numRuns: 1000 }))
})

const corpus = ['ip4', 'ip6', 'tcp', 'udp', 'p2p', 'ipfs', 'dns4', 'unix', 'certhash', 'ip6zone', 'quic-v1', '0.0.0.0', '::1', '127.0.0.1',
  '65535', '65536', 'QmcgpsyWgH8Y8ajJz1Cu72KnS5uo2Aa2LpzU7kinSupNKC', 'uEiDDq4_xNyDorZBH3TlGazyJdOWSwvo4PUo5YHFMrvDE8g', '%2F', '%', '', '\uD800']

t.test('random strings: a valid address or a P2PError, never anything else', async t => {
  const tokens = fc.array(fc.oneof(fc.constantFrom(...corpus), fc.string({ maxLength: 12 }), fc.string({ maxLength: 6, unit: 'binary' })), { maxLength: 10 })
  t.doesNotThrow(() => fc.assert(fc.property(tokens, fc.boolean(), (parts, slash) => onlyP2PErrors(() => {
    const ma = multiaddr((slash ? '/' : '') + parts.join('/'))
    if (!Multiaddr.fromBytes(ma.bytes).equals(ma)) throw new Error('not round-tripped')
  })), { numRuns: 1000 }))
  t.doesNotThrow(() => fc.assert(fc.property(fc.string({ maxLength: 40, unit: 'binary' }), text => onlyP2PErrors(() => { multiaddr(text) })), { numRuns: 500 }))
})

// Cross-check against an independent implementation: js-multiaddr 13 (the
// one js-libp2p 3 uses), from node_modules, used only here in tests. Both
// must agree on the bytes of every generated address, in both directions.
t.test('agrees with @multiformats/multiaddr on the bytes', async t => {
  const withResolvers = Promise as unknown as { withResolvers?: unknown }
  withResolvers.withResolvers ??= function <T> () {
    let resolve!: (value: T) => void
    let reject!: (reason?: unknown) => void
    const promise = new Promise<T>((res, rej) => { resolve = res; reject = rej })
    return { promise, resolve, reject }
  }
  const js = await import('@multiformats/multiaddr')
  t.doesNotThrow(() => fc.assert(fc.property(address, ({ bytes }) => {
    const ours = Multiaddr.fromBytes(bytes)
    const theirsFromText = js.multiaddr(ours.toString())
    const theirsFromBytes = js.multiaddr(bytes)
    return hex(theirsFromText.bytes) === hex(bytes) && hex(multiaddr(theirsFromBytes.toString()).bytes) === hex(bytes)
  }), { numRuns: 300 }))
})
