// The upgrader: a raw connection becomes a secure, multiplexed libp2p
// connection (libp2p/specs connections/README.md "Upgrading connections",
// connections/inlined-muxer-negotiation.md).
//
// Theory of operation, dialer side, with the round trips it costs:
//
//   -> /multistream/1.0.0 /noise           (optimistic: not waiting for the answer)
//   -> Noise message 1 (e)
//   <- /multistream/1.0.0 /noise, Noise message 2 (e, ee, s, es + responder's muxers)   1 RTT
//   -> Noise message 3 (s, se + our muxers)
//   the muxer is now agreed from the two lists: no multistream round for it
//   -> the first stream (e.g. ping), sent optimistically right behind message 3          +1 RTT
//
// When either side lists no muxers in its handshake payload, the muxer is
// negotiated with multistream-select inside the encrypted channel instead.

import type { Duplex } from 'node:stream'
import type { PrivateKey, PeerId, PublicKey } from '../peer/index.js'
import type { Multiaddr } from '../multiaddr/index.js'
import type { MuxedStream, StreamMuxerFactory } from '../muxer/types.js'
import { handleProtocols, readOptimisticAccept, selectProtocol, writeOptimisticProposal } from '../multistream/index.js'
import type { MessageHook } from '../multistream/index.js'
import { firstCommonMuxer, nodeCrypto, secureInbound, secureOutbound, NOISE_PROTOCOL_ID } from '../noise/index.js'
import type { SecureConnection, SecureOptions } from '../noise/index.js'
import { StreamReader } from '../util/stream-reader.js'
import { MAX_TIMER_MS, startDeadline } from '../util/deadline.js'
import { P2PError, isP2PError } from '../util/errors.js'
import { Connection, newConnectionId, type OutboundStreamGate } from './connection.js'
import type { ConnectionMemory } from '../resources/index.js'

/**
 * go-libp2p allows 15 s for a whole upgrade and js-libp2p 10 s; a peer that
 * stalls anywhere in it (slowloris) is dropped when this runs out.
 */
export const DEFAULT_UPGRADE_TIMEOUT_MS = 10_000

/** Observers for the wire trace (`p2p trace`); all optional. */
export interface UpgradeTrace {
  /**
   * Called at the start of each upgrade; the hooks it returns observe that
   * connection only (the others are then not called for it). Lets a tracer
   * tell concurrent connections apart.
   */
  forConnection?: (context: UpgradeContext) => UpgradeTrace | undefined
  onMultistream?: (scope: 'connection' | 'secure', direction: 'in' | 'out', message: string) => void
  onHandshakeMessage?: SecureOptions['onHandshakeMessage']
  onKeys?: SecureOptions['onKeys']
  /** The handshake succeeded: the remote's verified identity, before any muxer byte. */
  onSecured?: (info: SecuredInfo) => void
  onMuxerSelected?: (protocol: string, how: 'inlined' | 'multistream') => void
  onStreamMultistream?: (stream: MuxedStream, direction: 'in' | 'out', message: string) => void
  /** Lets the tracer wrap the secured channel to see muxer frames. */
  wrapSecureStream?: (stream: Duplex) => Duplex
}

/** What a tracer learns about a connection when its upgrade starts. */
export interface UpgradeContext {
  direction: 'inbound' | 'outbound'
  remoteAddr: Multiaddr
  localAddr?: Multiaddr
}

/** The outcome of the Noise handshake, for traces. Holds no key material. */
export interface SecuredInfo {
  remotePeer: PeerId
  remotePublicKey: PublicKey
  /** The remote's handshake-payload muxer list (empty when it sent none). */
  remoteStreamMuxers: string[]
  /** The muxer the handshake agreed on, or undefined when multistream-select will choose it. */
  inlinedMuxer: string | undefined
}

