// Generates spec-vectors/noise/libp2p-handshake.json: complete libp2p Noise
// handshakes (libp2p/specs noise/README.md) with fixed static, ephemeral and
// identity keys, recorded on the wire between our secureOutbound and
// secureInbound — every message with its 2-byte prefix, the decrypted
// payloads, the peer IDs, the split keys and the first transport messages.
//
// No public vector covers the libp2p layer; these are ours to publish and are
// replayed by test/noise/libp2p-vectors.test.ts. Ed25519 and secp256k1
// signatures are deterministic, so those vectors replay byte for byte from
// the keys alone; ECDSA and RSA keys are generated on each run (their
// private keys are recorded), and ECDSA signatures are randomized, so those
// vectors are replayed from the recorded payloads.
//
// It also generates spec-vectors/noise/libp2p-invalid.json: handshakes that
// must fail, built message by message with the sans-I/O HandshakeState from
// fixed keys (deterministic: the same bytes on every run), each with the side
// that rejects, the message it rejects and our error code. Replayed by
// test/noise/libp2p-invalid.test.ts and, against @chainsafe/libp2p-noise, by
// test/noise/libp2p-vectors-js.test.ts.
//
// Run: node --import=./node_modules/@tapjs/typescript/dist/esm/import.mjs scripts/gen-noise-vectors.ts [handshake] [invalid]
// (no argument: both files; `invalid` alone leaves libp2p-handshake.json,
// whose ECDSA/RSA vector uses generated keys, untouched).

import { writeFileSync } from 'node:fs'
import type { Duplex } from 'node:stream'
import {
  FrameDecoder, HandshakeState, XX, PROTOCOL_NAME, secureInbound, secureOutbound, nodeCrypto, decodeNoiseHandshakePayload,
  encodeNoiseHandshakePayload, createHandshakePayload, encodeFrame, describeMessage, type SplitKeys
} from '../src/noise/index.js'
import {
  PeerId, ed25519PrivateKeyFromSeed, generateKeyPair, privateKeyFromRaw, privateKeyToProtobuf, publicKeyToProtobuf, type PrivateKey
} from '../src/peer/index.js'
import { duplexPair } from '../test/helpers/duplex-pair.js'

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
const fill = (start: number): Uint8Array => Uint8Array.from({ length: 32 }, (_, i) => (start + i) & 0xff)

interface Side {
  identity: PrivateKey
  staticPrivateKey: Uint8Array
  ephemeralPrivateKey: Uint8Array
  streamMuxers: string[]
}

function describeSide (side: Side): Record<string, unknown> {
  return {
    identity_type: side.identity.type,
    identity_private_key: hex(privateKeyToProtobuf(side.identity)),
    identity_public_key: hex(publicKeyToProtobuf(side.identity.publicKey)),
    peer_id: PeerId.fromPublicKey(side.identity.publicKey).toString(),
    static_private_key: hex(side.staticPrivateKey),
    static_public_key: hex(nodeCrypto.publicKey(side.staticPrivateKey)),
    ephemeral_private_key: hex(side.ephemeralPrivateKey),
    ephemeral_public_key: hex(nodeCrypto.publicKey(side.ephemeralPrivateKey)),
    stream_muxers: side.streamMuxers
  }
}

/** Copies everything `from` emits into `to`, keeping a record of it. */
function tap (from: Duplex, to: Duplex, record: Buffer[]): void {
  from.on('data', (chunk: Buffer) => { record.push(Buffer.from(chunk)); to.write(chunk) })
  from.on('end', () => to.end())
}

function frames (bytes: Buffer): Uint8Array[] {
  const out: Uint8Array[] = []
  new FrameDecoder().push(bytes, m => { out.push(m) })
  return out
}

async function readAll (stream: Duplex): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

