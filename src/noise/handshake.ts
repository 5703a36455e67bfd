// The libp2p Noise handshake driver (libp2p/specs noise/README.md "libp2p
// Interfaces and API": SecureOutbound / SecureInbound): the only part of
// src/noise that does I/O.
//
// Theory of operation: build a HandshakeState for XX (./handshake-state.ts),
// then exchange the three messages over `conn`, each with its 2-byte length
// prefix (./frame.ts):
//
//   initiator                               responder
//   -> e                       (empty payload)
//                             <- e, ee, s, es (responder's signed payload)
//   -> s, se                   (initiator's signed payload)
//
// Messages are read through StreamReader, which never over-reads, so the
// transport messages that follow message 3 stay in conn for the encrypted
// stream (./secure-stream.ts). Any failure (hostile input, timeout, abort)
// destroys conn and rejects with a P2PError or the abort reason.

import type { Duplex } from 'node:stream'
import { P2PError } from '../util/errors.js'
import { StreamReader, readTimeLimit, type ReadTimeLimit } from '../util/stream-reader.js'
import type { PeerId, PrivateKey, PublicKey } from '../peer/index.js'
import { DEFAULT_HANDSHAKE_TIMEOUT_MS, LENGTH_PREFIX_BYTES, PROTOCOL_NAME } from './constants.js'
import type { NoiseCrypto } from './crypto.js'
import { nodeCrypto } from './crypto-node.js'
import { encodeFrame } from './frame.js'
import { HandshakeState } from './handshake-state.js'
import { XX, describeMessage } from './handshake-pattern.js'
import { createHandshakePayload, verifyHandshakePayload, type RemoteIdentity } from './identity.js'
import { decodeNoiseHandshakePayload, type NoiseExtensions } from './payload.js'
import { NoiseSecureStream } from './secure-stream.js'

/** One handshake message as it crossed the wire, for traces. Never holds key material. */
export interface HandshakeMessageInfo {
  /** 0, 1 or 2. */
  index: number
  direction: 'sent' | 'received'
  /** The pattern line, e.g. '<- e, ee, s, es'. */
  tokens: string
  /** Bytes on the wire, including the 2-byte length prefix. */
  size: number
  /** A human summary of the decrypted payload. */
  payload: string
}

export interface SplitKeys {
  handshakeHash: Uint8Array
  initiatorToResponder: Uint8Array
  responderToInitiator: Uint8Array
}

export interface SecureOptions {
  /** The libp2p identity key that signs our static Noise key. */
  privateKey: PrivateKey
  /** Early data for the handshake payload's NoiseExtensions. */
  extensions?: { streamMuxers?: string[] }
  /**
   * As initiator, list in message 3 only the muxer chooseStreamMuxer picks
   * from the responder's list, not all of `extensions.streamMuxers`
   * (inlined-muxer-negotiation.md: the initiator "MAY"). Default false: the
   * whole list, as the spec's base case and the recorded vectors have it.
   */
  sendChosenMuxerOnly?: boolean
  signal?: AbortSignal
  /** Default DEFAULT_HANDSHAKE_TIMEOUT_MS; on expiry ERR_NOISE_HANDSHAKE_TIMEOUT. */
  timeoutMs?: number
  /** Called by the initiator after it has written message 1 and before it reads message 2. */
  beforeFirstRead?: () => Promise<void>
  /** Called by the responder right after it has written message 2 (before it waits for message 3). */
  afterFirstWrite?: () => void
  /** Observer for the wire trace. */
  onHandshakeMessage?: (info: HandshakeMessageInfo) => void
  /** Key log for offline decryption: called once with the split keys, never logged anywhere else. */
  onKeys?: (keys: SplitKeys) => void
  /** Injected for deterministic vectors. */
  ephemeralPrivateKey?: Uint8Array
  /** Injected for deterministic vectors; otherwise a fresh key per handshake. */
  staticPrivateKey?: Uint8Array
  /** The crypto back end; node:crypto by default. */
  crypto?: NoiseCrypto
}

