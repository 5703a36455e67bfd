// Peer IDs (peer-ids.md "Peer Ids", "String representation", "Decoding").

import t from 'tap'
import fc from 'fast-check'
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import {
  PeerId, ed25519PrivateKeyFromSeed, generateKeyPair, privateKeyFromProtobuf, publicKeyFromProtobuf, publicKeyToProtobuf,
  type PublicKey
} from '../../src/peer/index.js'
import { base16, base32, base36, base36upper, base58btc, encodeMultibase } from '../../src/util/multibase.js'
import { isP2PError } from '../../src/util/errors.js'

const hex = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'hex'))
const toHex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex')
// RFC 8032 TEST 1 key (spec-vectors/peer/rfc8032-ed25519.json)
const seed = hex('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60')
const PUB = 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a'
const key = ed25519PrivateKeyFromSeed(seed)
// the spec's 4096-bit RSA private key vector: decoding is much faster than generating
const rsaVector = JSON.parse(readFileSync(new URL('../../spec-vectors/peer/keys.json', import.meta.url), 'utf8'))
  .vectors.find((v: { type: string }) => v.type === 'RSA')
const rsa = privateKeyFromProtobuf(hex(rsaVector.privateKey))

t.test('Ed25519 peer ID: identity multihash of the 36-byte PublicKey protobuf', async t => {
  const id = PeerId.fromPublicKey(key.publicKey)
  t.equal(toHex(id.bytes), '0024' + '08011220' + PUB)
  t.equal(id.toString(), base58btc.encode(id.bytes))
  t.match(id.toString(), /^12D3KooW/)
  t.equal(id.toCID(), 'b' + base32.encode(hex('0172' + toHex(id.bytes))))
  t.match(id.toCID(), /^bafzaa/)
  t.ok(id.publicKey?.equals(key.publicKey))
  t.equal(JSON.stringify({ id }), `{"id":"${id.toString()}"}`)
})

t.test('secp256k1 peer ID: identity multihash of the 37-byte protobuf ("16U...")', async t => {
  const k = generateKeyPair('Secp256k1')
  const id = PeerId.fromPublicKey(k.publicKey)
  t.equal(toHex(id.bytes.subarray(0, 2)), '0025')
  t.match(id.toString(), /^16U/)
  t.ok(id.publicKey?.equals(k.publicKey))
})

t.test('ECDSA and RSA peer IDs: sha2-256 of the protobuf ("Qm...")', async t => {
  for (const k of [generateKeyPair('ECDSA'), rsa]) {
    const protobuf = publicKeyToProtobuf(k.publicKey)
    t.ok(protobuf.length > 42)
    const id = PeerId.fromPublicKey(k.publicKey)
    t.equal(toHex(id.bytes), '1220' + createHash('sha256').update(protobuf).digest('hex'))
    t.match(id.toString(), /^Qm/)
    t.match(id.toCID(), /^bafzbe/)
    t.equal(id.publicKey, undefined, 'a hash does not reveal the key')
    t.ok(id.matchesPublicKey(k.publicKey))
    t.notOk(id.matchesPublicKey(key.publicKey))
  }
})

t.test('parse: both text forms, any multibase for the CID', async t => {
  const id = PeerId.fromPublicKey(key.publicKey)
  const cid = hex('0172' + toHex(id.bytes))
  for (const text of [id.toString(), id.toCID(), encodeMultibase(base16, cid), encodeMultibase(base58btc, cid), id.toCID().toUpperCase().replace(/^B/, 'b'), id.toCID().toUpperCase(), encodeMultibase(base36, cid), encodeMultibase(base36upper, cid)]) {
    const parsed = PeerId.parse(text)
    t.equal(toHex(parsed.bytes), toHex(id.bytes), text)
    t.ok(parsed.publicKey?.equals(key.publicKey))
  }
})

t.test('equals and matchesPublicKey', async t => {
  const id = PeerId.fromPublicKey(key.publicKey)
  const other = PeerId.fromPublicKey(generateKeyPair().publicKey)
  t.ok(id.equals(PeerId.fromBytes(id.bytes)))
  t.ok(id.equals(id.toString()))
  t.ok(id.equals(id.toCID()))
  t.notOk(id.equals(other))
  t.notOk(id.equals(other.toString()))
  t.notOk(id.equals('not a peer id'))
  t.ok(id.matchesPublicKey(key.publicKey))
  t.notOk(id.matchesPublicKey(other.publicKey!))
})