async function record (description: string, initiator: Side, responder: Side): Promise<Record<string, unknown>> {
  const [a, a2] = duplexPair()
  const [b2, b] = duplexPair()
  const up: Buffer[] = []
  const down: Buffer[] = []
  tap(a2, b2, up)
  tap(b2, a2, down)
  let keys: SplitKeys | undefined
  const [out, inb] = await Promise.all([
    secureOutbound(a, {
      privateKey: initiator.identity,
      staticPrivateKey: initiator.staticPrivateKey,
      ephemeralPrivateKey: initiator.ephemeralPrivateKey,
      extensions: { streamMuxers: initiator.streamMuxers },
      remotePeer: PeerId.fromPublicKey(responder.identity.publicKey),
      onKeys: k => { keys = k }
    }),
    secureInbound(b, {
      privateKey: responder.identity,
      staticPrivateKey: responder.staticPrivateKey,
      ephemeralPrivateKey: responder.ephemeralPrivateKey,
      extensions: { streamMuxers: responder.streamMuxers }
    })
  ])
  const transport = [
    { direction: 'initiator->responder', plaintext: 'hello from the initiator' },
    { direction: 'responder->initiator', plaintext: 'hello from the responder' },
    { direction: 'initiator->responder', plaintext: 'second message, nonce 2' }
  ]
  // write one at a time so each plaintext is exactly one transport message
  for (const { direction, plaintext } of transport) {
    const stream = direction === 'initiator->responder' ? out.stream : inb.stream
    await new Promise<void>(resolve => stream.write(plaintext, () => resolve()))
    await new Promise(resolve => setImmediate(resolve))
  }
  out.stream.end()
  inb.stream.end()
  await Promise.all([readAll(out.stream), readAll(inb.stream)])
  if (keys === undefined) throw new Error('no key log')

  const upFrames = frames(Buffer.concat(up))
  const downFrames = frames(Buffer.concat(down))
  const handshake = [upFrames[0], downFrames[0], upFrames[1]]
  const wire = (m: Uint8Array): string => hex(Buffer.concat([Buffer.from([m.length >> 8, m.length & 0xff]), m]))
  const tokens = ['-> e', '<- e, ee, s, es', '-> s, se']
  const payloads = decryptPayloads(initiator, responder, handshake)
  const upTransport = upFrames.slice(2)
  const downTransport = downFrames.slice(1)
  let u = 0
  let d = 0
  return {
    description,
    protocol_name: PROTOCOL_NAME,
    prologue: '',
    deterministic_signatures: initiator.identity.type !== 'ECDSA' && responder.identity.type !== 'ECDSA',
    initiator: describeSide(initiator),
    responder: describeSide(responder),
    messages: handshake.map((m, i) => {
      const payload = payloads[i]
      return {
        direction: i % 2 === 0 ? 'initiator->responder' : 'responder->initiator',
        tokens: tokens[i],
        payload: hex(payload),
        ...(payload.length > 0 ? { payload_decoded: describePayload(payload) } : {}),
        noise_message: hex(m),
        wire: wire(m)
      }
    }),
    handshake_hash: hex(keys.handshakeHash),
    initiator_to_responder_key: hex(keys.initiatorToResponder),
    responder_to_initiator_key: hex(keys.responderToInitiator),
    transport: transport.map(({ direction, plaintext }) => {
      const m = direction === 'initiator->responder' ? upTransport[u++] : downTransport[d++]
      return { direction, plaintext: hex(Buffer.from(plaintext)), wire: wire(m) }
    })
  }
}

function describePayload (payload: Uint8Array): Record<string, unknown> {
  const p = decodeNoiseHandshakePayload(payload)
  return {
    identity_key: hex(p.identityKey),
    identity_sig: hex(p.identitySig),
    stream_muxers: p.extensions?.streamMuxers ?? []
  }
}

/**
 * Decrypts the recorded handshake payloads by replaying both sides with the
 * sans-I/O HandshakeState: with the same keys every message is reproduced
 * exactly, which is checked on the way.
 */
function decryptPayloads (initiator: Side, responder: Side, handshake: Uint8Array[]): Uint8Array[] {
  const state = (side: Side, isInitiator: boolean): HandshakeState => new HandshakeState({
    crypto: nodeCrypto, pattern: XX, protocolName: PROTOCOL_NAME, initiator: isInitiator,
    staticPrivateKey: side.staticPrivateKey, ephemeralPrivateKey: side.ephemeralPrivateKey
  })
  const i = state(initiator, true)
  const r = state(responder, false)
  const same = (a: Uint8Array, b: Uint8Array, what: string): void => {
    if (hex(a) !== hex(b)) throw new Error(`replay of ${what} differs from the recording`)
  }
  same(i.writeMessage(new Uint8Array(0)), handshake[0], 'message 0')
  const p0 = r.readMessage(handshake[0])
  const p1 = i.readMessage(handshake[1])
  same(r.writeMessage(p1), handshake[1], 'message 1')
  const p2 = r.readMessage(handshake[2])
  return [p0, p1, p2]
}

const targets = process.argv.slice(2)
const wants = (name: string): boolean => targets.length === 0 || targets.includes(name)

