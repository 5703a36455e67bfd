// A libp2p connection: secured, multiplexed, with a known remote peer
// (libp2p/specs connections/README.md "Upgrading connections").
//
// It owns the muxer session. Outbound streams negotiate their protocol with
// multistream-select here; inbound streams are handed to `onStream` (the
// switch), which negotiates against its handler registry.
//
// Limits: the owner (the switch) may install `reserveOutboundStream`, asked
// before every outbound stream opened here (so no caller bypasses the
// per-peer limit) and released when that stream closes; and a `memory`
// account the muxer buffers within, closed when the connection closes.
//
//   open ──close()──> closing ──session closed──> closed
//     └──────abort(err) / remote gone / error──────┘

import { EventEmitter } from 'node:events'
import type { Duplex } from 'node:stream'
import type { PeerId } from '../peer/index.js'
import type { Multiaddr } from '../multiaddr/index.js'
import type { MuxedStream, StreamMuxer } from '../muxer/types.js'
import { DEFAULT_NEGOTIATION_TIMEOUT_MS, selectOptimistic, selectProtocol, validateProtocolId } from '../multistream/index.js'
import { startDeadline } from '../util/deadline.js'
import type { MessageHook } from '../multistream/index.js'
import { P2PError } from '../util/errors.js'
import type { ConnectionMemory } from '../resources/index.js'

/** A stream whose application protocol has been agreed. */
export type ProtocolStream = Duplex & { protocol: string }

export type ConnectionStatus = 'open' | 'closing' | 'closed'

export interface NewStreamOptions {
  signal?: AbortSignal
  timeoutMs?: number
  /**
   * With a single protocol, send the proposal and return at once without
   * waiting for the remote's answer (multistream-select's "lazy" form). On
   * by default: it saves a round trip. Turn it off to learn immediately
   * whether the remote supports the protocol.
   */
  optimistic?: boolean
}

/**
 * Asked before each outbound stream: throws (a P2PError such as
 * ERR_RESOURCE_LIMIT_EXCEEDED) to refuse it, else returns what release()s
 * the room once the stream has closed (release may be called more than once).
 */
export type OutboundStreamGate = (connection: Connection) => { release: () => void }

export interface ConnectionInit {
  id: string
  remotePeer: PeerId
  remoteAddr: Multiaddr
  localAddr?: Multiaddr
  direction: 'inbound' | 'outbound'
  encryption: string
  session: StreamMuxer
  /** Called for every stream the remote opens. */
  onStream?: (stream: MuxedStream, connection: Connection) => void
  onMultistreamMessage?: (stream: MuxedStream, direction: 'in' | 'out', message: string) => void
  /** Asked before every outbound stream (the switch's per-peer limit). */
  reserveOutboundStream?: OutboundStreamGate
  /** The account the muxer reserves its buffers from; closed when the connection closes. */
  memory?: ConnectionMemory
  /** The raw transport under the session (the socket): close() resolves once it has closed. */
  transport?: Duplex
  /** How long the transport may wait for the remote's end after the session closed (default 500 ms). */
  socketCloseTimeoutMs?: number
}

/** js-libp2p's TCP transport destroys a socket 500 ms into its close (@libp2p/tcp CLOSE_TIMEOUT). */
export const DEFAULT_SOCKET_CLOSE_TIMEOUT_MS = 500

let nextId = 0
export function newConnectionId (): string {
  return `c${(nextId++).toString(36)}`
}

export class Connection extends EventEmitter {
  readonly id: string
  readonly remotePeer: PeerId
  readonly remoteAddr: Multiaddr
  readonly localAddr: Multiaddr | undefined
  readonly direction: 'inbound' | 'outbound'
  /** The security protocol ID, e.g. '/noise'. */
  readonly encryption: string
  /** The muxer protocol ID, e.g. '/yamux/1.0.0'. */
  readonly muxer: string
  readonly openedAt = Date.now()
  status: ConnectionStatus = 'open'
  /**
   * The last round trip measured on this connection, in ms, by the node's
   * connection monitor (src/node/connection-monitor.ts; js-libp2p's
   * `connection.rtt`); undefined until one is measured.
   */
  rtt: number | undefined
  /** The buffer memory this connection's muxer holds (undefined: not accounted). */
  readonly memory: ConnectionMemory | undefined
  private readonly session: StreamMuxer
  private readonly onMultistreamMessage: ConnectionInit['onMultistreamMessage']
  private readonly reserveOutboundStream: OutboundStreamGate | undefined
  private readonly transport: Duplex | undefined