t.test('fromBytes copies its input', async t => {
  const bytes = PeerId.fromPublicKey(key.publicKey).bytes.slice()
  const id = PeerId.fromBytes(bytes)
  bytes[10] ^= 1
  t.equal(toHex(id.bytes), '0024' + '08011220' + PUB)
})

t.test('fromBytes rejects what is not a peer ID', async t => {
  const edProtobuf = '08011220' + PUB
  const cases: Array<[string, string]> = [
    ['', 'empty'],
    ['12', 'truncated header'],
    ['1220' + '00'.repeat(31), 'sha2-256 digest too short'],
    ['1220' + '00'.repeat(33), 'sha2-256 digest too long'],
    ['1210' + '00'.repeat(16), 'sha2-256 with a 16-byte digest'],
    ['1320' + '00'.repeat(32), 'sha2-512 code'],
    ['1114' + '00'.repeat(20), 'sha1 code'],
    ['0023' + edProtobuf, 'identity length larger than the data'],
    ['0025' + edProtobuf + '00', 'identity with trailing byte inside the key'],
    ['0024' + edProtobuf + '00', 'byte after the digest'],
    ['0024' + '08011220' + '00'.repeat(32).replace(/^00/, '02'), 'identity key that is not a curve point'],
    ['0004' + '08051200', 'identity of an unknown key type'],
    ['00' + '2b' + '0801122a' + '00'.repeat(42), 'identity multihash longer than 42 bytes'],
    ['8000' + '00', 'non-minimal varint']
  ]
  for (const [input, name] of cases) {
    t.throws(() => PeerId.fromBytes(hex(input)), { code: 'ERR_INVALID_PEER_ID' }, name)
  }
  // an RSA key is over 42 bytes: inlining it is against the spec
  const rsaProtobuf = publicKeyToProtobuf(rsa.publicKey)
  const inlined = new Uint8Array([0x00, ...[0x80 | (rsaProtobuf.length & 0x7f), rsaProtobuf.length >> 7], ...rsaProtobuf])
  t.throws(() => PeerId.fromBytes(inlined), { code: 'ERR_INVALID_PEER_ID', message: /must be hashed with sha2-256/ })
})

t.test('parse rejects what is not a peer ID', async t => {
  const id = PeerId.fromPublicKey(key.publicKey)
  const cases: Array<[string, string]> = [
    ['', 'empty'],
    ['12D3KooW0', 'base58btc with "0", outside the alphabet'],
    ['Qm', 'base58 that is too short'],
    ['x' + id.toString(), 'unknown multibase prefix'],
    [encodeMultibase(base36, hex('0155' + toHex(id.bytes))), 'base36 CIDv1 with codec raw (0x55)'],
    ['k51qzi5uqu5dgnfwbc46une4upw1vc9hxznymyeykmg6rev1513yrnbyrwmmq!', 'bad base36 character'],
    [encodeMultibase(base32, hex('0155' + toHex(id.bytes))), 'CIDv1 with codec raw (0x55)'],
    [encodeMultibase(base32, hex('0170' + toHex(id.bytes))), 'CIDv1 with codec dag-pb (0x70)'],
    [encodeMultibase(base32, hex('0272' + toHex(id.bytes))), 'CID version 2'],
    [encodeMultibase(base32, hex('0072' + toHex(id.bytes))), 'CID version 0 in a multibase'],
    [encodeMultibase(base32, hex('01')), 'CID without codec'],
    [encodeMultibase(base32, hex('0172')), 'CID without multihash'],
    ['b' + base32.encode(hex('0172' + toHex(id.bytes))) + '!', 'bad base32 character'],
    ['1'.repeat(129), 'longer than the limit'],
    ['zzzz', 'base58btc multibase that decodes to garbage'],
    ['Qm' + 'a'.repeat(40), 'Qm... with a wrong length']
  ]
  for (const [text, name] of cases) {
    t.throws(() => PeerId.parse(text), { code: 'ERR_INVALID_PEER_ID' }, name)
  }
  t.throws(() => PeerId.parse(encodeMultibase(base32, hex('0155' + toHex(id.bytes)))), { message: /multicodec 0x55; expected libp2p-key \(0x72\)/ })
})

t.test('property: peer ID text forms round trip', async t => {
  const samples = [PeerId.fromPublicKey(key.publicKey), PeerId.fromPublicKey(rsa.publicKey)]
  fc.assert(fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), digest => {
    const id = PeerId.fromBytes(new Uint8Array([0x12, 0x20, ...digest]))
    return PeerId.parse(id.toString()).equals(id) && PeerId.parse(id.toCID()).equals(id) && id.toString().startsWith('Qm')
  }), { numRuns: 200 })
  for (const id of samples) t.ok(PeerId.parse(id.toCID()).equals(id.toString()))
})