if (wants('handshake')) {
  const secp = privateKeyFromRaw('Secp256k1', fill(0x51))
  const vectors = [
    await record('Ed25519 initiator and responder, early data on both sides',
      { identity: ed25519PrivateKeyFromSeed(fill(0x01)), staticPrivateKey: fill(0x21), ephemeralPrivateKey: fill(0x41), streamMuxers: ['/yamux/1.0.0', '/mplex/6.7.0'] },
      { identity: ed25519PrivateKeyFromSeed(fill(0x02)), staticPrivateKey: fill(0x22), ephemeralPrivateKey: fill(0x42), streamMuxers: ['/yamux/1.0.0'] }),
    await record('Ed25519 initiator and responder, no early data',
      { identity: ed25519PrivateKeyFromSeed(fill(0x03)), staticPrivateKey: fill(0x23), ephemeralPrivateKey: fill(0x43), streamMuxers: [] },
      { identity: ed25519PrivateKeyFromSeed(fill(0x04)), staticPrivateKey: fill(0x24), ephemeralPrivateKey: fill(0x44), streamMuxers: [] }),
    await record('secp256k1 initiator, Ed25519 responder',
      { identity: secp, staticPrivateKey: fill(0x25), ephemeralPrivateKey: fill(0x45), streamMuxers: ['/yamux/1.0.0'] },
      { identity: ed25519PrivateKeyFromSeed(fill(0x06)), staticPrivateKey: fill(0x26), ephemeralPrivateKey: fill(0x46), streamMuxers: [] }),
    await record('ECDSA P-256 initiator, RSA 2048 responder (generated keys; ECDSA signatures are randomized)',
      { identity: generateKeyPair('ECDSA'), staticPrivateKey: fill(0x27), ephemeralPrivateKey: fill(0x47), streamMuxers: [] },
      { identity: generateKeyPair('RSA'), staticPrivateKey: fill(0x28), ephemeralPrivateKey: fill(0x48), streamMuxers: ['/mplex/6.7.0'] })
  ]

  const file = {
    source: 'generated by scripts/gen-noise-vectors.ts in this repository, following libp2p/specs noise/README.md (Noise_XX_25519_ChaChaPoly_SHA256, empty prologue, NoiseHandshakePayload, 2-byte big-endian length prefix)',
    about: 'Complete libp2p Noise handshakes. All byte strings are hex. identity_*_key are the PrivateKey/PublicKey protobufs of libp2p/specs peer-ids. messages[i].wire = 2-byte length || noise_message; payload is the decrypted NoiseHandshakePayload (empty for message 0). transport[i].wire is sealed with the CipherState of its direction, nonces counting from 0 per direction.',
    vectors
  }
  writeFileSync(new URL('../spec-vectors/noise/libp2p-handshake.json', import.meta.url), JSON.stringify(file, null, 1) + '\n')
  console.log(`wrote ${vectors.length} vectors`)
}

// ------------------------------------------------------------ invalid cases

type Role = 'initiator' | 'responder'
type Mutation = (message: Uint8Array) => Uint8Array

interface InvalidMessage {
  direction: string
  tokens: string
  /** What was done to an honest message, when anything was. */
  note?: string
  /** The plaintext payload the sender encrypted (empty for message 1). */
  payload: string
  noise_message: string
  wire: string
}

interface InvalidCase {
  description: string
  spec: string
  rejected_by: Role
  /** 1, 2 or 3: the message whose processing fails. */
  at_message: number
  error: string
  /** The peer ID the initiator dials (only where the case is about it). */
  expected_remote_peer?: string
  messages: InvalidMessage[]
}

interface Tamper {
  /** Replaces the responder's payload in message 2. */
  responderPayload?: (honest: Uint8Array, rs: Uint8Array) => Uint8Array
  /** Replaces the initiator's payload in message 3. */
  initiatorPayload?: (honest: Uint8Array, s: Uint8Array) => Uint8Array
  /** Changes the encrypted message after it was written. */
  message?: { index: number, note: string, change: Mutation }
}

const INVALID_MUXERS = ['/yamux/1.0.0']
const invalidInitiator: Side = { identity: ed25519PrivateKeyFromSeed(fill(0x61)), staticPrivateKey: fill(0x71), ephemeralPrivateKey: fill(0x81), streamMuxers: INVALID_MUXERS }
const invalidResponder: Side = { identity: ed25519PrivateKeyFromSeed(fill(0x62)), staticPrivateKey: fill(0x72), ephemeralPrivateKey: fill(0x82), streamMuxers: INVALID_MUXERS }
/** A third identity, the peer the initiator meant to reach in the wrong-peer case. */
const otherIdentity = ed25519PrivateKeyFromSeed(fill(0x63))
/** A static key that is not the responder's, signed in the wrong-static-key case. */
const otherStaticPublicKey = nodeCrypto.publicKey(fill(0x73))

