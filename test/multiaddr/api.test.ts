// The Multiaddr API other layers call, and the protocol table.
import t from 'tap'
import { readFileSync } from 'node:fs'
import {
  Multiaddr, multiaddr, isMultiaddr, protocolByName, protocolByCode, PROTOCOLS,
  CODE_IP4, CODE_TCP, CODE_UDP, CODE_IP6, CODE_P2P, CODE_P2P_CIRCUIT, CODE_DNS4, CODE_QUIC_V1, CODE_CERTHASH, CODE_WS
} from '../../src/multiaddr/index.js'
import { base32, base32upper, base36, base36upper, base58btc } from '../../src/util/multibase.js'
import { PeerId, generateKeyPair } from '../../src/peer/index.js'

const Q = 'QmcgpsyWgH8Y8ajJz1Cu72KnS5uo2Aa2LpzU7kinSupNKC'
const R = 'QmZR5a9AAXGqQF2ADqoDdGS8zvqv8n3Pag6TDDnTNMcFW6'

t.test('the protocol table matches the multicodec table', async t => {
  const v = JSON.parse(readFileSync(new URL('../../spec-vectors/multiaddr/multicodec-codes.json', import.meta.url), 'utf8'))
  for (const { name, code, size } of v.codes as Array<{ name: string, code: string, size: string }>) {
    const p = protocolByName(name)
    t.ok(p, name)
    if (p === undefined) continue
    t.equal(p.code, Number(code), `${name} code`)
    t.same(p.size, size === 'V' ? { type: 'variable' } : size === '0' ? { type: 'none' } : { type: 'fixed', bits: Number(size) }, `${name} size`)
    t.equal(protocolByCode(Number(code))?.name, name === 'ipfs' ? 'p2p' : name)
  }
  t.equal(PROTOCOLS.length, v.codes.length - 1, 'every row is covered (ipfs is an alias)')
  t.equal(protocolByName('nope'), undefined)
  t.equal(protocolByCode(0x0200), undefined)
  t.same([CODE_IP4, CODE_TCP, CODE_UDP, CODE_IP6, CODE_P2P, CODE_P2P_CIRCUIT, CODE_DNS4, CODE_QUIC_V1, CODE_CERTHASH, CODE_WS],
    [4, 6, 273, 41, 421, 290, 54, 461, 466, 477])
  for (const p of PROTOCOLS) t.equal(p.kind === undefined, p.size.type === 'none', `${p.name}: a value kind exactly when it has a value`)
})

t.test('components() gives codes, names and canonical text values', async t => {
  t.same(multiaddr(`/ip6/0::1/udp/0/quic-v1/ipfs/${Q}`).components(), [
    { code: 41, name: 'ip6', value: '::1' },
    { code: 273, name: 'udp', value: '0' },
    { code: 461, name: 'quic-v1' },
    { code: 421, name: 'p2p', value: Q }
  ])
})

t.test('encapsulate / decapsulate', async t => {
  const base = multiaddr('/ip4/127.0.0.1/udp/1234')
  const both = base.encapsulate('/udp/5678')
  t.equal(both.toString(), '/ip4/127.0.0.1/udp/1234/udp/5678')
  t.equal(Buffer.from(both.bytes).toString('hex'), '047f000001910204d2' + '9102162e')
  t.same(both.components().map(c => c.value), ['127.0.0.1', '1234', '5678'])
  // the last occurrence goes, with everything after it
  t.equal(both.decapsulate('/udp/5678').toString(), '/ip4/127.0.0.1/udp/1234')
  t.equal(multiaddr('/ip4/1.2.3.4/tcp/1/ip4/1.2.3.4/tcp/1/ws').decapsulate('/ip4/1.2.3.4/tcp/1').toString(), '/ip4/1.2.3.4/tcp/1')
  t.equal(both.decapsulate(multiaddr('/ip4/127.0.0.1')).toString(), '/')
  // not found: unchanged (go-multiaddr's documented behaviour)
  t.equal(multiaddr('/ip4/1.2.3.4/tcp/80').decapsulate('/udp/80').toString(), '/ip4/1.2.3.4/tcp/80')
  // whole components only: /tcp/80 is not inside /tcp/8080, as a text search would say
  t.equal(multiaddr('/ip4/1.2.3.4/tcp/8080').decapsulate('/tcp/80').toString(), '/ip4/1.2.3.4/tcp/8080')
  t.equal(multiaddr('/ip4/1.2.3.4/tcp/8080').decapsulate('/').toString(), '/ip4/1.2.3.4/tcp/8080')
  // results are independent, well-formed addresses
  const cut = both.decapsulate('/udp/5678')
  t.ok(cut.equals(Multiaddr.fromBytes(cut.bytes)))
  t.equal(cut.encapsulate(`/p2p/${Q}`).getPeerId(), Q)
  t.throws(() => base.encapsulate('udp/1'), { code: 'ERR_MULTIADDR_INVALID' })
})