export interface SecureConnection {
  /** The encrypted channel. */
  stream: Duplex
  remotePeer: PeerId
  remotePublicKey: PublicKey
  remoteExtensions: NoiseExtensions
}

const EMPTY = new Uint8Array(0)

export async function secureOutbound (conn: Duplex, options: SecureOptions & { remotePeer?: PeerId }): Promise<SecureConnection> {
  return await runHandshake(conn, true, options, options.remotePeer)
}

export async function secureInbound (conn: Duplex, options: SecureOptions): Promise<SecureConnection> {
  return await runHandshake(conn, false, options, undefined)
}

async function runHandshake (conn: Duplex, initiator: boolean, options: SecureOptions, expectedPeer: PeerId | undefined): Promise<SecureConnection> {
  const crypto = options.crypto ?? nodeCrypto
  const timeoutMs = options.timeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS
  // the time limit counts from here, for the reads and beforeFirstRead
  // together; the caller's signal aborts any of them
  const timeLimit = readTimeLimit(timeoutMs, () => new P2PError('ERR_NOISE_HANDSHAKE_TIMEOUT', `the Noise handshake did not complete within ${timeoutMs} ms`, { remote: true }))
  const signal = options.signal
  // a connection error between reads destroys the connection, and the next
  // read reports it; without a listener that 'error' would be uncaught
  const onConnError = (): void => {}
  conn.on('error', onConnError)

  try {
    signal?.throwIfAborted()
    const hs = new HandshakeState({
      crypto,
      pattern: XX,
      protocolName: PROTOCOL_NAME,
      initiator,
      // libp2p/specs noise: the prologue is empty
      prologue: EMPTY,
      staticPrivateKey: options.staticPrivateKey ?? crypto.generatePrivateKey(),
      ...(options.ephemeralPrivateKey !== undefined ? { ephemeralPrivateKey: options.ephemeralPrivateKey } : {})
    })
    const reader = new StreamReader(conn, signal, timeLimit)
    const ourMuxers = options.extensions?.streamMuxers

    const send = (payload: Uint8Array): void => {
      const index = hs.nextMessageIndex
      const frame = encodeFrame(hs.writeMessage(payload))
      conn.write(frame)
      options.onHandshakeMessage?.({ index, direction: 'sent', tokens: describeMessage(XX, index), size: frame.length, payload: summarize(payload) })
    }
    const receive = async (): Promise<Uint8Array> => {
      const index = hs.nextMessageIndex
      // each read at once when the bytes are here (see StreamReader's `Taken`)
      const takenPrefix = reader.takeExactly(LENGTH_PREFIX_BYTES)
      const prefix = takenPrefix instanceof Uint8Array ? takenPrefix : await takenPrefix
      const length = prefix[0] << 8 | prefix[1]
      const takenMessage = reader.takeExactly(length)
      const message = takenMessage instanceof Uint8Array ? takenMessage : await takenMessage
      const payload = hs.readMessage(message)
      options.onHandshakeMessage?.({ index, direction: 'received', tokens: describeMessage(XX, index), size: LENGTH_PREFIX_BYTES + length, payload: summarize(payload) })
      return payload
    }
    const remoteStatic = (): Uint8Array => {
      if (hs.rs === undefined) throw new P2PError('ERR_NOISE_INVALID_STATE', 'no remote static key after its message')
      return hs.rs
    }

    let identity: RemoteIdentity
    if (initiator) {
      // libp2p/specs noise: "the initiator must not send a payload in their first message"
      send(EMPTY)
      if (options.beforeFirstRead !== undefined) await bounded(options.beforeFirstRead(), timeLimit, signal)
      identity = verifyHandshakePayload(await receive(), remoteStatic(), expectedPeer)
      const muxers = options.sendChosenMuxerOnly === true ? chooseStreamMuxer(ourMuxers, identity.remoteExtensions.streamMuxers) : ourMuxers
      send(createHandshakePayload(options.privateKey, hs.s.publicKey, muxers))
    } else {
      // message 1 carries no payload worth reading (it is not encrypted)
      await receive()
      send(createHandshakePayload(options.privateKey, hs.s.publicKey, ourMuxers))
      options.afterFirstWrite?.()
      identity = verifyHandshakePayload(await receive(), remoteStatic())
    }

    const keys = hs.transportKeys
    if (keys === undefined) throw new P2PError('ERR_NOISE_INVALID_STATE', 'the handshake ended without Split()')
    options.onKeys?.({ handshakeHash: keys.handshakeHash, initiatorToResponder: keys.initiatorToResponder, responderToInitiator: keys.responderToInitiator })
    return {
      stream: new NoiseSecureStream(conn, keys.send, keys.receive),
      remotePeer: identity.remotePeer,
      remotePublicKey: identity.remotePublicKey,
      remoteExtensions: identity.remoteExtensions
    }
  } catch (err) {
    conn.destroy()
    throw signal?.aborted === true ? signal.reason : err
  } finally {
    conn.off('error', onConnError)
  }
}