export interface UpgraderInit {
  privateKey: PrivateKey
  /** Muxers in order of preference; the first is proposed first. */
  muxers: StreamMuxerFactory[]
  /** Negotiate the muxer inside the Noise handshake when the remote does too. */
  inlineMuxerNegotiation?: boolean
  timeoutMs?: number
  trace?: UpgradeTrace
  /** Called for every stream a remote opens on an upgraded connection. */
  onStream?: (stream: MuxedStream, connection: Connection) => void
  /**
   * Extra options for each muxer's create(), by protocol ID (e.g. the
   * resource manager's stream and buffer limits: src/resources/muxer-options.ts).
   */
  muxerOptions?: Record<string, Record<string, unknown>>
  /** A new buffer-memory account for each connection's muxer (the resource manager's openConnectionMemory). */
  connectionMemory?: () => ConnectionMemory
  /** Installed on every connection: asked before each outbound stream (src/upgrader/connection.ts). */
  reserveOutboundStream?: OutboundStreamGate
  /** How long a closed connection's socket may wait for the remote's end (src/upgrader/connection.ts). */
  socketCloseTimeoutMs?: number
}

export interface UpgradeOptions {
  remoteAddr: Multiaddr
  localAddr?: Multiaddr
  /** Dialer only: the peer we expect; a different peer fails with ERR_UNEXPECTED_PEER. */
  remotePeer?: PeerId
  signal?: AbortSignal
}

export class Upgrader {
  /**
   * Our static Noise key, one for the upgrader's lifetime: noise/README.md
   * lets implementations "generate new static Noise keys when initializing
   * the noise-libp2p module". Its signature is then made once, and a peer
   * that meets it again verifies it once (src/noise/identity.ts).
   */
  private readonly staticPrivateKey = nodeCrypto.generatePrivateKey()

  constructor (private readonly init: UpgraderInit) {
    if (init.muxers.length === 0) throw new P2PError('ERR_INVALID_PARAMETERS', 'the upgrader needs at least one muxer')
  }

  async upgradeOutbound (socket: Duplex, options: UpgradeOptions): Promise<Connection> {
    return await this.upgrade(socket, 'outbound', options)
  }

  async upgradeInbound (socket: Duplex, options: UpgradeOptions): Promise<Connection> {
    return await this.upgrade(socket, 'inbound', options)
  }

  /** The whole upgrade's time limit. */
  private get timeoutMs (): number {
    return this.init.timeoutMs ?? DEFAULT_UPGRADE_TIMEOUT_MS
  }

  /**
   * The time limit given to each step (the multistream negotiations, the
   * Noise handshake), whose own defaults of 10 s would otherwise cut an
   * upgrade given longer: a second more than the whole, so that the
   * upgrade's own deadline (its signal), which bounds them all together, is
   * always the one that fires (ERR_UPGRADE_TIMEOUT).
   */
  private get stepTimeoutMs (): number {
    return Math.min(this.timeoutMs + 1_000, MAX_TIMER_MS)
  }