t.test('decapsulateCode and getPeerId on a circuit address', async t => {
  const circuit = multiaddr(`/ip4/0.0.0.0/tcp/8080/p2p/${R}/p2p-circuit/p2p/${Q}`)
  t.equal(circuit.getPeerId(), Q)
  t.equal(circuit.decapsulateCode(CODE_P2P).toString(), `/ip4/0.0.0.0/tcp/8080/p2p/${R}/p2p-circuit`)
  t.equal(circuit.decapsulateCode(CODE_P2P_CIRCUIT).getPeerId(), R)
  t.equal(circuit.decapsulateCode(CODE_IP4).toString(), '/')
  t.equal(circuit.decapsulateCode(CODE_UDP).toString(), circuit.toString())
  t.equal(multiaddr('/ip4/1.2.3.4/tcp/1').getPeerId(), undefined)
})

t.test('withoutZone drops a leading /ip6zone and nothing else', async t => {
  const zoned = multiaddr(`/ip6zone/eth0/ip6/fe80::1/tcp/4001/p2p/${Q}`)
  const bare = zoned.withoutZone()
  t.equal(bare.toString(), `/ip6/fe80::1/tcp/4001/p2p/${Q}`)
  t.ok(bare.equals(multiaddr(`/ip6/fe80::1/tcp/4001/p2p/${Q}`)), 'byte for byte the address written without it')
  t.same(bare.components().map(c => c.name), ['ip6', 'tcp', 'p2p'])
  t.equal(bare.getPeerId(), Q, 'components re-pointed into the new bytes')
  t.equal(bare.decapsulateCode(CODE_P2P).toString(), '/ip6/fe80::1/tcp/4001')
  const plain = multiaddr('/ip4/1.2.3.4/tcp/1')
  t.equal(plain.withoutZone(), plain, 'unchanged when there is no zone')
  t.equal(multiaddr('/ip6zone/eth0').withoutZone().toString(), '/ip6zone/eth0', 'a zone alone is left as it is')
})

t.test('equals compares bytes', async t => {
  t.ok(multiaddr(`/ipfs/${Q}`).equals(multiaddr(`/p2p/${Q}`)))
  t.ok(multiaddr('/ip6/::FFFF:127.0.0.1').equals(multiaddr('/ip6/0:0:0:0:0:ffff:7f00:1')))
  t.notOk(multiaddr('/ip4/192.168.1.1').equals(multiaddr('/ip4/192.168.0.1')))
  t.notOk(multiaddr('/ip4/1.2.3.4/tcp/1').equals(multiaddr('/ip4/1.2.3.4/udp/1')))
})

t.test('toSocketAddress', async t => {
  t.same(multiaddr('/ip4/127.0.0.1/tcp/4001').toSocketAddress(), { family: 4, host: '127.0.0.1', port: 4001, transport: 'tcp' })
  t.same(multiaddr('/ip6/::1/udp/65535').toSocketAddress(), { family: 6, host: '::1', port: 65535, transport: 'udp' })
  t.same(multiaddr(`/ip4/127.0.0.1/tcp/0/p2p/${Q}`).toSocketAddress(), { family: 4, host: '127.0.0.1', port: 0, transport: 'tcp' })
  t.same(multiaddr('/ip6zone/eth0/ip6/fe80::1/tcp/1').toSocketAddress(), { family: 6, host: 'fe80::1%eth0', port: 1, transport: 'tcp' })
  for (const bad of ['/', '/ip4/127.0.0.1', '/tcp/1', '/dns4/localhost/tcp/1', '/ip4/127.0.0.1/tcp/1/ws', `/ip4/127.0.0.1/tcp/1/p2p-circuit/p2p/${Q}`,
    '/ip4/127.0.0.1/udp/1/quic-v1', '/ip4/1.2.3.4/ip4/1.2.3.4', '/tcp/1/ip4/1.2.3.4', '/ip6zone/x/ip4/1.2.3.4/tcp/1', `/p2p/${Q}`]) {
    t.throws(() => multiaddr(bad).toSocketAddress(), { code: 'ERR_MULTIADDR_NOT_SOCKET_ADDRESS' }, bad)
  }
})

