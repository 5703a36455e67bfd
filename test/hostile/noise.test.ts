// Hostile peers in the Noise XX handshake and the encrypted transport
// (noiseprotocol.org noise.md §5, §7; libp2p/specs noise/README.md).
// The attacker is a HandshakeState we drive by hand against a listening
// switch; every case ends in a typed upgrade error (or, after the handshake,
// a connection closed with the typed error), a closed socket, a good peer
// still served, and nothing escaping to the process.

import t, { type Test } from 'tap'
import {
  encodeNoiseHandshakePayload, staticKeySignedData, MAX_NOISE_MESSAGE_LENGTH, type HandshakeState
} from '../../src/noise/index.js'
import { generateKeyPair, publicKeyToProtobuf } from '../../src/peer/index.js'
import { encodeKeyEnvelope } from '../../src/peer/key-protobuf.js'
import { ed25519 } from '@noble/curves/ed25519.js'
import type { StreamReader } from '../../src/util/stream-reader.js'
import {
  assertNothingEscaped, closed, connectRaw, encodeNoiseFrame, goodPing, guardProcess, initiatorState, negotiateNoise,
  nextConnectionClose, nextUpgradeError, pseudoRandomBytes, readNoiseMessage, secureRaw, startTarget, type Target
} from './harness.js'

const UPGRADE_TIMEOUT_MS = 600
const identity = generateKeyPair('Ed25519')
const otherIdentity = generateKeyPair('Ed25519')

guardProcess(t)
t.setTimeout(60_000)

function signedPayload (hs: HandshakeState, key = identity): Uint8Array {
  return encodeNoiseHandshakePayload({ identityKey: publicKeyToProtobuf(key.publicKey), identitySig: key.sign(staticKeySignedData(hs.s.publicKey)) })
}

/** Sends an honest message 1, reads message 2, then sends `makeMessage3(hs)` as message 3. */
async function attackMessage3 (t: Test, code: string, makeMessage3: (hs: HandshakeState) => Uint8Array): Promise<void> {
  const target = await startTarget(t, { upgradeTimeoutMs: 5_000 })
  const socket = await connectRaw(target)
  const failed = nextUpgradeError(target)
  const reader: StreamReader = await negotiateNoise(socket)
  const hs = initiatorState()
  socket.write(encodeNoiseFrame(hs.writeMessage(new Uint8Array(0))))
  hs.readMessage(await readNoiseMessage(reader))
  socket.write(encodeNoiseFrame(makeMessage3(hs)))
  const err = await failed
  t.match(err, { code }, `the upgrade failed with ${code}`)
  await closed(socket)
  t.pass('the socket was closed')
  await serves(t, target)
}

async function serves (t: Test, target: Target): Promise<void> {
  t.ok(await goodPing(target) >= 0, 'a good peer is still served')
  t.equal(target.connections.length, 1, 'only the good peer\'s connection was ever registered')
  await assertNothingEscaped(t)
}

t.test('message 1 with an ephemeral key of the wrong length', async t => {
  const target = await startTarget(t, { upgradeTimeoutMs: UPGRADE_TIMEOUT_MS })
  const socket = await connectRaw(target)
  const failed = nextUpgradeError(target)
  await negotiateNoise(socket)
  socket.write(encodeNoiseFrame(new Uint8Array(31).fill(9)))
  t.match(await failed, { code: 'ERR_NOISE_MESSAGE_TOO_SHORT' })
  await closed(socket)
  await serves(t, target)
})

t.test('message 3 with a bad MAC', async t => {
  await attackMessage3(t, 'ERR_NOISE_DECRYPT', hs => {
    const message = hs.writeMessage(signedPayload(hs))
    message[40] ^= 0x80
    return message
  })
})

t.test('message 3 with a bad identity signature', async t => {
  await attackMessage3(t, 'ERR_NOISE_BAD_SIGNATURE', hs => hs.writeMessage(encodeNoiseHandshakePayload({
    identityKey: publicKeyToProtobuf(identity.publicKey),
    identitySig: otherIdentity.sign(staticKeySignedData(hs.s.publicKey))
  })))
})

t.test('message 3 with an identity key of the wrong length', async t => {
  await attackMessage3(t, 'ERR_NOISE_INVALID_PUBLIC_KEY', hs => hs.writeMessage(encodeNoiseHandshakePayload({
    // PublicKey { Type: Ed25519, Data: 5 bytes } — an Ed25519 key is 32 bytes
    identityKey: Uint8Array.from([0x08, 0x01, 0x12, 0x05, 1, 2, 3, 4, 5]),
    identitySig: new Uint8Array(64)
  })))
})

