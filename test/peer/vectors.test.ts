// The peer-ids spec's own test vectors (spec-vectors/peer/keys.json,
// peer-ids.json) and RFC 8032's Ed25519 vectors, byte for byte.

import t from 'tap'
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import {
  PeerId, ed25519PrivateKeyFromSeed, privateKeyFromProtobuf, privateKeyToProtobuf,
  publicKeyFromProtobuf, publicKeyToProtobuf, type KeyTypeName
} from '../../src/peer/index.js'

interface KeyVector { type: KeyTypeName, privateKey: string, publicKey: string }
interface PeerIdVector { text: string, form: 'cid' | 'base58btc', hash: 'identity' | 'sha2-256', keyType?: KeyTypeName }
interface Rfc8032Vector { name: string, secretKey: string, publicKey: string, message: string, signature: string }

function load<T> (name: string): { source: string, vectors: T[] } {
  return JSON.parse(readFileSync(new URL(`../../spec-vectors/peer/${name}`, import.meta.url), 'utf8'))
}
const hex = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'hex'))
const toHex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex')

const keys = load<KeyVector>('keys.json')
const peerIds = load<PeerIdVector>('peer-ids.json')
const rfc8032 = load<Rfc8032Vector>('rfc8032-ed25519.json')

t.test('vector files name their source', async t => {
  for (const file of [keys, peerIds, rfc8032]) t.match(file.source, /\S/)
  t.equal(keys.vectors.length, 4, 'one vector per key type')
})

for (const v of keys.vectors) {
  t.test(`${v.type} key vector`, async t => {
    const privateKey = privateKeyFromProtobuf(hex(v.privateKey))
    t.equal(privateKey.type, v.type)
    // "Implementations SHOULD check that they can produce the provided public
    // key from the private key."
    t.equal(toHex(publicKeyToProtobuf(privateKey.publicKey)), v.publicKey.toLowerCase(), 'derived public key protobuf')
    t.equal(toHex(privateKeyToProtobuf(privateKey)), v.privateKey.toLowerCase(), 'private key re-encodes byte for byte')

    const publicKey = publicKeyFromProtobuf(hex(v.publicKey))
    t.equal(publicKey.type, v.type)
    t.equal(toHex(publicKeyToProtobuf(publicKey)), v.publicKey.toLowerCase(), 'public key re-encodes byte for byte')
    t.ok(publicKey.equals(privateKey.publicKey))

    const message = new TextEncoder().encode(`message for ${v.type}`)
    const signature = privateKey.sign(message)
    t.ok(publicKey.verify(message, signature), 'decoded public key verifies the decoded private key')
    const tampered = new Uint8Array(message)
    tampered[0] ^= 1
    t.notOk(publicKey.verify(tampered, signature), 'a changed message fails')

    // the peer ID follows the spec's rule: identity when the protobuf is <= 42 bytes
    const protobuf = hex(v.publicKey)
    const id = PeerId.fromPublicKey(publicKey)
    if (protobuf.length <= 42) {
      t.equal(toHex(id.bytes), '00' + protobuf.length.toString(16).padStart(2, '0') + v.publicKey.toLowerCase(), 'identity multihash')
      t.ok(id.publicKey?.equals(publicKey), 'key recovered from the peer ID')
    } else {
      t.equal(toHex(id.bytes), '1220' + createHash('sha256').update(protobuf).digest('hex'), 'sha2-256 multihash')
      t.equal(id.publicKey, undefined)
    }
  })
}

t.test('Ed25519 vector: Data is seed ‖ public key', async t => {
  const v = keys.vectors.find(v => v.type === 'Ed25519')!
  const privateData = hex(v.privateKey).subarray(4)
  const key = ed25519PrivateKeyFromSeed(privateData.subarray(0, 32))
  t.equal(toHex(key.publicKey.raw), toHex(privateData.subarray(32)))
})

for (const v of peerIds.vectors) {
  t.test(`peer ID example ${v.text}`, async t => {
    const id = PeerId.parse(v.text)
    t.equal(id.bytes[0], v.hash === 'identity' ? 0x00 : 0x12, `${v.hash} multihash`)
    if (v.form === 'base58btc') t.equal(id.toString(), v.text, 'toString gives the text back')
    else t.equal(id.toCID(), v.text, 'toCID gives the text back')
    if (v.keyType !== undefined) t.equal(id.publicKey?.type, v.keyType)
    t.ok(PeerId.parse(id.toCID()).equals(id), 'CID form round trip')
    t.ok(PeerId.parse(id.toString()).equals(id), 'base58btc form round trip')
  })
}

for (const v of rfc8032.vectors) {
  t.test(`RFC 8032 Ed25519 ${v.name}`, async t => {
    const key = ed25519PrivateKeyFromSeed(hex(v.secretKey))
    t.equal(toHex(key.publicKey.raw), v.publicKey, 'public key from seed')
    t.equal(toHex(key.sign(hex(v.message))), v.signature, 'deterministic signature')
    t.ok(key.publicKey.verify(hex(v.message), hex(v.signature)))
    // the libp2p encodings of this key: Data = seed ‖ public key
    t.equal(toHex(privateKeyToProtobuf(key)), '08011240' + v.secretKey + v.publicKey)
    t.equal(toHex(publicKeyToProtobuf(key.publicKey)), '08011220' + v.publicKey)
  })
}
