// Replays spec-vectors/noise/libp2p-handshake.json (our published libp2p
// Noise vectors, made by scripts/gen-noise-vectors.ts): the sans-I/O
// handshake with both crypto back ends, the signed payloads, peer IDs, split
// keys and transport messages, and — where signatures are deterministic —
// the driver's exact bytes on the wire against a scripted remote.

import t, { type Test } from 'tap'
import { readFileSync } from 'node:fs'
import type { Duplex } from 'node:stream'
import {
  CipherState, HandshakeState, PROTOCOL_NAME, XX, createHandshakePayload, encodeFrame, nobleCrypto, nodeCrypto,
  secureInbound, secureOutbound, verifyHandshakePayload, type NoiseCrypto
} from '../../src/noise/index.js'
import { PeerId, privateKeyFromProtobuf, publicKeyToProtobuf } from '../../src/peer/index.js'
import { StreamReader } from '../../src/util/stream-reader.js'
import { duplexPair } from '../helpers/duplex-pair.js'

interface SideVector {
  identity_type: string
  identity_private_key: string
  identity_public_key: string
  peer_id: string
  static_private_key: string
  static_public_key: string
  ephemeral_private_key: string
  ephemeral_public_key: string
  stream_muxers: string[]
}
interface Vector {
  description: string
  protocol_name: string
  prologue: string
  deterministic_signatures: boolean
  initiator: SideVector
  responder: SideVector
  messages: Array<{ direction: string, tokens: string, payload: string, noise_message: string, wire: string }>
  handshake_hash: string
  initiator_to_responder_key: string
  responder_to_initiator_key: string
  transport: Array<{ direction: string, plaintext: string, wire: string }>
}

const file = JSON.parse(readFileSync(new URL('../../spec-vectors/noise/libp2p-handshake.json', import.meta.url), 'utf8')) as { source: string, vectors: Vector[] }
const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'))
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
const EMPTY = new Uint8Array(0)

t.match(file.source, /scripts\/gen-noise-vectors\.ts/)
t.ok(file.vectors.length >= 4)