  constructor (init: ConnectionInit) {
    super()
    this.id = init.id
    this.remotePeer = init.remotePeer
    this.remoteAddr = init.remoteAddr
    this.localAddr = init.localAddr
    this.direction = init.direction
    this.encryption = init.encryption
    this.session = init.session
    this.muxer = init.session.protocol
    this.onMultistreamMessage = init.onMultistreamMessage
    this.reserveOutboundStream = init.reserveOutboundStream
    this.memory = init.memory
    const transport = this.transport = init.transport
    const socketCloseTimeoutMs = init.socketCloseTimeoutMs ?? DEFAULT_SOCKET_CLOSE_TIMEOUT_MS
    const onStream = init.onStream
    this.session.on('stream', (stream: MuxedStream) => {
      guardStreamErrors(stream)
      if (onStream === undefined) stream.destroy()
      else onStream(stream, this)
    })
    // 'close' comes once; on() spares once()'s wrapper (~150 bytes per idle connection)
    this.session.on('close', (err?: Error) => {
      this.status = 'closed'
      // the streams gave back their share as they ended; this returns whatever is left
      this.memory?.close()
      if (transport !== undefined) destroyUnlessClosedWithin(transport, socketCloseTimeoutMs)
      this.emit('close', err)
    })
  }

  get streams (): readonly MuxedStream[] {
    return this.session.streams
  }

  /** The muxer session (yamux exposes ping() there). */
  get muxerSession (): StreamMuxer {
    return this.session
  }

  /**
   * Opens a stream and agrees on one of `protocols` (in order of preference).
   * Rejects with ERR_PROTOCOL_NOT_SUPPORTED when the remote supports none.
   */
  async newStream (protocols: string | string[], options: NewStreamOptions = {}): Promise<ProtocolStream> {
    const list = typeof protocols === 'string' ? [protocols] : protocols
    if (list.length === 0) throw new P2PError('ERR_INVALID_PARAMETERS', 'newStream needs at least one protocol')
    // before a stream is opened and counted: an invalid ID would leave it open
    for (const protocol of list) validateProtocolId(protocol)
    if (this.status !== 'open') {
      throw new P2PError('ERR_CONNECTION_CLOSED', `connection ${this.id} to ${this.remotePeer.toString()} is ${this.status}`)
    }
    // over the owner's limit this throws, before the muxer spends anything
    const reservation = this.reserveOutboundStream?.(this)
    let stream: MuxedStream
    let timeoutMs = options.timeoutMs
    try {
      if (canQueueOpening(this.session) && !this.session.canOpenNow()) {
        // a muxer that can queue an opening (yamux, while its ACK backlog is
        // full) makes us wait, not fail; the time limit covers that wait too,
        // and the negotiation gets what is left of it
        const limitMs = timeoutMs ?? DEFAULT_NEGOTIATION_TIMEOUT_MS
        const started = performance.now()
        const deadline = startDeadline(limitMs, () => new P2PError('ERR_STREAM_OPEN_TIMEOUT',
          `no new stream within ${limitMs} ms: the muxer's backlog of streams the remote has not acknowledged stayed full`, { remote: true }), options.signal)
        try {
          stream = await this.session.openStream({ signal: deadline.signal })
        } finally {
          deadline.clear()
        }
        timeoutMs = Math.max(1, Math.ceil(limitMs - (performance.now() - started)))
      } else {
        stream = this.session.newStream()
      }
    } catch (err) {
      reservation?.release()
      throw err
    }
    guardStreamErrors(stream)
    // the muxed stream, not a wrapper: its 'close' is when the muxer lets go of it
    if (reservation !== undefined) releaseOnClose(stream, reservation)
    const hook = this.onMultistreamMessage
    const onMessage: MessageHook | undefined = hook === undefined ? undefined : (direction, message) => { hook(stream, direction, message) }
    if (list.length === 1 && options.optimistic !== false) {
      stream.protocol = list[0]
      // the timeout and signal bound the wait for the remote's answer; a failure
      // destroys the returned stream with that error, so its user learns it
      // from the stream (a read or write), never as an unhandled rejection
      const lazy = selectOptimistic(stream, list[0], { onMessage, signal: options.signal, timeoutMs }) as ProtocolStream
      guardStreamErrors(lazy)
      lazy.protocol = list[0]
      return lazy
    }
    try {
      const protocol = await selectProtocol(stream, list, { signal: options.signal, timeoutMs, onMessage })
      stream.protocol = protocol
      return stream as ProtocolStream
    } catch (err) {
      stream.destroy()
      throw err
    }
  }