t.test('property: fromPublicKey ∘ publicKey is the identity for inlined keys', async t => {
  fc.assert(fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), seedBytes => {
    const k = ed25519PrivateKeyFromSeed(seedBytes)
    const id = PeerId.fromPublicKey(k.publicKey)
    const back = PeerId.parse(id.toString())
    return back.publicKey !== undefined && back.publicKey.equals(k.publicKey) &&
      toHex(publicKeyToProtobuf(publicKeyFromProtobuf(back.bytes.subarray(2)))) === toHex(back.bytes.subarray(2))
  }), { numRuns: 50 })
  t.pass()
})

function onlyP2PErrors (f: () => unknown): boolean {
  try {
    f()
    return true
  } catch (err) {
    return isP2PError(err, 'ERR_INVALID_PEER_ID')
  }
}

t.test('property: random input only ever throws ERR_INVALID_PEER_ID', async t => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 80 }), bytes => onlyP2PErrors(() => PeerId.fromBytes(bytes))), { numRuns: 1000 })
  fc.assert(fc.property(fc.uint8Array({ maxLength: 40 }), bytes =>
    onlyP2PErrors(() => PeerId.fromBytes(new Uint8Array([0x00, bytes.length, ...bytes])))
  ), { numRuns: 500 })
  fc.assert(fc.property(fc.string({ maxLength: 140 }), text => onlyP2PErrors(() => PeerId.parse(text))), { numRuns: 1000 })
  fc.assert(fc.property(fc.uint8Array({ maxLength: 60 }), bytes =>
    onlyP2PErrors(() => PeerId.parse(base58btc.encode(bytes))) &&
    onlyP2PErrors(() => PeerId.parse(encodeMultibase(base32, bytes)))
  ), { numRuns: 1000 })
  t.pass()
})

t.test('a parsed peer ID prints as base58btc of its bytes, whichever form it was parsed from', async t => {
  fc.assert(fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.boolean(), (seedBytes, hashed) => {
    const publicKey = ed25519PrivateKeyFromSeed(seedBytes).publicKey
    const id = hashed
      ? PeerId.fromBytes(new Uint8Array([0x12, 0x20, ...createHash('sha256').update(publicKeyToProtobuf(publicKey)).digest()]))
      : PeerId.fromPublicKey(publicKey)
    const canonical = base58btc.encode(id.bytes)
    // the bare base58btc text is kept as it was given; it must equal the encoding of the bytes
    const fromBase58 = PeerId.parse(canonical)
    const fromCid = PeerId.parse(id.toCID())
    return fromBase58.toString() === canonical && fromCid.toString() === canonical &&
      toHex(fromBase58.bytes) === toHex(id.bytes) && toHex(fromCid.bytes) === toHex(id.bytes)
  }), { numRuns: 100 })
})

t.test('the 42-byte boundary: a 42-byte serialized key is inlined (identity), a 43-byte one is hashed (sha2-256)', async t => {
  // peer-ids.md "Peer Ids": "If the length of the serialized bytes is less than or equal to 42,
  // compute the "identity" multihash ... If the length is greater than 42, then hash it using the SHA256 multihash."
  // Real keys serialize to 36, 37 or 91+ bytes, so only stub keys reach the boundary.
  // The envelope adds 4 bytes (08 type 12 length): 38 + 4 = 42, 39 + 4 = 43.
  const stub = (n: number): PublicKey => ({ type: 'Ed25519', raw: new Uint8Array(n).fill(7) }) as unknown as PublicKey
  const at42 = PeerId.fromPublicKey(stub(38))
  t.equal(Buffer.from(at42.bytes.subarray(0, 2)).toString('hex'), '002a', '42 bytes: identity multihash of length 0x2a')
  t.equal(at42.bytes.length, 44)
  const at43 = PeerId.fromPublicKey(stub(39))
  t.equal(Buffer.from(at43.bytes.subarray(0, 2)).toString('hex'), '1220', '43 bytes: sha2-256 multihash')
  t.same([...at43.bytes.subarray(2)], [...createHash('sha256').update(Uint8Array.from([0x08, 0x01, 0x12, 39, ...new Uint8Array(39).fill(7)])).digest()], 'of the serialized key')
})
