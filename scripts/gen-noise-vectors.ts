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
// Run: node --import=./node_modules/@tapjs/typescript/dist/esm/import.mjs scripts/gen-noise-vectors.ts

import { writeFileSync } from 'node:fs'
import type { Duplex } from 'node:stream'
import { FrameDecoder, HandshakeState, XX, PROTOCOL_NAME, secureInbound, secureOutbound, nodeCrypto, decodeNoiseHandshakePayload, type SplitKeys } from '../src/noise/index.js'
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
  const decoder = new FrameDecoder()
  decoder.push(bytes)
  const out: Uint8Array[] = []
  for (let m = decoder.next(); m !== undefined; m = decoder.next()) out.push(m)
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
