// Hostile and broken input: every case gets its own typed error, the
// connection is closed, and nothing crashes or leaks an unhandled rejection.
// A fake remote built from the sans-I/O HandshakeState sends what an honest
// peer never would.

import t, { type Test } from 'tap'
import type { Duplex } from 'node:stream'
import {
  CipherState, HandshakeState, MAX_NONCE, PROTOCOL_NAME, XX, encodeFrame, encodeNoiseHandshakePayload,
  nodeCrypto, secureInbound, secureOutbound, staticKeySignedData, type SecureConnection
} from '../../src/noise/index.js'
import { generateKeyPair, publicKeyToProtobuf, PeerId } from '../../src/peer/index.js'
import { StreamReader } from '../../src/util/stream-reader.js'
import { duplexPair } from '../helpers/duplex-pair.js'
import { lendReads } from '../helpers/lending.js'

const identity = generateKeyPair('Ed25519')
const otherIdentity = generateKeyPair('Ed25519')

async function readFrame (reader: StreamReader): Promise<Uint8Array> {
  const prefix = await reader.readExactly(2)
  return await reader.readExactly(prefix[0] << 8 | prefix[1])
}

function fakeState (initiator: boolean): HandshakeState {
  return new HandshakeState({ crypto: nodeCrypto, pattern: XX, protocolName: PROTOCOL_NAME, initiator, staticPrivateKey: nodeCrypto.generatePrivateKey() })
}

/** A fake responder: reads message 1, answers with `makeMessage2(hs)` (raw noise message). */
async function fakeResponder (conn: Duplex, makeMessage2: (hs: HandshakeState) => Uint8Array): Promise<void> {
  const hs = fakeState(false)
  hs.readMessage(await readFrame(new StreamReader(conn)))
  conn.write(encodeFrame(makeMessage2(hs)))
}

function signedPayload (hs: HandshakeState, key = identity): Uint8Array {
  return encodeNoiseHandshakePayload({ identityKey: publicKeyToProtobuf(key.publicKey), identitySig: key.sign(staticKeySignedData(hs.s.publicKey)) })
}

async function dialerFails (t: Test, code: string, makeMessage2: (hs: HandshakeState) => Uint8Array): Promise<void> {
  const [a, b] = duplexPair()
  const dial = secureOutbound(a, { privateKey: otherIdentity })
  await fakeResponder(b, makeMessage2)
  await t.rejects(dial, { code })
  t.ok(a.destroyed, 'connection closed')
}

t.test('bad MAC in handshake message 2', async t => {
  await dialerFails(t, 'ERR_NOISE_DECRYPT', hs => {
    const message = hs.writeMessage(signedPayload(hs))
    message[message.length - 1] ^= 1
    return message
  })
})

t.test('bad identity signature', async t => {
  await dialerFails(t, 'ERR_NOISE_BAD_SIGNATURE', hs => hs.writeMessage(encodeNoiseHandshakePayload({
    identityKey: publicKeyToProtobuf(identity.publicKey),
    // signs some other static key
    identitySig: identity.sign(staticKeySignedData(new Uint8Array(32).fill(7)))
  })))
})

t.test('signature by a different identity key than the one sent', async t => {
  await dialerFails(t, 'ERR_NOISE_BAD_SIGNATURE', hs => hs.writeMessage(encodeNoiseHandshakePayload({
    identityKey: publicKeyToProtobuf(identity.publicKey),
    identitySig: otherIdentity.sign(staticKeySignedData(hs.s.publicKey))
  })))
})

t.test('payload that is not a protobuf', async t => {
  await dialerFails(t, 'ERR_NOISE_INVALID_PAYLOAD', hs => hs.writeMessage(Uint8Array.from([0x0a, 0x40, 1, 2, 3])))
})

t.test('payload without identity_sig', async t => {
  await dialerFails(t, 'ERR_NOISE_INVALID_PAYLOAD', hs => hs.writeMessage(Uint8Array.from([0x0a, 0x02, 0x08, 0x01])))
})

t.test('unknown identity key type', async t => {
  await dialerFails(t, 'ERR_UNKNOWN_KEY_TYPE', hs => hs.writeMessage(encodeNoiseHandshakePayload({
    // PublicKey { Type: 9, Data: 32 bytes }
    identityKey: Uint8Array.from([0x08, 0x09, 0x12, 0x20, ...new Uint8Array(32)]),
    identitySig: new Uint8Array(64)
  })))
})

t.test('identity key that is not a valid key of its type', async t => {
  await dialerFails(t, 'ERR_NOISE_INVALID_PUBLIC_KEY', hs => hs.writeMessage(encodeNoiseHandshakePayload({
    // Ed25519 with a 5-byte Data
    identityKey: Uint8Array.from([0x08, 0x01, 0x12, 0x05, 1, 2, 3, 4, 5]),
    identitySig: new Uint8Array(64)
  })))
})