for (const v of file.vectors) {
  t.test(`keys: ${v.description}`, async t => {
    for (const side of [v.initiator, v.responder]) {
      const identity = privateKeyFromProtobuf(hex(side.identity_private_key))
      t.equal(identity.type, side.identity_type)
      t.equal(toHex(publicKeyToProtobuf(identity.publicKey)), side.identity_public_key)
      t.equal(PeerId.fromPublicKey(identity.publicKey).toString(), side.peer_id)
      for (const crypto of [nodeCrypto, nobleCrypto]) {
        t.equal(toHex(crypto.publicKey(hex(side.static_private_key))), side.static_public_key)
        t.equal(toHex(crypto.publicKey(hex(side.ephemeral_private_key))), side.ephemeral_public_key)
      }
    }
  })

  for (const crypto of [nodeCrypto, nobleCrypto] as NoiseCrypto[]) {
    t.test(`sans-I/O replay (${crypto.name}): ${v.description}`, async t => {
      t.equal(v.protocol_name, PROTOCOL_NAME)
      const state = (side: SideVector, initiator: boolean): HandshakeState => new HandshakeState({
        crypto, pattern: XX, protocolName: PROTOCOL_NAME, initiator, prologue: hex(v.prologue),
        staticPrivateKey: hex(side.static_private_key), ephemeralPrivateKey: hex(side.ephemeral_private_key)
      })
      const i = state(v.initiator, true)
      const r = state(v.responder, false)
      const m = v.messages
      t.same(m.map(x => x.tokens), ['-> e', '<- e, ee, s, es', '-> s, se'])
      t.equal(m[0].payload, '', 'the initiator sends no payload in message 1')

      t.equal(toHex(i.writeMessage(hex(m[0].payload))), m[0].noise_message)
      t.equal(toHex(r.readMessage(hex(m[0].noise_message))), m[0].payload)
      t.equal(toHex(r.writeMessage(hex(m[1].payload))), m[1].noise_message)
      t.equal(toHex(i.readMessage(hex(m[1].noise_message))), m[1].payload)
      t.equal(toHex(i.writeMessage(hex(m[2].payload))), m[2].noise_message)
      t.equal(toHex(r.readMessage(hex(m[2].noise_message))), m[2].payload)
      for (const x of m) t.equal(toHex(encodeFrame(hex(x.noise_message))), x.wire, 'wire = 2-byte big-endian length || message')

      // each payload authenticates its sender's static key and names its peer
      const fromResponder = verifyHandshakePayload(hex(m[1].payload), i.rs as Uint8Array, PeerId.parse(v.responder.peer_id))
      t.equal(fromResponder.remotePeer.toString(), v.responder.peer_id)
      t.same(fromResponder.remoteExtensions.streamMuxers, v.responder.stream_muxers)
      t.equal(toHex(i.rs as Uint8Array), v.responder.static_public_key)
      const fromInitiator = verifyHandshakePayload(hex(m[2].payload), r.rs as Uint8Array)
      t.equal(fromInitiator.remotePeer.toString(), v.initiator.peer_id)
      t.same(fromInitiator.remoteExtensions.streamMuxers, v.initiator.stream_muxers)

      const ik = i.transportKeys
      const rk = r.transportKeys
      if (ik === undefined || rk === undefined) throw new Error('incomplete')
      t.equal(toHex(ik.handshakeHash), v.handshake_hash)
      t.equal(toHex(rk.handshakeHash), v.handshake_hash)
      t.equal(toHex(ik.initiatorToResponder), v.initiator_to_responder_key)
      t.equal(toHex(ik.responderToInitiator), v.responder_to_initiator_key)
      for (const x of v.transport) {
        const [send, receive] = x.direction === 'initiator->responder' ? [ik.send, rk.receive] : [rk.send, ik.receive]
        const sealed = send.encryptWithAd(EMPTY, hex(x.plaintext))
        t.equal(toHex(encodeFrame(sealed)), x.wire)
        t.equal(toHex(receive.decryptWithAd(EMPTY, sealed)), x.plaintext)
      }
      // the key log alone decrypts the traffic
      const logged = new CipherState(crypto, hex(v.initiator_to_responder_key))
      const first = v.transport.find(x => x.direction === 'initiator->responder')
      if (first !== undefined) t.equal(toHex(logged.decryptWithAd(EMPTY, hex(first.wire).subarray(2))), first.plaintext)

      if (v.deterministic_signatures) {
        const iId = privateKeyFromProtobuf(hex(v.initiator.identity_private_key))
        const rId = privateKeyFromProtobuf(hex(v.responder.identity_private_key))
        t.equal(toHex(createHandshakePayload(rId, hex(v.responder.static_public_key), v.responder.stream_muxers)), m[1].payload, 'responder payload rebuilt')
        t.equal(toHex(createHandshakePayload(iId, hex(v.initiator.static_public_key), v.initiator.stream_muxers)), m[2].payload, 'initiator payload rebuilt')
      }
    })
  }

  if (!v.deterministic_signatures) continue

  t.test(`driver on the wire, as initiator: ${v.description}`, async t => {
    const [a, remote] = duplexPair()
    const reader = new StreamReader(remote)
    const dial = secureOutbound(a, {
      privateKey: privateKeyFromProtobuf(hex(v.initiator.identity_private_key)),
      staticPrivateKey: hex(v.initiator.static_private_key),
      ephemeralPrivateKey: hex(v.initiator.ephemeral_private_key),
      extensions: { streamMuxers: v.initiator.stream_muxers },
      remotePeer: PeerId.parse(v.responder.peer_id)
    })
    t.equal(toHex(await reader.readExactly(hex(v.messages[0].wire).length)), v.messages[0].wire)
    remote.write(hex(v.messages[1].wire))
    t.equal(toHex(await reader.readExactly(hex(v.messages[2].wire).length)), v.messages[2].wire)
    const conn = await dial
    t.equal(conn.remotePeer.toString(), v.responder.peer_id)
    await replayTransport(t, v, conn.stream, remote, reader, 'initiator->responder')
  })

  t.test(`driver on the wire, as responder: ${v.description}`, async t => {
    const [b, remote] = duplexPair()
    const reader = new StreamReader(remote)
    const listen = secureInbound(b, {
      privateKey: privateKeyFromProtobuf(hex(v.responder.identity_private_key)),
      staticPrivateKey: hex(v.responder.static_private_key),
      ephemeralPrivateKey: hex(v.responder.ephemeral_private_key),
      extensions: { streamMuxers: v.responder.stream_muxers }
    })
    remote.write(hex(v.messages[0].wire))
    t.equal(toHex(await reader.readExactly(hex(v.messages[1].wire).length)), v.messages[1].wire)
    // message 3 and the first transport message in one chunk, as a fast initiator sends them
    const firstUp = v.transport.find(x => x.direction === 'initiator->responder')
    remote.write(Buffer.concat([hex(v.messages[2].wire), hex(firstUp?.wire ?? '')]))
    const conn = await listen
    t.equal(conn.remotePeer.toString(), v.initiator.peer_id)
    t.same(conn.remoteExtensions.streamMuxers, v.initiator.stream_muxers)
    if (firstUp !== undefined) {
      const data = await new Promise<Buffer>(resolve => conn.stream.once('data', resolve))
      t.equal(toHex(data), firstUp.plaintext, 'the bytes after message 3 were not lost')
    }
    await replayTransport(t, v, conn.stream, remote, reader, 'responder->initiator', firstUp)
  })
}

/** Our side (`mine`) sends its transport plaintexts; the scripted remote checks and answers with the recorded frames. */
async function replayTransport (t: Test, v: Vector, stream: Duplex, remote: Duplex, reader: StreamReader, mine: string, skip?: unknown): Promise<void> {
  for (const x of v.transport) {
    if (x === skip) continue
    if (x.direction === mine) {
      stream.write(hex(x.plaintext))
      t.equal(toHex(await reader.readExactly(hex(x.wire).length)), x.wire, `our transport message: ${Buffer.from(hex(x.plaintext)).toString()}`)
    } else {
      remote.write(hex(x.wire))
      const data = await new Promise<Buffer>(resolve => stream.once('data', resolve))
      t.equal(toHex(data), x.plaintext)
    }
  }
  stream.destroy()
}