/**
 * Runs the three XX messages between the two fixed sides, applying `tamper`,
 * and stops after message `upTo` (the one the receiver must reject).
 */
function buildInvalid (upTo: number, tamper: Tamper): InvalidMessage[] {
  const state = (side: Side, initiator: boolean): HandshakeState => new HandshakeState({
    crypto: nodeCrypto, pattern: XX, protocolName: PROTOCOL_NAME, initiator, prologue: new Uint8Array(0),
    staticPrivateKey: side.staticPrivateKey, ephemeralPrivateKey: side.ephemeralPrivateKey
  })
  const hs = { initiator: state(invalidInitiator, true), responder: state(invalidResponder, false) }
  const out: InvalidMessage[] = []
  for (let index = 0; index < upTo; index++) {
    const [writer, reader]: [Role, Role] = index % 2 === 0 ? ['initiator', 'responder'] : ['responder', 'initiator']
    const side = writer === 'initiator' ? invalidInitiator : invalidResponder
    let payload: Uint8Array = new Uint8Array(0)
    if (index > 0) {
      const honest = createHandshakePayload(side.identity, hs[writer].s.publicKey, side.streamMuxers)
      const change = writer === 'responder' ? tamper.responderPayload : tamper.initiatorPayload
      payload = change === undefined ? honest : change(honest, hs[writer].s.publicKey)
    }
    let message = hs[writer].writeMessage(payload)
    let note: string | undefined
    if (tamper.message?.index === index) {
      message = tamper.message.change(message)
      note = tamper.message.note
    }
    out.push({
      direction: `${writer}->${reader}`,
      tokens: describeMessage(XX, index),
      ...(note !== undefined ? { note } : {}),
      payload: hex(payload),
      noise_message: hex(message),
      wire: hex(encodeFrame(message))
    })
    // the receiver processes every message but the last; the last is the one it rejects
    if (index < upTo - 1) hs[reader].readMessage(message)
  }
  return out
}

const flipLastByte: Mutation = m => { const c = m.slice(); c[c.length - 1] ^= 0x01; return c }
/** Re-encodes a payload with the first byte of its identity_sig flipped. */
const badSignature = (honest: Uint8Array): Uint8Array => {
  const p = decodeNoiseHandshakePayload(honest)
  const sig = p.identitySig.slice()
  sig[0] ^= 0x01
  return encodeNoiseHandshakePayload({ ...p, identitySig: sig })
}
/** A PublicKey protobuf with Type 9 (no such KeyType) and a 32-byte Data. */
const UNKNOWN_TYPE_PUBLIC_KEY = Uint8Array.from([0x08, 0x09, 0x12, 0x20, ...fill(0xa0)])

const SPEC = {
  sig: 'libp2p/specs noise/README.md "Static Key Authentication" and "The libp2p Handshake Payload": "The key MUST then be used to validate the identity_sig field against the static Noise key received in the handshake. If the signature is invalid, the connection MUST be terminated immediately."',
  peer: 'libp2p/specs noise/README.md "libp2p Interfaces and API": "The remotePeer PeerId argument MUST be validated against the libp2p public identity sent by the remote peer during the handshake."',
  payload: 'libp2p/specs noise/README.md "The libp2p Handshake Payload": "peers MUST decode the public key from the identity_key field into a usable form"',
  keyType: 'libp2p/specs noise/README.md "The libp2p Handshake Payload" (identity_key is a PublicKey protobuf) and peer-ids/peer-ids.md "Keys" (KeyType enum: RSA 0, Ed25519 1, Secp256k1 2, ECDSA 3)',
  decrypt: 'noiseprotocol/noise_spec noise.md §5.2 DecryptAndHash / §5.1 DecryptWithAd: "If an authentication failure occurs in DECRYPT() then ... an error is signaled to the caller"',
  ephemeral: 'noiseprotocol/noise_spec noise.md §5.3 ReadMessage "e": "Sets re ... to the next DHLEN bytes from the message" (DHLEN = 32, §12.1); libp2p/specs noise/README.md "Wire Format"'
}