t.test('message 2 too short for the static key', async t => {
  await dialerFails(t, 'ERR_NOISE_MESSAGE_TOO_SHORT', hs => hs.writeMessage(signedPayload(hs)).subarray(0, 32 + 20))
})

t.test('message 2 too short for the payload tag', async t => {
  await dialerFails(t, 'ERR_NOISE_MESSAGE_TOO_SHORT', hs => hs.writeMessage(new Uint8Array(0)).subarray(0, 32 + 48 + 10))
})

t.test('message 1 shorter than an ephemeral key', async t => {
  const [a, b] = duplexPair()
  const listen = secureInbound(b, { privateKey: identity })
  a.write(encodeFrame(new Uint8Array(31)))
  await t.rejects(listen, { code: 'ERR_NOISE_MESSAGE_TOO_SHORT' })
  t.ok(b.destroyed)
})

t.test('bad MAC in handshake message 3', async t => {
  const [a, b] = duplexPair()
  const listen = secureInbound(b, { privateKey: identity })
  const hs = fakeState(true)
  a.write(encodeFrame(hs.writeMessage(new Uint8Array(0))))
  hs.readMessage(await readFrame(new StreamReader(a)))
  const message3 = hs.writeMessage(signedPayload(hs, otherIdentity))
  message3[40] ^= 0x80
  a.write(encodeFrame(message3))
  await t.rejects(listen, { code: 'ERR_NOISE_DECRYPT' })
  t.ok(b.destroyed)
})

t.test('EOF in the middle of the handshake', async t => {
  const [a, b] = duplexPair()
  const listen = secureInbound(b, { privateKey: identity })
  a.write(Uint8Array.from([0x00, 0x20, 1, 2, 3]))
  a.end()
  await t.rejects(listen, { code: 'ERR_UNEXPECTED_EOF' })
})

t.test('a stalled handshake times out', async t => {
  const [a, b] = duplexPair()
  const started = Date.now()
  await t.rejects(secureOutbound(a, { privateKey: identity, timeoutMs: 50 }), { code: 'ERR_NOISE_HANDSHAKE_TIMEOUT' })
  t.ok(Date.now() - started < 2000)
  t.ok(a.destroyed)
  b.destroy()
})

t.test('a stalled beforeFirstRead is cut by the timeout', async t => {
  const [a, b] = duplexPair()
  await t.rejects(secureOutbound(a, { privateKey: identity, timeoutMs: 50, beforeFirstRead: async () => await new Promise(() => {}) }),
    { code: 'ERR_NOISE_HANDSHAKE_TIMEOUT' })
  b.destroy()
})

t.test('a connection error between reads fails the handshake without crashing', async t => {
  const [a, b] = duplexPair()
  const boom = new Error('connection reset')
  const dial = secureOutbound(a, {
    privateKey: identity,
    beforeFirstRead: async () => {
      a.destroy(boom)
      await new Promise(resolve => setTimeout(resolve, 10))
    }
  })
  await t.rejects(dial, boom)
  b.destroy()
})

t.test('abort rejects with the signal reason', async t => {
  const [a, b] = duplexPair()
  const controller = new AbortController()
  const reason = new Error('user gave up')
  const dial = secureOutbound(a, { privateKey: identity, signal: controller.signal })
  setTimeout(() => { controller.abort(reason) }, 10)
  await t.rejects(dial, reason)
  t.ok(a.destroyed)
  b.destroy()
  // an already aborted signal fails at once
  const [c] = duplexPair()
  await t.rejects(secureInbound(c, { privateKey: identity, signal: AbortSignal.abort(reason) }), reason)
})

async function connected (lending = false): Promise<{ out: SecureConnection, inb: SecureConnection, rawOut: Duplex, rawIn: Duplex }> {
  const [a, b] = duplexPair()
  if (lending) lendReads(b)
  const [out, inb] = await Promise.all([secureOutbound(a, { privateKey: identity }), secureInbound(b, { privateKey: otherIdentity })])
  return { out, inb, rawOut: a, rawIn: b }
}

async function streamError (stream: Duplex): Promise<unknown> {
  return await new Promise(resolve => {
    stream.on('error', resolve)
    stream.resume()
  })
}

