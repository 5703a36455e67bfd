// Replays spec-vectors/noise/libp2p-invalid.json (libp2p Noise handshakes
// that must fail, made by scripts/gen-noise-vectors.ts) against our node:
//
//   1. sans-I/O: the rejecting side's HandshakeState plus the libp2p payload
//      checks (verifyHandshakePayload) — its own messages must come out byte
//      for byte as recorded, the remote's messages are fed in, and the
//      recorded message must fail with the recorded error code;
//   2. full driver: secureOutbound / secureInbound over a duplexPair against
//      a scripted remote that writes the recorded wire bytes — the handshake
//      must reject with the same code and destroy the connection.

import t from 'tap'
import { readFileSync } from 'node:fs'
import {
  HandshakeState, PROTOCOL_NAME, XX, createHandshakePayload, decodeNoiseHandshakePayload, encodeFrame, nodeCrypto,
  secureInbound, secureOutbound, verifyHandshakePayload
} from '../../src/noise/index.js'
import { PeerId, privateKeyFromProtobuf } from '../../src/peer/index.js'
import { isP2PError } from '../../src/util/errors.js'
import { StreamReader } from '../../src/util/stream-reader.js'
import { duplexPair } from '../helpers/duplex-pair.js'

interface SideVector {
  identity_type: string
  identity_private_key: string
  peer_id: string
  static_private_key: string
  static_public_key: string
  ephemeral_private_key: string
  stream_muxers: string[]
}
interface InvalidMessage { direction: string, tokens: string, note?: string, payload: string, noise_message: string, wire: string }
interface InvalidCase {
  description: string
  spec: string
  rejected_by: 'initiator' | 'responder'
  at_message: number
  error: string
  expected_remote_peer?: string
  messages: InvalidMessage[]
}
interface InvalidFile { source: string, protocol_name: string, prologue: string, initiator: SideVector, responder: SideVector, cases: InvalidCase[] }

const file = JSON.parse(readFileSync(new URL('../../spec-vectors/noise/libp2p-invalid.json', import.meta.url), 'utf8')) as InvalidFile
const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'))
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

/** The error code a thrown value carries, or a description of what it was. */
function codeOf (err: unknown): string {
  return isP2PError(err) ? err.code : `not a P2PError: ${String(err)}`
}

t.match(file.source, /scripts\/gen-noise-vectors\.ts/)
t.equal(file.protocol_name, PROTOCOL_NAME)
t.equal(file.prologue, '')

t.test('the file covers every case the issue names, each with spec, outcome and messages', async t => {
  const codes = file.cases.map(c => `${c.rejected_by}@${c.at_message}:${c.error}`)
  for (const expected of [
    'initiator@2:ERR_NOISE_BAD_SIGNATURE', 'responder@3:ERR_NOISE_BAD_SIGNATURE', 'initiator@2:ERR_UNEXPECTED_PEER',
    'initiator@2:ERR_NOISE_DECRYPT', 'initiator@2:ERR_NOISE_INVALID_PAYLOAD', 'initiator@2:ERR_UNKNOWN_KEY_TYPE',
    'responder@1:ERR_NOISE_MESSAGE_TOO_SHORT', 'responder@3:ERR_NOISE_DECRYPT'
  ]) t.ok(codes.includes(expected), expected)
  for (const c of file.cases) {
    t.ok(c.spec.length > 0 && c.description.length > 0, c.description)
    t.equal(c.messages.length, c.at_message, 'messages run up to the rejected one')
    c.messages.forEach((m, i) => {
      t.equal(m.direction, i % 2 === 0 ? 'initiator->responder' : 'responder->initiator')
      t.equal(toHex(encodeFrame(hex(m.noise_message))), m.wire, 'wire = 2-byte big-endian length || message')
    })
    // the last message goes to the side that rejects it
    t.equal(c.messages[c.messages.length - 1].direction.endsWith(`->${c.rejected_by}`), true)
  }
})

