import t from 'tap'
import { generateKeyPair, PeerId, publicKeyToProtobuf } from '../../src/peer/index.js'
import { Multiaddr } from '../../src/multiaddr/index.js'
import { interpretIdentify, type IdentifyMessage } from '../../src/protocols/identify/index.js'
import { createSignedPeerRecord } from '../../src/protocols/record/index.js'
import { isP2PError } from '../../src/util/errors.js'

const key = generateKeyPair('Ed25519')
const peer = PeerId.fromPublicKey(key.publicKey)
const other = generateKeyPair('Ed25519')
const otherPeer = PeerId.fromPublicKey(other.publicKey)
const listen = Multiaddr.fromString('/ip4/127.0.0.1/tcp/4001')
const observed = Multiaddr.fromString('/ip6/::1/tcp/5555')

function message (fields: Partial<IdentifyMessage> = {}): IdentifyMessage {
  return { listenAddrs: [], protocols: [], ...fields }
}

function catchErr (fn: () => unknown): unknown {
  try { fn() } catch (err) { return err }
  return undefined
}

t.test('every field becomes its typed value', async t => {
  const result = interpretIdentify(message({
    protocolVersion: 'ipfs/0.1.0',
    agentVersion: 'test/1',
    publicKey: publicKeyToProtobuf(key.publicKey),
    listenAddrs: [listen.bytes],
    observedAddr: observed.bytes,
    protocols: ['/ipfs/ping/1.0.0', '/echo/1.0.0']
  }), peer)
  t.ok(result.peerId.equals(peer))
  t.ok(result.publicKey?.equals(key.publicKey))
  t.equal(result.protocolVersion, 'ipfs/0.1.0')
  t.equal(result.agentVersion, 'test/1')
  t.same(result.listenAddrs.map(a => a.toString()), ['/ip4/127.0.0.1/tcp/4001'])
  t.equal(result.observedAddr?.toString(), '/ip6/::1/tcp/5555')
  t.same(result.protocols, ['/ipfs/ping/1.0.0', '/echo/1.0.0'])
  t.equal(result.signedPeerRecord, undefined)
  t.equal(result.invalidAddrs, 0)
})

t.test('a partial message (identify/push) leaves missing fields undefined', async t => {
  const result = interpretIdentify(message({ protocols: ['/x'] }), peer)
  t.equal(result.publicKey, undefined)
  t.equal(result.agentVersion, undefined)
  t.equal(result.observedAddr, undefined)
  t.same(result.listenAddrs, [])
  t.same(result.protocols, ['/x'])
})

t.test('a public key of another peer is ERR_IDENTIFY_PEER_MISMATCH', async t => {
  const err = catchErr(() => interpretIdentify(message({ publicKey: publicKeyToProtobuf(other.publicKey) }), peer))
  t.ok(isP2PError(err, 'ERR_IDENTIFY_PEER_MISMATCH'), String(err))
  t.match((err as Error).message, otherPeer.toString())
})

t.test('an undecodable public key is ERR_IDENTIFY_INVALID_MESSAGE', async t => {
  for (const bytes of [Uint8Array.of(), Uint8Array.of(0x08, 0x01), Uint8Array.of(0x08, 0x09, 0x12, 0x01, 0x00), Uint8Array.of(0xff)]) {
    const err = catchErr(() => interpretIdentify(message({ publicKey: bytes }), peer))
    t.ok(isP2PError(err, 'ERR_IDENTIFY_INVALID_MESSAGE'), String(err))
  }
})

t.test('invalid addresses are skipped and counted, never thrown', async t => {
  const result = interpretIdentify(message({
    listenAddrs: [Uint8Array.of(), Uint8Array.of(0xff, 0xff, 0xff), listen.bytes, Uint8Array.of(4, 1, 2)],
    observedAddr: Uint8Array.of(6)
  }), peer)
  t.same(result.listenAddrs.map(a => a.toString()), ['/ip4/127.0.0.1/tcp/4001'])
  t.equal(result.observedAddr, undefined)
  t.equal(result.invalidAddrs, 4)
})

t.test('a signed peer record replaces listenAddrs ("MUST use the data contained within it")', async t => {
  const recordAddr = Multiaddr.fromString('/ip4/10.0.0.1/tcp/1234')
  const spr = createSignedPeerRecord(key, peer, [recordAddr], 7n)
  const result = interpretIdentify(message({ listenAddrs: [listen.bytes], signedPeerRecord: spr }), peer)
  t.same(result.listenAddrs.map(a => a.toString()), ['/ip4/10.0.0.1/tcp/1234'])
  t.equal(result.signedPeerRecord?.seq, 7n)
  t.ok(result.publicKey?.equals(key.publicKey), 'key learned from the envelope')
})