for (const lending of [false, true]) {
  const how = lending ? ' (lent reads)' : ''
  t.test(`bad MAC in a transport message${how}`, async t => {
    const { inb, rawOut, rawIn } = await connected(lending)
    rawOut.write(encodeFrame(new Uint8Array(40)))
    t.match(await streamError(inb.stream), { code: 'ERR_NOISE_DECRYPT' })
    t.ok(rawIn.destroyed, 'the channel is destroyed')
  })

  t.test(`transport frame shorter than a tag${how}`, async t => {
    for (const length of [0, 1, 15]) {
      const { inb, rawOut, rawIn } = await connected(lending)
      rawOut.write(encodeFrame(new Uint8Array(length)))
      t.match(await streamError(inb.stream), { code: 'ERR_NOISE_FRAME_TOO_SHORT' }, `length ${length}`)
      t.ok(rawIn.destroyed)
    }
  })

  t.test(`truncated transport frame then EOF${how}`, async t => {
    const { inb, rawOut } = await connected(lending)
    // cut inside the prefix, then inside the message
    for (const cut of [[0x00], [0x40, 1, 2, 3]]) {
      rawOut.write(Uint8Array.from(cut))
      await new Promise(resolve => setImmediate(resolve))
    }
    rawOut.end()
    t.match(await streamError(inb.stream), { code: 'ERR_NOISE_TRUNCATED_FRAME' })
  })
}

t.test('a replayed transport message fails (nonces advance)', async t => {
  const [a, b] = duplexPair()
  let k1: Uint8Array | undefined
  const [out, inb] = await Promise.all([
    secureOutbound(a, { privateKey: identity, onKeys: keys => { k1 = keys.initiatorToResponder } }),
    secureInbound(b, { privateKey: otherIdentity })
  ])
  if (k1 === undefined) throw new Error('no key log')
  // seal the initiator's first transport message ourselves, from the key log
  const frame = encodeFrame(new CipherState(nodeCrypto, k1).encryptWithAd(new Uint8Array(0), new TextEncoder().encode('hello')))
  a.write(frame)
  const first = await new Promise<Buffer>(resolve => inb.stream.once('data', resolve))
  t.equal(first.toString(), 'hello')
  a.write(frame)
  t.match(await streamError(inb.stream), { code: 'ERR_NOISE_DECRYPT' })
  out.stream.destroy()
})

t.test('destroying the secure stream closes the connection, remote sees EOF', async t => {
  const { out, inb, rawOut } = await connected()
  out.stream.destroy()
  t.ok(rawOut.destroyed)
  const chunks: Uint8Array[] = []
  for await (const chunk of inb.stream) chunks.push(chunk as Uint8Array)
  t.equal(chunks.length, 0)
})

t.test('the expected peer may be the right one', async t => {
  const [a, b] = duplexPair()
  const [out] = await Promise.all([
    secureOutbound(a, { privateKey: identity, remotePeer: PeerId.fromPublicKey(otherIdentity.publicKey) }),
    secureInbound(b, { privateKey: otherIdentity })
  ])
  t.ok(out.remotePeer.equals(PeerId.fromPublicKey(otherIdentity.publicKey)))
  out.stream.destroy()
})

t.test('nonce exhaustion', async t => {
  const key = new Uint8Array(32).fill(1)
  const c = new CipherState(nodeCrypto, key)
  c.setNonce(MAX_NONCE - 1n)
  const sealed = c.encryptWithAd(new Uint8Array(0), Uint8Array.of(1))
  t.equal(c.nonceValue, MAX_NONCE)
  t.throws(() => c.encryptWithAd(new Uint8Array(0), Uint8Array.of(1)), { code: 'ERR_NONCE_EXHAUSTED' })
  const d = new CipherState(nodeCrypto, key)
  d.setNonce(MAX_NONCE - 1n)
  t.same(d.decryptWithAd(new Uint8Array(0), sealed), Uint8Array.of(1))
  t.throws(() => d.decryptWithAd(new Uint8Array(0), sealed), { code: 'ERR_NONCE_EXHAUSTED' })
})

t.test('a failed decryption does not advance the nonce', async t => {
  const key = new Uint8Array(32).fill(2)
  const sender = new CipherState(nodeCrypto, key)
  const receiver = new CipherState(nodeCrypto, key)
  const sealed = sender.encryptWithAd(new Uint8Array(0), Uint8Array.of(1, 2, 3))
  const forged = sealed.slice()
  forged[0] ^= 1
  t.throws(() => receiver.decryptWithAd(new Uint8Array(0), forged), { code: 'ERR_NOISE_DECRYPT' })
  t.equal(receiver.nonceValue, 0n)
  t.same(receiver.decryptWithAd(new Uint8Array(0), sealed), Uint8Array.of(1, 2, 3))
})

t.test('handshake state misuse', async t => {
  const hs = fakeState(false)
  t.throws(() => hs.writeMessage(new Uint8Array(0)), { code: 'ERR_NOISE_INVALID_STATE' })
})