  /**
   * Graceful close: the muxer says goodbye and ends every stream. Resolves
   * once the transport has closed too (as js-libp2p's close does), at most
   * `socketCloseTimeoutMs` after the session.
   */
  async close (): Promise<void> {
    if (this.status !== 'closed') {
      this.status = 'closing'
      await this.session.close()
    }
    if (this.transport !== undefined) await whenClosed(this.transport)
  }

  /** Immediate close: every stream is reset. */
  abort (err: Error): void {
    if (this.status === 'closed') return
    this.status = 'closing'
    this.session.abort(err)
  }
}

/**
 * A muxer whose outbound streams may have to wait their turn: yamux's ACK
 * backlog (libp2p yamux: "Implementations SHOULD at most allow an ACK backlog
 * of 256 streams", "a limited form of backpressure"). `openStream` resolves
 * once the stream is opened, so a user opening 1000 streams at once is slowed
 * down rather than refused. Not in src/muxer/types.ts yet, so recognised by shape.
 */
interface QueueingMuxer extends StreamMuxer {
  openStream: (options: { signal?: AbortSignal }) => Promise<MuxedStream>
  /** Whether openStream would open at once (then newStream does the same, without a promise). */
  canOpenNow: () => boolean
}

function canQueueOpening (session: StreamMuxer): session is QueueingMuxer {
  return typeof (session as Partial<QueueingMuxer>).openStream === 'function'
}

/**
 * A Duplex that emits 'error' with no listener throws it as an uncaught
 * exception, so one peer's stream reset could crash the whole process (as
 * js-libp2p has done). Every stream we hand out keeps a listener of its own;
 * the error still reaches its user through pipeline(), async iteration,
 * write callbacks, `stream.errored` and any 'error' listener they add.
 */
function guardStreamErrors (stream: Duplex): void {
  stream.on('error', ignoreError)
}

/**
 * After the session let go of the transport: it closes when the remote's end
 * arrives (both ends of the socket are then done), else it is destroyed
 * after `ms`. The session has ended our side by then, and what the kernel
 * has accepted is still delivered after a destroy; only bytes a remote
 * that stopped reading left in our buffer are dropped with it.
 */
function destroyUnlessClosedWithin (transport: Duplex, ms: number): void {
  if (transport.closed) return
  const timer = setTimeout(() => { transport.destroy() }, ms)
  timer.unref()
  transport.once('close', () => { clearTimeout(timer) })
}

async function whenClosed (transport: Duplex): Promise<void> {
  if (transport.closed) return
  await new Promise<void>(resolve => { transport.once('close', () => { resolve() }) })
}

/** Gives a reservation back once the stream has closed, however it ends. */
export function releaseOnClose (stream: Duplex, reservation: { release: () => void }): void {
  if (stream.closed || stream.destroyed) reservation.release()
  else stream.once('close', reservation.release)
}

function ignoreError (): void {}
