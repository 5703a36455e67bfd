import t from 'tap'
import { generateKeyPair, PeerId, privateKeyToProtobuf, publicKeyToProtobuf } from '../../src/peer/index.js'
import { Multiaddr } from '../../src/multiaddr/index.js'
import {
  createSignedPeerRecord, encodePeerRecord, envelopeSignedData, openEnvelope, openSignedPeerRecord, PEER_RECORD_DOMAIN,
  PEER_RECORD_PAYLOAD_TYPE, ROUTING_STATE_DOMAIN, ROUTING_STATE_PAYLOAD_TYPE, sealEnvelope
} from '../../src/protocols/record/index.js'
import { isP2PError } from '../../src/util/errors.js'

// js-libp2p 3.x calls Promise.withResolvers (Node 22); polyfill for Node 20
const P = Promise as unknown as { withResolvers?: () => unknown }
P.withResolvers ??= function withResolvers<T> () {
  let resolve!: (v: T) => void
  let reject!: (e: unknown) => void
  const promise = new Promise<T>((res, rej) => { resolve = res; reject = rej })
  return { promise, resolve, reject }
}

const key = generateKeyPair('Ed25519')
const peer = PeerId.fromPublicKey(key.publicKey)
const addrs = [Multiaddr.fromString('/ip4/127.0.0.1/tcp/4001'), Multiaddr.fromString('/ip6/::1/udp/4001/quic-v1')]

function catchErr (fn: () => unknown): unknown {
  try { fn() } catch (err) { return err }
  return undefined
}

t.test('signed data layout follows RFC 0002 "Signature Production"', async t => {
  // varint(len) || "ab" || varint(len) || 03 01 || varint(len) || ff
  t.same([...envelopeSignedData('ab', Uint8Array.of(3, 1), Uint8Array.of(0xff))], [2, 0x61, 0x62, 2, 3, 1, 1, 0xff])
  t.equal(PEER_RECORD_DOMAIN, 'libp2p-peer-record')
  t.same([...PEER_RECORD_PAYLOAD_TYPE], [0x03, 0x01])
})

t.test('create and open round trip, for each key type', async t => {
  for (const type of ['Ed25519', 'Secp256k1', 'ECDSA'] as const) {
    const k = generateKeyPair(type)
    const id = PeerId.fromPublicKey(k.publicKey)
    const opened = openSignedPeerRecord(createSignedPeerRecord(k, id, addrs, 2n ** 64n - 1n))
    t.ok(opened.peerId.equals(id), type)
    t.equal(opened.seq, 2n ** 64n - 1n)
    t.same(opened.addresses.map(a => a.toString()), addrs.map(a => a.toString()))
    t.ok(opened.publicKey.equals(k.publicKey))
  }
})

t.test('the same bytes opened again give the same record; one changed byte is checked afresh', async t => {
  const bytes = createSignedPeerRecord(key, peer, addrs, 7n)
  const first = openSignedPeerRecord(bytes)
  first.addresses.length = 0 // a caller's change to its copy reaches no later caller
  const again = openSignedPeerRecord(Uint8Array.from(bytes))
  t.equal(again.seq, 7n)
  t.same(again.addresses.map(a => a.toString()), addrs.map(a => a.toString()))
  const tampered = Uint8Array.from(bytes)
  tampered[tampered.length - 1] ^= 1 // the last byte of the signature
  t.ok(isP2PError(catchErr(() => openSignedPeerRecord(tampered)), 'ERR_ENVELOPE_INVALID_SIGNATURE'), 'not taken for the remembered record')
  t.ok(isP2PError(catchErr(() => openSignedPeerRecord(tampered)), 'ERR_ENVELOPE_INVALID_SIGNATURE'), 'and a failure is never remembered')
})

t.test('wrong domain, wrong type, wrong peer, bad signature', async t => {
  const payload = encodePeerRecord({ peerId: peer, seq: 1n, addresses: addrs })
  const otherDomain = sealEnvelope(key, 'libp2p-routing-state', PEER_RECORD_PAYLOAD_TYPE, payload)
  t.ok(isP2PError(catchErr(() => openSignedPeerRecord(otherDomain)), 'ERR_ENVELOPE_INVALID_SIGNATURE'), 'domain separation')

  const otherType = sealEnvelope(key, PEER_RECORD_DOMAIN, Uint8Array.of(0x81, 0x06), payload)
  t.ok(isP2PError(catchErr(() => openSignedPeerRecord(otherType)), 'ERR_PEER_RECORD_WRONG_TYPE'))

  const other = generateKeyPair('Ed25519')
  const signedByOther = sealEnvelope(other, PEER_RECORD_DOMAIN, PEER_RECORD_PAYLOAD_TYPE, payload)
  t.ok(isP2PError(catchErr(() => openSignedPeerRecord(signedByOther)), 'ERR_PEER_RECORD_PEER_MISMATCH'))

  t.ok(isP2PError(catchErr(() => createSignedPeerRecord(other, peer, addrs, 1n)), 'ERR_INVALID_PARAMETERS'), 'key must belong to the peer')
  t.ok(isP2PError(catchErr(() => createSignedPeerRecord(key, peer, addrs, -1)), 'ERR_INVALID_PARAMETERS'))

  const good = createSignedPeerRecord(key, peer, addrs, 1n)
  const badSig = new Uint8Array(good)
  badSig[badSig.length - 1] ^= 0x80
  t.ok(isP2PError(catchErr(() => openSignedPeerRecord(badSig)), 'ERR_ENVELOPE_INVALID_SIGNATURE'))

  for (const bytes of [Uint8Array.of(), Uint8Array.of(0x0a, 0x02, 0x08), Uint8Array.of(0x0a, 0x05)]) {
    t.ok(isP2PError(catchErr(() => openEnvelope(bytes, PEER_RECORD_DOMAIN)), 'ERR_ENVELOPE_INVALID'), `malformed ${[...bytes]}`)
  }
})