  private async upgrade (socket: Duplex, direction: 'inbound' | 'outbound', options: UpgradeOptions): Promise<Connection> {
    const timeoutMs = this.timeoutMs
    const timeoutError = (cause?: unknown): P2PError =>
      new P2PError('ERR_UPGRADE_TIMEOUT', `${direction} upgrade with ${options.remoteAddr.toString()} did not finish within ${timeoutMs} ms`, { cause })
    const deadline = startDeadline(timeoutMs, timeoutError, options.signal)
    const signal = deadline.signal
    // a timeout or abort during any read below tears the raw socket down, so nothing lingers
    const onAbort = (): void => { socket.destroy() }
    signal.addEventListener('abort', onAbort)
    let secure: SecureConnection | undefined
    try {
      const trace = this.traceFor(direction, options)
      secure = direction === 'outbound'
        ? await this.secureOutbound(socket, signal, options.remotePeer, trace)
        : await this.secureInbound(socket, signal, trace)
      // the muxer listens for the channel's errors once it runs; until then,
      // and after a failed upgrade, an error must not go uncaught
      secure.stream.on('error', () => {})
      const inlined = this.inlinedMuxer(secure, direction)
      trace?.onSecured?.({ remotePeer: secure.remotePeer, remotePublicKey: secure.remotePublicKey, remoteStreamMuxers: secure.remoteExtensions.streamMuxers, inlinedMuxer: inlined })
      const channel = trace?.wrapSecureStream?.(secure.stream) ?? secure.stream
      const factory = await this.selectMuxer(channel, inlined, direction, signal, trace)
      const memory = this.init.connectionMemory?.()
      const session = factory.create(channel, { ...this.init.muxerOptions?.[factory.protocol], memoryBudget: memory, initiator: direction === 'outbound' })
      return new Connection({
        id: newConnectionId(),
        remotePeer: secure.remotePeer,
        remoteAddr: options.remoteAddr,
        localAddr: options.localAddr,
        direction,
        encryption: NOISE_PROTOCOL_ID,
        session,
        onStream: this.init.onStream,
        onMultistreamMessage: trace?.onStreamMultistream,
        reserveOutboundStream: this.init.reserveOutboundStream,
        memory,
        transport: socket,
        socketCloseTimeoutMs: this.init.socketCloseTimeoutMs
      })
    } catch (err) {
      secure?.stream.destroy()
      socket.destroy()
      // whatever the timeout interrupted, the error says it was the timeout
      if (deadline.timedOut) throw isP2PError(err, 'ERR_UPGRADE_TIMEOUT') ? err : timeoutError(err)
      throw err
    } finally {
      signal.removeEventListener('abort', onAbort)
      deadline.clear()
    }
  }

  /** The hooks for one connection: those a per-connection tracer returns, else the shared ones. */
  private traceFor (direction: 'inbound' | 'outbound', options: UpgradeOptions): UpgradeTrace | undefined {
    const shared = this.init.trace
    if (shared?.forConnection === undefined) return shared
    return shared.forConnection({ direction, remoteAddr: options.remoteAddr, localAddr: options.localAddr })
  }

  private secureOptions (signal: AbortSignal, trace: UpgradeTrace | undefined): SecureOptions {
    const inline = this.init.inlineMuxerNegotiation !== false
    return {
      privateKey: this.init.privateKey,
      staticPrivateKey: this.staticPrivateKey,
      extensions: inline ? { streamMuxers: this.init.muxers.map(m => m.protocol) } : undefined,
      // so that no responder can pick another muxer than ours (inlinedMuxer below)
      sendChosenMuxerOnly: true,
      timeoutMs: this.stepTimeoutMs,
      signal,
      onHandshakeMessage: trace?.onHandshakeMessage,
      onKeys: trace?.onKeys
    }
  }

  private hook (scope: 'connection' | 'secure', trace: UpgradeTrace | undefined): MessageHook | undefined {
    const onMultistream = trace?.onMultistream
    return onMultistream === undefined ? undefined : (direction, message) => { onMultistream(scope, direction, message) }
  }

  private async secureOutbound (socket: Duplex, signal: AbortSignal, remotePeer: PeerId | undefined, trace: UpgradeTrace | undefined): Promise<SecureConnection> {
    const onMessage = this.hook('connection', trace)
    // the /noise proposal and Noise message 1 leave together, in one
    // segment (corked until message 1 is written); the answer to the
    // proposal is read just before Noise message 2
    socket.cork()
    writeOptimisticProposal(socket, NOISE_PROTOCOL_ID, onMessage)
    const reader = new StreamReader(socket, signal)
    let secured = false
    try {
      const secure = await secureOutbound(socket, {
        ...this.secureOptions(signal, trace),
        remotePeer,
        beforeFirstRead: async () => {
          socket.uncork()
          await readOptimisticAccept(reader, NOISE_PROTOCOL_ID, { signal, onMessage, timeoutMs: this.stepTimeoutMs })
          // message 3 waits (corked) for the first muxer frames of this
          // event-loop turn -- the streams a new connection opens at once --
          // and leaves with them in one segment (uncorked below)
          socket.cork()
        }
      })
      secured = true
      return secure
    } finally {
      // a failed handshake must not leave the socket corked. A finished one
      // hands it to the Noise channel, whose first message releases message 3
      // (src/noise/secure-stream.ts); should nothing be written this turn
      // (the muxer's batch flushes in setImmediate), it goes on its own a
      // turn later
      if (secured) setImmediate(() => { setImmediate(uncorkAll, socket) })
      else uncorkAll(socket)
    }
  }