t.test('message 3 with an identity key that is no curve point', async t => {
  // y = 2 has no x on the curve: the verify fails, and the key is why
  const notAPoint = new Uint8Array(32)
  notAPoint[0] = 2
  await attackMessage3(t, 'ERR_NOISE_INVALID_PUBLIC_KEY', hs => hs.writeMessage(encodeNoiseHandshakePayload({
    identityKey: encodeKeyEnvelope('Ed25519', notAPoint),
    identitySig: new Uint8Array(64)
  })))
})

t.test('message 3 with a non-canonical identity key whose signature OpenSSL would accept', async t => {
  // y = 1 with x's sign bit set: the neutral point, which RFC 8032 5.1.3
  // refuses in this spelling; R = [s]B, S = s "signs" anything with it
  const neutral = new Uint8Array(32)
  neutral[0] = 1
  neutral[31] = 0x80
  const s = 7n
  const scalar = new Uint8Array(32)
  scalar[0] = Number(s)
  await attackMessage3(t, 'ERR_NOISE_INVALID_PUBLIC_KEY', hs => hs.writeMessage(encodeNoiseHandshakePayload({
    identityKey: encodeKeyEnvelope('Ed25519', neutral),
    identitySig: new Uint8Array([...ed25519.Point.BASE.multiply(s).toBytes(), ...scalar])
  })))
})

t.test('message 3 whose payload is not a protobuf', async t => {
  // field 1, length-delimited, says 64 bytes but 3 follow
  await attackMessage3(t, 'ERR_NOISE_INVALID_PAYLOAD', hs => hs.writeMessage(Uint8Array.from([0x0a, 0x40, 1, 2, 3])))
})

t.test('message 3 as a 65535-byte garbage frame', async t => {
  await attackMessage3(t, 'ERR_NOISE_DECRYPT', () => pseudoRandomBytes(MAX_NOISE_MESSAGE_LENGTH, 7))
})

t.test('message 1 as a 65535-byte garbage frame', async t => {
  const target = await startTarget(t, { upgradeTimeoutMs: UPGRADE_TIMEOUT_MS })
  const socket = await connectRaw(target)
  const failed = nextUpgradeError(target)
  await negotiateNoise(socket)
  socket.write(encodeNoiseFrame(pseudoRandomBytes(MAX_NOISE_MESSAGE_LENGTH, 8)))
  // message 1 carries no MAC: 32 bytes of "key" and a plaintext payload. The
  // listener answers with message 2 and waits for message 3, which never comes.
  const err = await failed
  t.match(err, { code: /^ERR_(UPGRADE_TIMEOUT|NOISE_[A-Z_]+)$/ }, `a typed error: ${String(err)}`)
  await closed(socket)
  await serves(t, target)
})

t.test('a truncated Noise frame, then silence', async t => {
  const target = await startTarget(t, { upgradeTimeoutMs: UPGRADE_TIMEOUT_MS })
  const socket = await connectRaw(target)
  const failed = nextUpgradeError(target)
  await negotiateNoise(socket)
  const hs = initiatorState()
  socket.write(encodeNoiseFrame(hs.writeMessage(new Uint8Array(0))).subarray(0, 20))
  t.match(await failed, { code: 'ERR_UPGRADE_TIMEOUT' })
  await closed(socket)
  await serves(t, target)
})

t.test('after the handshake: a transport frame with a bad MAC closes the connection', async t => {
  const target = await startTarget(t)
  const closing = nextConnectionClose(target)
  const { socket, secure } = await secureRaw(target, '/yamux/1.0.0')
  t.ok(secure.remotePeer.equals(target.sw.peerId))
  // a garbage 65535-byte transport message: it cannot authenticate
  socket.write(encodeNoiseFrame(pseudoRandomBytes(MAX_NOISE_MESSAGE_LENGTH, 9)))
  const err = await closing
  t.ok(err !== undefined, 'the connection closed with an error')
  const codes = [err, (err as { cause?: unknown } | undefined)?.cause].map(e => (e as { code?: string } | undefined)?.code)
  t.ok(codes.includes('ERR_NOISE_DECRYPT'), `ERR_NOISE_DECRYPT (got ${codes.join(' / ')})`)
  // the secure channel reads the socket only as fast as it is read itself
  secure.stream.resume()
  await closed(socket)
  t.ok(await goodPing(target) >= 0, 'a good peer is still served')
  await assertNothingEscaped(t)
})