t.test('RFC 0002: the signature is checked before the payload is deserialized', async t => {
  // a payload that does not decode as a PeerRecord, signed properly
  const junk = Uint8Array.of(0xff, 0xff, 0xff)
  const signedJunk = sealEnvelope(key, PEER_RECORD_DOMAIN, PEER_RECORD_PAYLOAD_TYPE, junk)
  t.ok(isP2PError(catchErr(() => openSignedPeerRecord(signedJunk)), 'ERR_PEER_RECORD_INVALID'), 'signed junk: the signature passes, the payload does not decode')
  const tampered = new Uint8Array(signedJunk)
  tampered[tampered.length - 1] ^= 0x80
  t.ok(isP2PError(catchErr(() => openSignedPeerRecord(tampered)), 'ERR_ENVELOPE_INVALID_SIGNATURE'), 'the same junk under a bad signature is refused for its signature, never parsed')
})

t.test('the RFC 0003 form as written (domain libp2p-routing-state) also opens', async t => {
  t.equal(ROUTING_STATE_DOMAIN, 'libp2p-routing-state')
  t.equal(Buffer.from(ROUTING_STATE_PAYLOAD_TYPE).toString(), '/libp2p/routing-state-record')
  const payload = encodePeerRecord({ peerId: peer, seq: 3n, addresses: addrs })
  const rfcForm = sealEnvelope(key, ROUTING_STATE_DOMAIN, ROUTING_STATE_PAYLOAD_TYPE, payload)
  const opened = openSignedPeerRecord(rfcForm)
  t.equal(opened.seq, 3n)
  t.ok(opened.peerId.equals(peer))
  // the type hint fixes the domain: a mixed envelope does not verify
  const mixed = sealEnvelope(key, PEER_RECORD_DOMAIN, ROUTING_STATE_PAYLOAD_TYPE, payload)
  t.ok(isP2PError(catchErr(() => openSignedPeerRecord(mixed)), 'ERR_ENVELOPE_INVALID_SIGNATURE'))
})

t.test('cross-check with js-libp2p @libp2p/peer-record, both directions', async t => {
  const { RecordEnvelope, PeerRecord } = await import('@libp2p/peer-record')
  const { privateKeyFromProtobuf } = await import('@libp2p/crypto/keys')
  const { peerIdFromString } = await import('@libp2p/peer-id')
  const { multiaddr } = await import('@multiformats/multiaddr')

  // ours -> js
  const ours = createSignedPeerRecord(key, peer, addrs, 42n)
  const envelope = await RecordEnvelope.openAndCertify(ours, PeerRecord.DOMAIN)
  const record = PeerRecord.createFromProtobuf(envelope.payload)
  t.equal(record.peerId.toString(), peer.toString())
  t.equal(record.seqNumber, 42n)
  t.same(record.multiaddrs.map(a => a.toString()), addrs.map(a => a.toString()))
  t.same([...envelope.publicKey.toMultihash().bytes], [...peer.bytes])

  // js -> ours
  const jsKey = privateKeyFromProtobuf(privateKeyToProtobuf(key))
  const jsRecord = new PeerRecord({ peerId: peerIdFromString(peer.toString()), multiaddrs: addrs.map(a => multiaddr(a.toString())), seqNumber: 9n })
  const jsEnvelope = await RecordEnvelope.seal(jsRecord, jsKey)
  const jsBytes = jsEnvelope.marshal()
  const opened = openSignedPeerRecord(jsBytes)
  t.ok(opened.peerId.equals(peer))
  t.equal(opened.seq, 9n)
  t.same(opened.addresses.map(a => a.toString()), addrs.map(a => a.toString()))

  // Ed25519 signatures are deterministic: identical bytes
  t.same([...createSignedPeerRecord(key, peer, addrs, 9n)], [...jsBytes], 'byte-identical envelope')
  t.same([...publicKeyToProtobuf(key.publicKey)], [...jsKey.publicKey.toMultihash().digest])
})