  private async secureInbound (socket: Duplex, signal: AbortSignal, trace: UpgradeTrace | undefined): Promise<SecureConnection> {
    let corked = false
    try {
      await handleProtocols(socket, [NOISE_PROTOCOL_ID], {
        signal,
        timeoutMs: this.stepTimeoutMs,
        onMessage: this.hook('connection', trace),
        // our header goes with the echo (and message 2) when the dialer was optimistic
        lazyHeader: true,
        // an optimistic dialer sent Noise message 1 with its proposal: our
        // echo then waits (corked) for message 2 and both leave in one
        // segment. With nothing buffered the echo goes at once: a dialer
        // may wait for it before sending message 1.
        beforeAgreement: () => {
          if (socket.readableLength === 0) return
          socket.cork()
          corked = true
        }
      })
      return await secureInbound(socket, {
        ...this.secureOptions(signal, trace),
        afterFirstWrite: () => { uncorkAll(socket) }
      })
    } finally {
      if (corked) uncorkAll(socket)
    }
  }

  /**
   * The muxer agreed inside the handshake, or undefined when either side
   * listed none (multistream-select then chooses it): the first of the
   * initiator's list that both support (firstCommonMuxer). js-libp2p's
   * initiator instead takes the first entry of the responder's list (the
   * spec's example, against its rule); with the same order on both sides,
   * yamux first by default, the two agree. As initiator we send the chosen
   * muxer alone (chooseStreamMuxer), so no responder can differ from us.
   */
  private inlinedMuxer (secure: SecureConnection, direction: 'inbound' | 'outbound'): string | undefined {
    const ours = this.init.inlineMuxerNegotiation === false ? [] : this.init.muxers.map(m => m.protocol)
    const theirs = secure.remoteExtensions.streamMuxers
    if (ours.length === 0 || theirs.length === 0) return undefined
    const [initiatorList, responderList] = direction === 'outbound' ? [ours, theirs] : [theirs, ours]
    const match = firstCommonMuxer(initiatorList, responderList)
    // "If there is no overlap between the multiplexers support by client
    // and server, the handshake MUST fail."
    if (match === undefined) {
      throw new P2PError('ERR_MUXER_UNAVAILABLE', `no common muxer: ours ${ours.join(', ')}, theirs ${theirs.join(', ')}`, { remote: true })
    }
    return match
  }

  private async selectMuxer (channel: Duplex, inlined: string | undefined, direction: 'inbound' | 'outbound', signal: AbortSignal, trace: UpgradeTrace | undefined): Promise<StreamMuxerFactory> {
    const muxers = this.init.muxers
    let chosen: string
    if (inlined !== undefined) {
      chosen = inlined
      trace?.onMuxerSelected?.(chosen, 'inlined')
    } else {
      const protocols = muxers.map(m => m.protocol)
      const onMessage = this.hook('secure', trace)
      chosen = direction === 'outbound'
        ? await selectProtocol(channel, protocols, { signal, onMessage, timeoutMs: this.stepTimeoutMs })
        : await handleProtocols(channel, protocols, { signal, onMessage, timeoutMs: this.stepTimeoutMs })
      trace?.onMuxerSelected?.(chosen, 'multistream')
    }
    const factory = muxers.find(m => m.protocol === chosen)
    if (factory === undefined) throw new P2PError('ERR_MUXER_UNAVAILABLE', `muxer ${chosen} is not configured`)
    return factory
  }
}

function uncorkAll (socket: Duplex): void {
  while (socket.writableCorked > 0) socket.uncork()
}