/** A message with `signedPeerRecord`, the remote's own key, two protocols and an unsigned listen address. */
function withRecord (signedPeerRecord: Uint8Array): IdentifyMessage {
  return message({ publicKey: publicKeyToProtobuf(key.publicKey), protocols: ['/a/1', '/b/1'], listenAddrs: [listen.bytes], signedPeerRecord })
}

t.test('a signed peer record of another peer is set aside (ERR_IDENTIFY_PEER_MISMATCH), the rest is used', async t => {
  const spr = createSignedPeerRecord(other, otherPeer, [Multiaddr.fromString('/ip4/10.9.9.9/tcp/9')], 1n)
  const result = interpretIdentify(withRecord(spr), peer)
  t.ok(isP2PError(result.rejectedSignedPeerRecord, 'ERR_IDENTIFY_PEER_MISMATCH'), String(result.rejectedSignedPeerRecord))
  t.match(result.rejectedSignedPeerRecord?.message, otherPeer.toString())
  t.equal(result.signedPeerRecord, undefined)
  t.equal(result.signedPeerRecordEnvelope, undefined)
  t.same(result.listenAddrs.map(a => a.toString()), [listen.toString()], 'the unsigned addresses, not the record\'s')
  t.same(result.protocols, ['/a/1', '/b/1'])
  t.ok(result.publicKey?.equals(key.publicKey))
})

t.test('a tampered or malformed signed peer record is set aside with its typed error', async t => {
  const spr = createSignedPeerRecord(key, peer, [Multiaddr.fromString('/ip4/10.9.9.9/tcp/9')], 1n)
  const tampered = new Uint8Array(spr)
  // flip the last byte of the record's address: it is inside the signed payload
  const at = Buffer.from(spr).lastIndexOf(Buffer.from(Multiaddr.fromString('/ip4/10.9.9.9/tcp/9').bytes)) + 7
  tampered[at] ^= 1
  const bad = interpretIdentify(withRecord(tampered), peer)
  t.ok(isP2PError(bad.rejectedSignedPeerRecord, 'ERR_ENVELOPE_INVALID_SIGNATURE'), String(bad.rejectedSignedPeerRecord))
  t.same(bad.listenAddrs.map(a => a.toString()), [listen.toString()])
  t.equal(bad.signedPeerRecord, undefined)

  const garbage = interpretIdentify(withRecord(Uint8Array.of(0x0a, 0x05, 1)), peer)
  t.ok(garbage.rejectedSignedPeerRecord instanceof Error && typeof garbage.rejectedSignedPeerRecord.code === 'string', String(garbage.rejectedSignedPeerRecord))
  t.same(garbage.protocols, ['/a/1', '/b/1'])

  const good = interpretIdentify(withRecord(spr), peer)
  t.equal(good.rejectedSignedPeerRecord, undefined, 'the untampered record is used')
  t.same(good.listenAddrs.map(a => a.toString()), ['/ip4/10.9.9.9/tcp/9'])
})

t.test('handleIdentify -> identify over a stream pair, and push', async t => {
  const { duplexPair } = await import('../helpers/duplex-pair.js')
  const { handleIdentify, identify, pushIdentify, handleIdentifyPush, DEFAULT_IDENTIFY_PROTOCOL_VERSION } = await import('../../src/protocols/identify/index.js')
  const info = {
    publicKey: key.publicKey,
    listenAddrs: [listen],
    observedAddr: observed,
    protocols: ['/ipfs/id/1.0.0', '/ipfs/ping/1.0.0'],
    agentVersion: 'libp2p-ts-stack/test'
  }
  const [a, b] = duplexPair()
  const [, result] = await Promise.all([handleIdentify(b, info), identify(a, peer)])
  t.equal(result.protocolVersion, DEFAULT_IDENTIFY_PROTOCOL_VERSION)
  t.equal(result.agentVersion, 'libp2p-ts-stack/test')
  t.ok(result.publicKey?.equals(key.publicKey))
  t.same(result.listenAddrs.map(x => x.toString()), [listen.toString()])
  t.equal(result.observedAddr?.toString(), observed.toString())
  t.same(result.protocols, info.protocols)

  const [c, d] = duplexPair()
  const [, pushed] = await Promise.all([pushIdentify(c, info), handleIdentifyPush(d, peer)])
  t.same(pushed.protocols, info.protocols)

  // identifying the wrong peer fails
  const [e, f] = duplexPair()
  const [, err] = await Promise.all([handleIdentify(f, info).catch(() => undefined), identify(e, otherPeer).catch(x => x)])
  t.ok(isP2PError(err, 'ERR_IDENTIFY_PEER_MISMATCH'))
})