t.test('the hand-made defects are the ones described', async t => {
  const byError = (code: string, at: number): InvalidCase => {
    const c = file.cases.find(x => x.error === code && x.at_message === at)
    if (c === undefined) throw new Error(`no case ${code}@${at}`)
    return c
  }
  t.equal(hex(byError('ERR_NOISE_MESSAGE_TOO_SHORT', 1).messages[0].noise_message).length, 31, 'a 31-byte ephemeral key')
  t.equal(Buffer.from(hex(byError('ERR_NOISE_INVALID_PAYLOAD', 2).messages[1].payload)).toString(), 'not a protobuf')
  const unknown = decodeNoiseHandshakePayload(hex(byError('ERR_UNKNOWN_KEY_TYPE', 2).messages[1].payload))
  t.same([...unknown.identityKey.subarray(0, 4)], [0x08, 0x09, 0x12, 0x20], 'PublicKey Type 9, 32 bytes of Data')
  // the flipped-signature cases differ from the honest payload in one bit of identity_sig
  for (const [c, side] of [[byError('ERR_NOISE_BAD_SIGNATURE', 2), file.responder], [byError('ERR_NOISE_BAD_SIGNATURE', 3), file.initiator]] as const) {
    const honest = createHandshakePayload(privateKeyFromProtobuf(hex(side.identity_private_key)), hex(side.static_public_key), side.stream_muxers)
    const sent = hex(c.messages[c.at_message - 1].payload)
    t.equal(sent.length, honest.length)
    const diff = [...sent].map((b, i) => b ^ honest[i]).filter(x => x !== 0)
    t.same(diff, [0x01], `${c.description}: one flipped bit`)
  }
  // message 2 has two: the flipped signature and the valid one over another static key
  const inMessage2 = file.cases.filter(c => c.error === 'ERR_NOISE_BAD_SIGNATURE' && c.at_message === 2)
  t.equal(inMessage2.length, 2, 'two bad-signature cases in message 2')
})

/** Rebuilds a side's HandshakeState from the fixed keys. */
function stateOf (side: SideVector, initiator: boolean): HandshakeState {
  return new HandshakeState({
    crypto: nodeCrypto,
    pattern: XX,
    protocolName: PROTOCOL_NAME,
    initiator,
    prologue: hex(file.prologue),
    staticPrivateKey: hex(side.static_private_key),
    ephemeralPrivateKey: hex(side.ephemeral_private_key)
  })
}

for (const c of file.cases) {
  const isInitiator = c.rejected_by === 'initiator'
  const me = isInitiator ? file.initiator : file.responder
  const identity = privateKeyFromProtobuf(hex(me.identity_private_key))
  const expectedPeer = isInitiator && c.expected_remote_peer !== undefined ? PeerId.parse(c.expected_remote_peer) : undefined

  t.test(`sans-I/O: ${c.description}`, async t => {
    const hs = stateOf(me, isInitiator)
    let failure: { at: number, code: string } | undefined
    for (const [i, m] of c.messages.entries()) {
      const mine = m.direction.startsWith(c.rejected_by)
      if (mine) {
        // our own messages reproduce the recording exactly (honest payloads)
        const payload = i === 0 ? new Uint8Array(0) : createHandshakePayload(identity, hs.s.publicKey, me.stream_muxers)
        t.equal(toHex(payload), m.payload, `our payload in message ${i + 1}`)
        t.equal(toHex(hs.writeMessage(payload)), m.noise_message, `our message ${i + 1}`)
        continue
      }
      try {
        const payload = hs.readMessage(hex(m.noise_message))
        // the libp2p checks: message 2 for the initiator, message 3 for the responder
        if (i > 0) verifyHandshakePayload(payload, hs.rs as Uint8Array, expectedPeer)
      } catch (err) {
        failure = { at: i + 1, code: codeOf(err) }
        break
      }
    }
    t.same(failure, { at: c.at_message, code: c.error })
  })

  t.test(`driver: ${c.description}`, async t => {
    const [local, remote] = duplexPair()
    const reader = new StreamReader(remote)
    const options = { privateKey: identity, staticPrivateKey: hex(me.static_private_key), ephemeralPrivateKey: hex(me.ephemeral_private_key), extensions: { streamMuxers: me.stream_muxers } }
    const handshake = isInitiator
      ? secureOutbound(local, { ...options, ...(expectedPeer !== undefined ? { remotePeer: expectedPeer } : {}) })
      : secureInbound(local, options)
    const outcome = handshake.then(() => 'accepted', (err: unknown) => codeOf(err))
    for (const m of c.messages) {
      if (m.direction.startsWith(c.rejected_by)) {
        t.equal(toHex(await reader.readExactly(hex(m.wire).length)), m.wire, `our ${m.tokens}`)
      } else {
        remote.write(hex(m.wire))
      }
    }
    t.equal(await outcome, c.error)
    // the rejecting side tears the connection down without sending anything
    // more: the scripted remote reads the end of the stream
    t.ok(local.destroyed, 'the connection was destroyed')
    await t.rejects(reader.readExactly(1), 'the remote sees the connection end, with no further bytes')
  })
}