if (wants('invalid')) {
  const cases: InvalidCase[] = [
    { description: 'bad identity_sig in the responder payload (message 2): first signature byte flipped', spec: SPEC.sig, rejected_by: 'initiator', at_message: 2, error: 'ERR_NOISE_BAD_SIGNATURE', messages: buildInvalid(2, { responderPayload: badSignature }) },
    { description: 'bad identity_sig in the initiator payload (message 3): first signature byte flipped', spec: SPEC.sig, rejected_by: 'responder', at_message: 3, error: 'ERR_NOISE_BAD_SIGNATURE', messages: buildInvalid(3, { initiatorPayload: badSignature }) },
    {
      description: 'identity_sig in message 2 is a valid signature, but over a different static key than the one the handshake delivered',
      spec: SPEC.sig, rejected_by: 'initiator', at_message: 2, error: 'ERR_NOISE_BAD_SIGNATURE',
      messages: buildInvalid(2, { responderPayload: () => createHandshakePayload(invalidResponder.identity, otherStaticPublicKey, invalidResponder.streamMuxers) })
    },
    {
      description: 'an honest message 2 from a peer that is not the one dialed (the initiator expects another peer ID)',
      spec: SPEC.peer, rejected_by: 'initiator', at_message: 2, error: 'ERR_UNEXPECTED_PEER',
      expected_remote_peer: PeerId.fromPublicKey(otherIdentity.publicKey).toString(),
      messages: buildInvalid(2, {})
    },
    {
      description: 'message 2 cut inside its encrypted payload (the length prefix matches the shortened message, so the payload tag cannot verify)',
      spec: SPEC.decrypt, rejected_by: 'initiator', at_message: 2, error: 'ERR_NOISE_DECRYPT',
      // e (32) + encrypted s (48) + the first 40 bytes of the encrypted payload
      messages: buildInvalid(2, { message: { index: 1, note: 'cut after 120 bytes, inside the encrypted payload', change: m => m.slice(0, 120) } })
    },
    {
      description: 'the responder payload (message 2) is not a protobuf: the ASCII text "not a protobuf" (first byte 0x6e = field 13 with the reserved wire type 6)',
      spec: SPEC.payload, rejected_by: 'initiator', at_message: 2, error: 'ERR_NOISE_INVALID_PAYLOAD',
      messages: buildInvalid(2, { responderPayload: () => new Uint8Array(Buffer.from('not a protobuf')) })
    },
    {
      description: 'the responder identity_key (message 2) has an unknown KeyType 9',
      spec: SPEC.keyType, rejected_by: 'initiator', at_message: 2, error: 'ERR_UNKNOWN_KEY_TYPE',
      messages: buildInvalid(2, { responderPayload: honest => encodeNoiseHandshakePayload({ ...decodeNoiseHandshakePayload(honest), identityKey: UNKNOWN_TYPE_PUBLIC_KEY }) })
    },
    {
      description: 'message 1 holds a 31-byte ephemeral key (the last byte of the honest key dropped)',
      spec: SPEC.ephemeral, rejected_by: 'responder', at_message: 1, error: 'ERR_NOISE_MESSAGE_TOO_SHORT',
      messages: buildInvalid(1, { message: { index: 0, note: 'last byte dropped: 31 bytes', change: m => m.slice(0, 31) } })
    },
    {
      description: 'message 2 with the last byte of its payload MAC flipped',
      spec: SPEC.decrypt, rejected_by: 'initiator', at_message: 2, error: 'ERR_NOISE_DECRYPT',
      messages: buildInvalid(2, { message: { index: 1, note: 'last byte (payload tag) xor 0x01', change: flipLastByte } })
    },
    {
      description: 'message 3 with the last byte of its payload MAC flipped',
      spec: SPEC.decrypt, rejected_by: 'responder', at_message: 3, error: 'ERR_NOISE_DECRYPT',
      messages: buildInvalid(3, { message: { index: 2, note: 'last byte (payload tag) xor 0x01', change: flipLastByte } })
    }
  ]
  const file = {
    source: 'generated by scripts/gen-noise-vectors.ts in this repository from fixed keys, following libp2p/specs noise/README.md and noiseprotocol/noise_spec noise.md; replayed against our node in test/noise/libp2p-invalid.test.ts and against @chainsafe/libp2p-noise 17 in test/noise/libp2p-vectors-js.test.ts',
    about: 'libp2p Noise handshakes that must fail. All byte strings are hex. initiator / responder hold the fixed keys (same layout as libp2p-handshake.json); every case uses them. messages[] runs from message 1 up to and including the rejected one; the honest messages are exactly what these keys produce, the bad one is described by `note` or by its payload. rejected_by names the side that must abort, at_message (1-3) the message whose processing fails, error our stable error code (other implementations must abort the handshake at the same message; their error names differ).',
    protocol_name: PROTOCOL_NAME,
    prologue: '',
    initiator: describeSide(invalidInitiator),
    responder: describeSide(invalidResponder),
    cases
  }
  writeFileSync(new URL('../spec-vectors/noise/libp2p-invalid.json', import.meta.url), JSON.stringify(file, null, 1) + '\n')
  console.log(`wrote ${cases.length} invalid cases`)
}