t.test('fromSocketAddress', async t => {
  t.equal(Multiaddr.fromSocketAddress({ family: 'IPv4', host: '127.0.0.1', port: 4001 }).toString(), '/ip4/127.0.0.1/tcp/4001')
  t.equal(Multiaddr.fromSocketAddress({ family: 6, host: '::1', port: 1, transport: 'udp' }).toString(), '/ip6/::1/udp/1')
  t.equal(Multiaddr.fromSocketAddress({ family: 'IPv6', host: '::ffff:127.0.0.1', port: 80 }).toString(), '/ip6/::ffff:127.0.0.1/tcp/80')
  t.equal(Multiaddr.fromSocketAddress({ family: 6, host: 'fe80::1%eth0', port: 2 }).toString(), '/ip6zone/eth0/ip6/fe80::1/tcp/2')
  const cases: Array<[string, unknown]> = [
    ['family/host mismatch', { family: 4, host: '::1', port: 1 }],
    ['family/host mismatch 6', { family: 6, host: '127.0.0.1', port: 1 }],
    ['bad family', { family: 5, host: '1.2.3.4', port: 1 }],
    ['port too big', { family: 4, host: '1.2.3.4', port: 65536 }],
    ['negative port', { family: 4, host: '1.2.3.4', port: -1 }],
    ['fractional port', { family: 4, host: '1.2.3.4', port: 1.5 }],
    ['bad transport', { family: 4, host: '1.2.3.4', port: 1, transport: 'sctp' }],
    ['host with a slash', { family: 4, host: '1.2.3.4/tcp/5', port: 1 }],
    ['empty zone', { family: 6, host: 'fe80::1%', port: 1 }],
    // would have read as /ip6zone/eth0/tcp/1/ip6zone/x/ip6/fe80::1/tcp/4001
    ['zone with a slash', { family: 6, host: 'fe80::1%eth0/tcp/1/ip6zone/x', port: 4001 }]
  ]
  for (const [what, addr] of cases) {
    t.throws(() => Multiaddr.fromSocketAddress(addr as Parameters<typeof Multiaddr.fromSocketAddress>[0]), { code: /^ERR_MULTIADDR_/ }, what)
  }
})

t.test('isMultiaddr, toJSON, inspect', async t => {
  t.ok(isMultiaddr(multiaddr('/')))
  t.notOk(isMultiaddr('/ip4/1.2.3.4'))
  t.notOk(isMultiaddr({ bytes: new Uint8Array(0), toString: () => '/' }))
  t.notOk(isMultiaddr(null))
  t.equal(JSON.stringify({ a: multiaddr('/ip4/1.2.3.4') }), '{"a":"/ip4/1.2.3.4"}')
  const { inspect } = await import('node:util')
  t.equal(inspect(multiaddr('/ip4/1.2.3.4')), 'Multiaddr(/ip4/1.2.3.4)')
})

t.test('/p2p accepts a CIDv1 in base36 ("k51...", "K51...") and upper-case base32 ("B...")', async t => {
  // the Ed25519 peer ID 12D3KooWCryG7Mon9orvQxcS1rYZjotPgpwoJNHHKcLLfE4Hf5mV as a CIDv1 (0x01 0x72 <multihash>)
  const id = '12D3KooWCryG7Mon9orvQxcS1rYZjotPgpwoJNHHKcLLfE4Hf5mV'
  const cid = Buffer.concat([Buffer.of(0x01, 0x72), Buffer.from(base58btc.decode(id))])
  const forms = [`k${base36.encode(cid)}`, `K${base36upper.encode(cid)}`, `b${base32.encode(cid)}`, `B${base32upper.encode(cid)}`]
  t.match(forms[0], /^k51qzi5uqu5/, 'base36 CIDs of Ed25519 peer IDs start "k51qzi5uqu5"')
  for (const text of forms) {
    const ma = multiaddr(`/ip4/127.0.0.1/tcp/1/p2p/${text}`)
    t.equal(ma.toString(), `/ip4/127.0.0.1/tcp/1/p2p/${id}`, text)
    t.equal(ma.getPeerId(), id)
  }
  t.throws(() => multiaddr(`/p2p/k${base36.encode(cid)}!`), { code: 'ERR_MULTIADDR_INVALID_VALUE' })
})

