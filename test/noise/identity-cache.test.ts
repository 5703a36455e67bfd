// The payload a node signs once and the signatures a node checks once
// (src/noise/identity.ts), and the upgrader's one static key per lifetime.

import t from 'tap'
import { createHandshakePayload, verifyHandshakePayload, nodeCrypto, decodeNoiseHandshakePayload, encodeNoiseHandshakePayload } from '../../src/noise/index.js'
import { generateKeyPair, PeerId, type PrivateKey } from '../../src/peer/index.js'
import { Upgrader } from '../../src/upgrader/index.js'
import { Multiaddr } from '../../src/multiaddr/index.js'
import { yamux } from '../../src/yamux/index.js'
import { tcpPair } from '../helpers/duplex-pair.js'

/** A key that counts its signatures. */
function counting (key: PrivateKey): PrivateKey & { signed: number } {
  const counted = Object.create(key) as PrivateKey & { signed: number }
  counted.signed = 0
  counted.sign = (data: Uint8Array) => { counted.signed++; return key.sign(data) }
  return counted
}

t.test('a payload is signed once per identity, static key and muxer list', async t => {
  const key = counting(generateKeyPair('Ed25519'))
  const s1 = nodeCrypto.publicKey(nodeCrypto.generatePrivateKey())
  const s2 = nodeCrypto.publicKey(nodeCrypto.generatePrivateKey())
  const a = createHandshakePayload(key, s1, ['/yamux/1.0.0'])
  t.same(createHandshakePayload(key, Uint8Array.from(s1), ['/yamux/1.0.0']), a, 'the same bytes again')
  t.equal(key.signed, 1)
  t.not(Buffer.compare(createHandshakePayload(key, s2, ['/yamux/1.0.0']), a), 0, 'another static key: another payload')
  t.not(Buffer.compare(createHandshakePayload(key, s1, ['/mplex/6.7.0']), a), 0, 'another muxer list: another payload')
  t.equal(key.signed, 3)
  t.ok(verifyHandshakePayload(a, s1).remotePublicKey.equals(key.publicKey))
})

t.test('muxer lists that join to the same text are still different lists', async t => {
  const key = generateKeyPair('Ed25519')
  const s = nodeCrypto.publicKey(nodeCrypto.generatePrivateKey())
  const one = decodeNoiseHandshakePayload(createHandshakePayload(key, s, ['/a /b']))
  const two = decodeNoiseHandshakePayload(createHandshakePayload(key, s, ['/a', '/b']))
  t.same(one.extensions?.streamMuxers, ['/a /b'])
  t.same(two.extensions?.streamMuxers, ['/a', '/b'])
  const none = decodeNoiseHandshakePayload(createHandshakePayload(key, s, []))
  t.same(none.extensions?.streamMuxers ?? [], [], 'and an empty list is none')
})

t.test('a verified signature is remembered only for the exact key, static key and signature', async t => {
  const key = generateKeyPair('Ed25519')
  const s1 = nodeCrypto.publicKey(nodeCrypto.generatePrivateKey())
  const s2 = nodeCrypto.publicKey(nodeCrypto.generatePrivateKey())
  const payload = createHandshakePayload(key, s1)
  t.ok(verifyHandshakePayload(payload, s1), 'first check')
  t.ok(verifyHandshakePayload(payload, s1), 'remembered')
  t.throws(() => verifyHandshakePayload(payload, s2), { code: 'ERR_NOISE_BAD_SIGNATURE' }, 'the same signature does not vouch for another static key')
  const decoded = decodeNoiseHandshakePayload(payload)
  const sig = Uint8Array.from(decoded.identitySig)
  sig[0] ^= 1
  const tampered = encodeNoiseHandshakePayload({ identityKey: decoded.identityKey, identitySig: sig })
  t.throws(() => verifyHandshakePayload(tampered, s1), { code: 'ERR_NOISE_BAD_SIGNATURE' }, 'nor does a changed signature')
  t.throws(() => verifyHandshakePayload(tampered, s1), { code: 'ERR_NOISE_BAD_SIGNATURE' }, 'and a refusal is never remembered')
})

t.test('an upgrader keeps one static key: two connections, one signature', async t => {
  const key = counting(generateKeyPair('Ed25519'))
  const dialer = new Upgrader({ privateKey: key, muxers: [yamux] })
  const listener = new Upgrader({ privateKey: generateKeyPair('Ed25519'), muxers: [yamux] })
  const addr = Multiaddr.fromString('/ip4/127.0.0.1/tcp/1')
  for (let i = 0; i < 2; i++) {
    const [a, b] = await tcpPair()
    const [out, inb] = await Promise.all([dialer.upgradeOutbound(a, { remoteAddr: addr }), listener.upgradeInbound(b, { remoteAddr: addr })])
    out.abort(new Error('done'))
    inb.abort(new Error('done'))
  }
  t.equal(key.signed, 1, 'the static key was signed for the first connection only')
})

t.test('a remembered triple gives back the identity it proved, and the expected peer is still checked', async t => {
  const key = generateKeyPair('Ed25519')
  const other = generateKeyPair('Ed25519')
  const s = nodeCrypto.publicKey(nodeCrypto.generatePrivateKey())
  const payload = createHandshakePayload(key, s)
  const first = verifyHandshakePayload(payload, s)
  const again = verifyHandshakePayload(payload, s)
  t.equal(again.remotePeer, first.remotePeer, 'the same PeerId object (its text is encoded once)')
  t.equal(again.remotePublicKey, first.remotePublicKey)
  t.ok(again.remotePublicKey.equals(key.publicKey))
  t.ok(verifyHandshakePayload(payload, s, first.remotePeer).remotePeer.equals(first.remotePeer), 'the right expected peer passes')
  t.throws(() => verifyHandshakePayload(payload, s, PeerId.fromPublicKey(other.publicKey)), { code: 'ERR_UNEXPECTED_PEER' }, 'a cache hit does not skip the expected-peer check')
})