/**
 * The muxers the initiator lists in message 3. inlined-muxer-negotiation.md:
 * the initiator "MAY choose a single multiplexer from the responder's list
 * and only send that value"; we send the one the spec's rule picks, the
 * first of ours the responder listed. Then every responder agrees on it,
 * including js-libp2p's, whose responder takes the first of the initiator's
 * list it supports, and whose initiator takes the first of the responder's
 * (the spec's example, which contradicts its rule). With no responder list,
 * or no overlap (the handshake then fails on both sides), ours go whole.
 */
export function chooseStreamMuxer (ours: string[] | undefined, theirs: string[]): string[] | undefined {
  const chosen = ours === undefined ? undefined : firstCommonMuxer(ours, theirs)
  return chosen === undefined ? ours : [chosen]
}

/**
 * inlined-muxer-negotiation.md: "The multiplexer to use is determined by
 * picking the first item from the initiator's list that both parties
 * support." Undefined when they share none.
 */
export function firstCommonMuxer (initiatorList: readonly string[], responderList: readonly string[]): string | undefined {
  return initiatorList.find(p => responderList.includes(p))
}

/**
 * `promise`, unless the time limit (the reads' own) runs out or the signal
 * aborts first: then it rejects with the time limit's error or
 * the signal's reason. A timer, no AbortController (3-5 µs each in Node 20).
 */
async function bounded<T> (promise: Promise<T>, timeLimit: ReadTimeLimit, signal: AbortSignal | undefined): Promise<T> {
  signal?.throwIfAborted()
  let timer: NodeJS.Timeout | undefined
  let onAbort: (() => void) | undefined
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => { reject(timeLimit.timeoutError()) }, Math.max(0, timeLimit.expiresAt - performance.now()))
        if (signal === undefined) return
        onAbort = () => { reject(signal.reason) }
        signal.addEventListener('abort', onAbort)
      })
    ])
  } finally {
    clearTimeout(timer)
    if (onAbort !== undefined) signal?.removeEventListener('abort', onAbort)
  }
}

/** A one-line description of a handshake payload, with no secrets in it. */
function summarize (payload: Uint8Array): string {
  if (payload.length === 0) return 'empty'
  try {
    const decoded = decodeNoiseHandshakePayload(payload)
    const muxers = decoded.extensions?.streamMuxers ?? []
    return `NoiseHandshakePayload: identity_key ${decoded.identityKey.length} bytes, identity_sig ${decoded.identitySig.length} bytes` +
      (muxers.length > 0 ? `, stream_muxers [${muxers.join(', ')}]` : '')
  } catch {
    return `${payload.length} bytes (not a NoiseHandshakePayload)`
  }
}