t.test('/p2p refuses identity multihashes no peer ID can have: empty, or a key over 42 bytes', async t => {
  // peer-ids.md: "keys that serialize to at most 42 bytes must be hashed using the 'identity' multihash codec"
  const identity = (n: number): string => base58btc.encode(Uint8Array.from([0x00, n, ...new Uint8Array(n).fill(8)]))
  for (const n of [0, 43, 60]) {
    t.throws(() => multiaddr(`/p2p/${identity(n)}`), { code: 'ERR_MULTIADDR_INVALID_VALUE', message: /identity peer ID multihash holds/ }, `${n} bytes inline, from text`)
    const bytes = Uint8Array.from([0xa5, 0x03, n + 2, 0x00, n, ...new Uint8Array(n).fill(8)])
    t.throws(() => Multiaddr.fromBytes(bytes), { code: 'ERR_MULTIADDR_INVALID_VALUE' }, `${n} bytes inline, from bytes`)
  }
  // a real Ed25519 peer ID inlines its 36-byte key
  const id = PeerId.fromPublicKey(generateKeyPair('Ed25519').publicKey).toString()
  t.equal(multiaddr(`/p2p/${id}`).getPeerId(), id)
})

t.test('the /p2p text of a parsed address is the base58btc of its bytes, from either peer ID form', async t => {
  const id = PeerId.fromPublicKey(generateKeyPair('Ed25519').publicKey)
  const canonical = base58btc.encode(id.bytes)
  for (const given of [canonical, id.toCID()]) {
    const addr = Multiaddr.fromString(`/ip4/127.0.0.1/tcp/4001/p2p/${given}`)
    t.equal(addr.getPeerId(), canonical, `getPeerId from ${given.slice(0, 6)}...`)
    t.equal(addr.toString(), `/ip4/127.0.0.1/tcp/4001/p2p/${canonical}`)
    t.equal(Multiaddr.fromBytes(addr.bytes).getPeerId(), canonical, 'and from the binary form')
  }
})

t.test('addresses parsed lately are remembered: the same instance for the same text or bytes, never a wrong one', async t => {
  const text = '/ip4/10.1.2.3/tcp/4001'
  const a = Multiaddr.fromString(text)
  t.equal(Multiaddr.fromString(text), a, 'the same text gives the remembered instance')
  const other = Multiaddr.fromString('/ip4/10.1.2.3/tcp/4002')
  t.not(other, a)
  t.equal(other.toString(), '/ip4/10.1.2.3/tcp/4002', 'a different text is parsed for itself')

  // bytes are keyed by their content, not by the array that held them
  const bytes = Uint8Array.from(a.bytes)
  const b = Multiaddr.fromBytes(bytes)
  t.equal(Multiaddr.fromBytes(Uint8Array.from(a.bytes)), b, 'the same bytes give the remembered instance')
  bytes[bytes.length - 1] ^= 1 // the caller reuses its buffer: port 4001 -> 4000
  t.equal(b.toString(), '/ip4/10.1.2.3/tcp/4001', 'the remembered address kept its own copy')
  t.equal(Multiaddr.fromBytes(bytes).toString(), '/ip4/10.1.2.3/tcp/4000', 'changed bytes parse as what they now say')
  const inside = new Uint8Array(a.bytes.length + 4)
  inside.set(a.bytes, 2)
  t.equal(Multiaddr.fromBytes(inside.subarray(2, 2 + a.bytes.length)), b, 'a view into a larger buffer is keyed by its own bytes')

  // a non-canonical text is remembered under itself, and prints canonically
  t.equal(Multiaddr.fromString('/ip4/10.1.2.3/tcp/4001/').toString(), text)
  // errors are never remembered: the same bad input throws every time
  for (let i = 0; i < 2; i++) {
    t.throws(() => Multiaddr.fromString('/ip4/10.1.2/tcp/1'), { code: 'ERR_MULTIADDR_INVALID_VALUE' })
    t.throws(() => Multiaddr.fromBytes(Uint8Array.of(4, 1, 2)), { code: 'ERR_MULTIADDR_TRUNCATED' })
  }
  t.throws(() => Multiaddr.fromBytes('x' as unknown as Uint8Array), { code: 'ERR_MULTIADDR_INVALID' })

  // a long address is parsed every time (the keys stay small), and still right
  const long = `/dns4/${'a'.repeat(60)}.${'b'.repeat(60)}.${'c'.repeat(60)}.${'d'.repeat(60)}.example/tcp/1`
  t.ok(long.length > 256)
  t.not(Multiaddr.fromString(long), Multiaddr.fromString(long))
  t.equal(Multiaddr.fromString(long).toString(), long)
  const longBytes = Multiaddr.fromString(long).bytes
  t.not(Multiaddr.fromBytes(longBytes), Multiaddr.fromBytes(longBytes))
  t.ok(Multiaddr.fromBytes(longBytes).equals(Multiaddr.fromString(long)))

  // socket addresses are not remembered (a remote's port is new every time)
  const s = { family: 4 as const, host: '10.1.2.3', port: 4001 }
  t.not(Multiaddr.fromSocketAddress(s), Multiaddr.fromSocketAddress(s))
  t.ok(Multiaddr.fromSocketAddress(s).equals(a))
})
