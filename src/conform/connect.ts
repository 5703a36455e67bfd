// Opening a connection the way a dialer does (libp2p/specs connections
// "Upgrading connections"): TCP, multistream-select `/noise`, the Noise XX
// handshake as initiator, then multistream-select of a muxer inside the
// encrypted channel. Every step is done by hand on a Wire so that a case can
// stop after any step or break one on purpose (`NoiseTamper`).

import { P2PError } from '../util/errors.js'
import { PeerId, type PrivateKey } from '../peer/index.js'
import { multiaddr } from '../multiaddr/index.js'
import {
  HandshakeState, XX, PROTOCOL_NAME, NOISE_PROTOCOL_ID, nodeCrypto, createHandshakePayload, verifyHandshakePayload,
  encodeFrame as encodeNoiseFrame, type NoiseExtensions
} from '../noise/index.js'
import type { ByteQueue } from '../util/byte-queue.js'
import { Wire } from './wire.js'
import { expectHeader, proposal, takeMessage } from './multistream.js'

export interface Target {
  host: string
  port: number
  /** The /p2p/ component of the multiaddr, when given: the handshake must prove it. */
  peerId: PeerId | undefined
}

export function parseTarget (text: string): Target {
  const ma = multiaddr(text)
  const socket = ma.toSocketAddress()
  if (socket.transport !== 'tcp') throw new P2PError('ERR_INVALID_PARAMETERS', `p2p conform needs a TCP multiaddr, got ${text}`)
  const id = ma.getPeerId()
  return { host: socket.host, port: socket.port, peerId: id === undefined ? undefined : PeerId.parse(id) }
}

/** What a case needs to reach the peer. */
export interface Dialer {
  readonly target: Target
  readonly privateKey: PrivateKey
  readonly signal: AbortSignal
  /** Deadline of one wait for the remote. */
  readonly stepTimeoutMs: number
}

/** Deliberate violations of libp2p/specs noise, for the Noise cases. */
export interface NoiseTamper {
  /** Sign a different static key than the one we use: identity_sig does not verify. */
  badSignature?: boolean
  /** Send our static key truncated or padded to this many bytes in message 3. */
  staticKeyLength?: number
}

export interface Secured {
  wire: Wire
  remotePeer: PeerId
  remoteExtensions: NoiseExtensions
}

const EMPTY = new Uint8Array(0)
const LENGTH_PREFIX_BYTES = 2

/** A handshake message (2-byte big-endian length, then the message) from the queue. */
function takeNoiseMessage (queue: ByteQueue): Uint8Array | undefined {
  if (queue.length < LENGTH_PREFIX_BYTES) return undefined
  const length = queue.byteAt(0) << 8 | queue.byteAt(1)
  if (queue.length < LENGTH_PREFIX_BYTES + length) return undefined
  queue.skip(LENGTH_PREFIX_BYTES)
  return (queue.take(length) ?? EMPTY).slice()
}

/** A plain TCP connection to the target (the multistream cases start here). */
export async function openRaw (d: Dialer): Promise<Wire> {
  return await Wire.connect(d.target.host, d.target.port, d.signal)
}

/** Proposes `protocol` on a fresh (or plaintext) wire: header + proposal, reads header + answer. */
export async function select (wire: Wire, protocol: string, timeoutMs: number): Promise<string> {
  wire.write(proposal(protocol))
  expectHeader(await wire.next(q => takeMessage(q), 'the multistream header', timeoutMs))
  return await wire.next(q => takeMessage(q), `the answer to "${protocol}"`, timeoutMs)
}

/**
 * TCP, `/noise`, the XX handshake. With a tamper option the last message is
 * broken and the wire is returned unencrypted-for-reading; the caller checks
 * that the peer hangs up.
 */
export async function openSecured (d: Dialer, tamper: NoiseTamper = {}): Promise<Secured> {
  const wire = await openRaw(d)
  const answer = await select(wire, NOISE_PROTOCOL_ID, d.stepTimeoutMs)
  if (answer !== NOISE_PROTOCOL_ID) {
    throw new P2PError('ERR_CONFORM_UNEXPECTED', `expected the peer to accept "${NOISE_PROTOCOL_ID}", it answered "${answer}"`)
  }
  const crypto = nodeCrypto
  const hs = new HandshakeState({ crypto, pattern: XX, protocolName: PROTOCOL_NAME, initiator: true, prologue: EMPTY, staticPrivateKey: crypto.generatePrivateKey() })
  // -> e
  wire.write(encodeNoiseFrame(hs.writeMessage(EMPTY)))
  // <- e, ee, s, es
  const message2 = await wire.next(takeNoiseMessage, 'Noise handshake message 2 (<- e, ee, s, es)', d.stepTimeoutMs)
  const payload2 = hs.readMessage(message2)
  if (hs.rs === undefined) throw new P2PError('ERR_CONFORM_UNEXPECTED', 'no remote static key after message 2')
  const identity = verifyHandshakePayload(payload2, hs.rs, d.target.peerId)
  // -> s, se
  const signedKey = tamper.badSignature === true ? crypto.publicKey(crypto.generatePrivateKey()) : hs.s.publicKey
  const payload3 = createHandshakePayload(d.privateKey, signedKey)
  if (tamper.staticKeyLength !== undefined) {
    wire.write(encodeNoiseFrame(brokenMessage3(hs, tamper.staticKeyLength, payload3)))
    return { wire, remotePeer: identity.remotePeer, remoteExtensions: identity.remoteExtensions }
  }
  wire.write(encodeNoiseFrame(hs.writeMessage(payload3)))
  const keys = hs.transportKeys
  if (keys === undefined) throw new P2PError('ERR_CONFORM_UNEXPECTED', 'the handshake ended without Split()')
  wire.encrypt(keys.send, keys.receive)
  return { wire, remotePeer: identity.remotePeer, remoteExtensions: identity.remoteExtensions }
}

/**
 * Message 3 (-> s, se) with a static key of the wrong length: the tokens done
 * by hand with the SymmetricState (noise.md §5.3 WriteMessage), the "s" token
 * encrypting `length` bytes instead of DHLEN.
 */
function brokenMessage3 (hs: HandshakeState, length: number, payload: Uint8Array): Uint8Array {
  const ss = hs.symmetricState
  const s = new Uint8Array(length)
  s.set(hs.s.publicKey.subarray(0, Math.min(length, hs.s.publicKey.length)))
  const encryptedS = ss.encryptAndHash(s)
  if (hs.re === undefined) throw new P2PError('ERR_CONFORM_UNEXPECTED', 'no remote ephemeral key before message 3')
  ss.mixKey(nodeCrypto.dh(hs.s.privateKey, hs.re))
  const encryptedPayload = ss.encryptAndHash(payload)
  const out = new Uint8Array(encryptedS.length + encryptedPayload.length)
  out.set(encryptedS, 0)
  out.set(encryptedPayload, encryptedS.length)
  return out
}

export type MuxerProtocol = '/yamux/1.0.0' | '/mplex/6.7.0'

/** A secured connection with `muxer` agreed, or undefined when the peer answers `na`. */
export async function openMuxed (d: Dialer, muxer: MuxerProtocol): Promise<Secured | undefined> {
  const secured = await openSecured(d)
  const answer = await select(secured.wire, muxer, d.stepTimeoutMs)
  if (answer === 'na') {
    secured.wire.destroy()
    return undefined
  }
  if (answer !== muxer) throw new P2PError('ERR_CONFORM_UNEXPECTED', `expected "${muxer}" or "na", got "${answer}"`)
  return secured
}
