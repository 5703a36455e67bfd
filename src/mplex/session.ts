// An mplex session: the driver that couples frames (./codec.ts) and stream
// lifecycles (./stream-state.ts) to one connection.
//
// Spec: libp2p/specs mplex/README.md "Protocol", "Opening a new stream",
// "Implementation notes".
//
// Theory of operation.
//   Reading: the connection is read in flowing mode, paused only while the
//   remote does not read what we answer (below). Each
//   chunk goes into a ByteQueue; complete frames are decoded from it and
//   dispatched at once, so the queue holds at most one partial frame (bounded
//   by MAX_MESSAGE_SIZE). A stream whose reader is slow is reset when its
//   buffer passes maxStreamBufferSize (./stream.ts), so no stream can stall
//   the others and memory stays bounded per stream. With a MemoryBudget (the
//   connection's share of the node's buffer memory) every byte a stream
//   buffers is also reserved from it; when a message does not fit, the
//   offending stream, the one whose reader lags most, is reset (never the
//   connection): memory stays bounded per connection and in total.
//   Writing: header and payload go out as one buffer (small payloads) or as
//   two writes under cork(). Streams send Message frames only while the
//   connection is not backed up (`writableNeedDrain`); the others queue here
//   and resume in turn on 'drain' (./stream.ts `flush`). Other frames (Close,
//   Reset: answers to the remote, mostly) are written at once; when more
//   than CONTROL_BACKLOG_LIMIT bytes of them were written while the
//   connection is backed up, we stop reading until it drains, so a peer that
//   never reads cannot make us queue its answers without bound.
//   Stream IDs: "the session initiator allocates odd IDs and the session
//   receiver allocates even IDs". We do so, but accept any ID from the remote
//   (other implementations count from 0 on both sides): the flag, not the
//   parity, says whose stream a frame is about (./frame.ts).
//   Errors: a broken frame (unknown flag, oversized length, bad varint) or a
//   NewStream for an ID the remote already has open loses the framing or the
//   stream identity, so it closes the connection; every stream is then reset
//   locally with ERR_STREAM_RESET (cause: the error). Listeners never see an
//   'error' on the session: it ends with 'close' (err?).

import { EventEmitter } from 'node:events'
import type { Duplex } from 'node:stream'
import { ByteQueue } from '../util/byte-queue.js'
import { P2PError } from '../util/errors.js'
import { emitFromIo, resetForListener } from '../util/emit-from-io.js'
import { GatheringStreams } from '../muxer/gathered-payloads.js'
import type { MemoryBudget, StreamMuxer } from '../muxer/types.js'
import { WriteBatch } from '../muxer/write-batch.js'
import { StreamAnnouncement } from '../muxer/announcement.js'
import { sessionBudget } from '../muxer/session-budget.js'
import { decodeFrame, frameHeaderLength, writeFrameHeader } from './codec.js'
import {
  CONTROL_BACKLOG_LIMIT, COPY_PAYLOAD_MAX, DEFAULT_CLOSE_TIMEOUT_MS, DEFAULT_MAX_INBOUND_STREAMS, DEFAULT_MAX_OUTBOUND_STREAMS,
  DEFAULT_MAX_STREAM_BUFFER_SIZE, MAX_MESSAGE_SIZE, MAX_STREAM_ID, PROTOCOL_ID
} from './constants.js'
import { MplexErrorCode } from './errors.js'
import { Flag, SEND_FLAGS, type FlagValue, type Frame } from './frame.js'
import { MplexStream, type StreamSession } from './stream.js'

type WriteCallback = (err?: Error | null) => void

export interface MplexOptions {
  /** Streams the remote may have open at once; NewStream over it gets a reset. Default 1024. */
  maxInboundStreams?: number
  /** Streams we may have open at once; newStream() over it throws. Default 1024. */
  maxOutboundStreams?: number
  /** Unread bytes a stream may hold before it is reset. Default 4 MiB, at least MAX_MESSAGE_SIZE. */
  maxStreamBufferSize?: number
  /** ms close() waits for the remote to close its side of every stream. Default 5000. */
  closeTimeout?: number
  /** Wire trace: every frame received ('in') or sent ('out'). */
  onFrame?: (direction: 'in' | 'out', frame: Frame) => void
  /** Reserve every unread byte from this (the connection's buffer memory); none: a budget of the default connection share (../muxer/session-budget.ts). */
  memoryBudget?: MemoryBudget
}

const EMPTY = new Uint8Array(0)
const encoder = new TextEncoder()

export class MplexSession extends EventEmitter implements StreamMuxer, StreamSession {
  readonly protocol = PROTOCOL_ID
  readonly maxStreamBufferSize: number
  readonly memoryBudget: MemoryBudget

  /** What the session runs over (streams wait for it to handle their views: ../muxer/write-completion.ts). */
  readonly connection: Duplex
  /** Frames of one turn leave as one write (../muxer/write-batch.ts). */
  private readonly batch: WriteBatch
  private readonly maxInboundStreams: number
  private readonly maxOutboundStreams: number
  private readonly closeTimeout: number
  private readonly onFrame: ((direction: 'in' | 'out', frame: Frame) => void) | undefined

  /** Streams the remote opened (we are receiver), by ID. */
  private readonly inbound = new Map<number, MplexStream>()
  /** The inbound stream just opened, held back until its own frames behind the NewStream are handled. */
  private readonly announcement = new StreamAnnouncement(this)
  /** Streams we opened (we are initiator), by ID. */
  private readonly outbound = new Map<number, MplexStream>()
  /** Streams with small payloads gathered during the read being handled. */
  private readonly gatheringStreams = new GatheringStreams()
  /** Streams closed both ways whose reader has not taken all their data yet (they still hold memory). */
  private readonly finishedUnread = new Set<MplexStream>()
  private readonly queue = new ByteQueue()
  /** Bytes of non-Message frames written since the connection last drained while it was backed up. */
  private controlBytesWhileBlocked = 0
  private pausedForBacklog = false
  private nextStreamId: number
  /** Write callbacks waiting for the connection's 'drain'. */
  private drainWaiters: WriteCallback[] = []
  /** Streams with a write in progress, waiting for the connection's 'drain', in turn order. */
  private blockedStreams: MplexStream[] = []
  private status: 'open' | 'closing' | 'closed' = 'open'
  private closeTimer: ReturnType<typeof setTimeout> | undefined
  private closePromise: Promise<void> | undefined
  private resolveClose: (() => void) | undefined

  constructor (connection: Duplex, options: MplexOptions & { initiator: boolean }) {
    super()
    this.connection = connection
    this.batch = new WriteBatch(connection)
    this.maxInboundStreams = options.maxInboundStreams ?? DEFAULT_MAX_INBOUND_STREAMS
    this.maxOutboundStreams = options.maxOutboundStreams ?? DEFAULT_MAX_OUTBOUND_STREAMS
    this.maxStreamBufferSize = options.maxStreamBufferSize ?? DEFAULT_MAX_STREAM_BUFFER_SIZE
    this.closeTimeout = options.closeTimeout ?? DEFAULT_CLOSE_TIMEOUT_MS
    this.onFrame = options.onFrame
    this.memoryBudget = sessionBudget(options.memoryBudget)
    if (this.maxStreamBufferSize < MAX_MESSAGE_SIZE) {
      throw new P2PError(MplexErrorCode.INVALID_PARAMETERS, `maxStreamBufferSize must be at least ${MAX_MESSAGE_SIZE} (one message), got ${this.maxStreamBufferSize}`)
    }
    // "the session initiator allocates odd IDs and the session receiver allocates even IDs"
    this.nextStreamId = options.initiator ? 1 : 0
    connection.on('data', this.onData)
    connection.on('end', this.onEnd)
    connection.on('close', this.onConnectionClose)
    connection.on('error', this.onError)
    connection.on('drain', this.onDrain)
  }

  get streams (): readonly MplexStream[] {
    return [...this.outbound.values(), ...this.inbound.values()]
  }

  newStream (): MplexStream {
    if (this.status !== 'open') {
      throw new P2PError(MplexErrorCode.MUXER_CLOSED, `cannot open a stream: the session is ${this.status}`)
    }
    if (this.outbound.size >= this.maxOutboundStreams) {
      throw new P2PError(MplexErrorCode.TOO_MANY_STREAMS, `cannot open a stream: ${this.outbound.size} of at most ${this.maxOutboundStreams} outbound streams are open`)
    }
    const id = this.nextStreamId
    if (id > MAX_STREAM_ID) {
      throw new P2PError(MplexErrorCode.INVALID_PARAMETERS, `stream IDs exhausted: the next would be ${id}, over ${MAX_STREAM_ID}`)
    }
    this.nextStreamId += 2
    const stream = new MplexStream(this, id, 'outbound')
    this.outbound.set(id, stream)
    // "send a message with the flag set to NewStream ... and the data of the message set to the name of the stream"; like others, the name is the ID in decimal
    this.writeFrame(Flag.NewStream, id, encoder.encode(String(id)))
    return stream
  }

  close (): Promise<void> {
    if (this.closePromise !== undefined) return this.closePromise
    if (this.status === 'closed') return Promise.resolve()
    this.status = 'closing'
    this.closePromise = new Promise(resolve => { this.resolveClose = resolve })
    for (const stream of this.streams) {
      if (!stream.writableEnded) stream.end()
    }
    // ending the streams may have ended the session (a connection already gone): no timer then
    if (this.isClosed()) return this.closePromise
    if (this.inbound.size + this.outbound.size === 0) {
      this.finishClose()
    } else {
      this.closeTimer = setTimeout(this.onCloseTimeout, this.closeTimeout)
    }
    return this.closePromise
  }

  abort (err: Error): void {
    if (this.status === 'closed') return
    this.terminate(err, err)
    // what this turn wrote (the resets) leaves before the connection goes
    this.batch.flush()
    this.connection.destroy()
  }

  // ---- StreamSession: what streams ask of us ----

  get writable (): boolean {
    return this.status !== 'closed'
  }

  /**
   * The connection's write() returned false and its 'drain' has not come yet.
   * (Deliberately this flag and not `writableLength`: it holds until the next
   * tick, so a writer yields to the event loop after each high-water mark's
   * worth of frames and a reader in the same process gets its turn.)
   */
  get blocked (): boolean {
    return this.connection.writableNeedDrain
  }

  sendMessage (stream: MplexStream, payload: Uint8Array, written?: WriteCallback): void {
    this.writeFrame(SEND_FLAGS[stream.direction].message, stream.id, payload, written)
  }

  waitForDrain (stream: MplexStream): void {
    this.blockedStreams.push(stream)
  }

  sendClose (stream: MplexStream, callback: WriteCallback): void {
    if (this.status === 'closed') {
      callback(new P2PError(MplexErrorCode.MUXER_CLOSED, `cannot close stream ${stream.id}: the session is closed`))
      return
    }
    this.writeFrame(SEND_FLAGS[stream.direction].close, stream.id, EMPTY)
    this.afterDrain(callback)
  }

  sendReset (stream: MplexStream): void {
    if (this.status === 'closed') return
    this.writeFrame(SEND_FLAGS[stream.direction].reset, stream.id, EMPTY)
  }

  /**
   * Reserves `bytes` for a message on `stream`. When they do not fit: "the
   * implementation must handle slow readers by ... Resetting the offending
   * stream" — the offender is the stream whose reader lags most, not the one
   * whose message happened to arrive when memory ran out. So if another
   * stream holds more unread bytes than `stream` would, that one is reset and
   * the reservation tried again; otherwise the caller resets `stream`.
   */
  reserveBuffer (stream: MplexStream, bytes: number): boolean {
    const budget = this.memoryBudget
    if (budget.reserve(bytes)) return true
    let slowest: MplexStream | undefined
    for (const streams of [this.inbound.values(), this.outbound.values(), this.finishedUnread]) {
      for (const other of streams) {
        if (slowest === undefined || other.bufferedBytes > slowest.bufferedBytes) slowest = other
      }
    }
    if (slowest === undefined || slowest === stream || slowest.bufferedBytes <= stream.bufferedBytes + bytes) return false
    slowest.destroy(new P2PError('ERR_RESOURCE_LIMIT_EXCEEDED', `stream ${slowest.id} reset: its reader is ${slowest.bufferedBytes} bytes behind, the most on this connection, and the connection's buffer memory is full`))
    return budget.reserve(bytes)
  }

  streamFinished (stream: MplexStream): void {
    const streams = stream.direction === 'inbound' ? this.inbound : this.outbound
    if (streams.get(stream.id) === stream) streams.delete(stream.id)
    // closed both ways, its data not all read: it still holds memory, and
    // may still be the slowest reader reserveBuffer looks for
    if (stream.bufferedBytes > 0 && !stream.destroyed) {
      this.finishedUnread.add(stream)
      stream.once('close', () => { this.finishedUnread.delete(stream) })
    }
    if (this.status === 'closing' && this.inbound.size + this.outbound.size === 0) this.finishClose()
  }

  // ---- writing ----

  /** Writes one frame: one buffer for small payloads, header + payload view under cork() for big ones. */
  private writeFrame (flag: FlagValue, streamId: number, payload: Uint8Array, written?: WriteCallback): void {
    if (this.onFrame !== undefined) this.trace(flag, streamId, payload)
    const headerLength = frameHeaderLength(flag, streamId, payload.length)
    const connection = this.connection
    this.batch.begin()
    if (payload.length <= COPY_PAYLOAD_MAX) {
      const frame = Buffer.allocUnsafe(headerLength + payload.length)
      writeFrameHeader(frame, 0, flag, streamId, payload.length)
      frame.set(payload, headerLength)
      connection.write(frame, written)
      if (flag !== Flag.MessageReceiver && flag !== Flag.MessageInitiator && connection.writableNeedDrain) this.countControlBytes(frame.length)
      return
    }
    const header = Buffer.allocUnsafe(headerLength)
    writeFrameHeader(header, 0, flag, streamId, payload.length)
    connection.cork()
    connection.write(header)
    // a view of the writer's buffer: handled once the connection calls back
    connection.write(payload, written)
    connection.uncork()
  }

  /** Calls `callback` now, or once the connection has drained when it is backed up. */
  private afterDrain (callback: WriteCallback): void {
    if (this.connection.writableNeedDrain) this.drainWaiters.push(callback)
    else callback()
  }

  /** A non-Message frame written while backed up; past the limit, stop reading until 'drain'. */
  private countControlBytes (bytes: number): void {
    this.controlBytesWhileBlocked += bytes
    if (!this.pausedForBacklog && this.controlBytesWhileBlocked > CONTROL_BACKLOG_LIMIT) {
      this.pausedForBacklog = true
      this.connection.pause()
    }
  }

  private readonly onDrain = (): void => {
    this.controlBytesWhileBlocked = 0
    if (this.pausedForBacklog) {
      this.pausedForBacklog = false
      this.connection.resume()
      this.processInput()
    }
    const waiters = this.drainWaiters
    this.drainWaiters = []
    for (const callback of waiters) callback()
    // Streams take turns: when the connection backs up again during one
    // stream's flush, the streams not served yet go first next time.
    const streams = this.blockedStreams
    this.blockedStreams = []
    for (let i = 0; i < streams.length; i++) {
      streams[i].flush()
      if (this.blocked) {
        this.blockedStreams = [...streams.slice(i + 1), ...this.blockedStreams]
        return
      }
    }
  }

  private trace (flag: FlagValue, streamId: number, payload: Uint8Array): void {
    let frame: Frame
    switch (flag) {
      case Flag.NewStream: frame = { type: 'NewStream', streamId, name: payload }; break
      case Flag.MessageReceiver: frame = { type: 'MessageReceiver', streamId, data: [payload] }; break
      case Flag.MessageInitiator: frame = { type: 'MessageInitiator', streamId, data: [payload] }; break
      case Flag.CloseReceiver: frame = { type: 'CloseReceiver', streamId }; break
      case Flag.CloseInitiator: frame = { type: 'CloseInitiator', streamId }; break
      case Flag.ResetReceiver: frame = { type: 'ResetReceiver', streamId }; break
      case Flag.ResetInitiator: frame = { type: 'ResetInitiator', streamId }; break
      default: {
        const unreachable: never = flag
        throw new Error(`unknown flag ${String(unreachable)}`)
      }
    }
    this.onFrame?.('out', frame)
  }

  // ---- reading ----

  private readonly onData = (chunk: Uint8Array): void => {
    if (this.status === 'closed') return
    this.queue.push(chunk)
    this.processInput()
  }

  /** Handles the complete frames queued; while paused for the backlog, the rest waits in the queue. */
  private processInput (): void {
    try {
      while (!this.isClosed() && !this.pausedForBacklog) {
        const frame = decodeFrame(this.queue, MAX_MESSAGE_SIZE)
        if (frame === undefined) break
        const pendingId = this.announcement.pendingId
        if (pendingId !== undefined && !isOfRemoteStream(frame, pendingId)) this.announcement.announce()
        this.onFrame?.('in', frame)
        this.handleFrame(frame)
      }
    } catch (err) {
      this.abort(err instanceof Error ? err : new P2PError(MplexErrorCode.CONNECTION_CLOSED, String(err)))
    }
    // the read is handled: what it gathered goes to its streams (../muxer/gathered-payloads.ts)
    this.gatheringStreams.pushAll()
    this.announcement.announce()
  }

  gathering (stream: MplexStream): void {
    this.gatheringStreams.add(stream)
  }

  private handleFrame (frame: Frame): void {
    // Frames for a stream we do not know (never opened, or already closed or
    // reset) are dropped: after a reset "any data queued or in flight should
    // be dropped", and the spec asks nothing else of a receiver.
    switch (frame.type) {
      case 'NewStream':
        this.onNewStream(frame.streamId)
        return
      case 'MessageInitiator':
        this.deliver(this.inbound.get(frame.streamId), frame.data)
        return
      case 'MessageReceiver':
        this.deliver(this.outbound.get(frame.streamId), frame.data)
        return
      case 'CloseInitiator':
        this.closeStream(this.inbound.get(frame.streamId))
        return
      case 'CloseReceiver':
        this.closeStream(this.outbound.get(frame.streamId))
        return
      case 'ResetInitiator':
        this.inbound.get(frame.streamId)?.onReset()
        return
      case 'ResetReceiver':
        this.outbound.get(frame.streamId)?.onReset()
        return
      default: {
        const unreachable: never = frame
        throw new Error(`unknown frame ${String(unreachable)}`)
      }
    }
  }

  /** A message's data for `stream` (undefined: one we do not know, dropped). */
  private deliver (stream: MplexStream | undefined, data: readonly Uint8Array[]): void {
    try {
      stream?.onMessage(data)
    } catch (err) {
      // a 'data' listener threw (push() runs it now): that stream's bug, not the session's
      resetForListener(stream as MplexStream, err)
    }
  }

  /** The remote's Close for `stream` (undefined: one we do not know, dropped). */
  private closeStream (stream: MplexStream | undefined): void {
    try {
      stream?.onClose()
    } catch (err) {
      // the end of its data may run a 'readable' listener at once, inside push(null)
      resetForListener(stream as MplexStream, err)
    }
  }

  private onNewStream (id: number): void {
    // "Reusing a stream ID after closing a stream may result in undefined
    // behaviour"; reusing one still open is worse: every later frame for the
    // ID would be ambiguous, so the connection cannot go on.
    if (this.inbound.has(id)) {
      throw new P2PError(MplexErrorCode.DUPLICATE_STREAM, `expected a new stream ID, got NewStream for stream ${id}, which the remote already has open`, { remote: true })
    }
    // Refused streams get a reset: when closing, over the limit, or when no
    // one listens for 'stream' (nobody would ever read or close it).
    if (this.status !== 'open' || this.inbound.size >= this.maxInboundStreams || this.listenerCount('stream') === 0) {
      this.writeFrame(Flag.ResetReceiver, id, EMPTY)
      return
    }
    const stream = new MplexStream(this, id, 'inbound')
    this.inbound.set(id, stream)
    this.announcement.hold(stream)
  }

  // ---- the end of the session ----

  /** A method, not a field read, so the compiler does not narrow it across callbacks. */
  private isClosed (): boolean {
    return this.status === 'closed'
  }

  private readonly onEnd = (): void => {
    if (this.status === 'closed') return
    const truncated = this.queue.length > 0
    const err = new P2PError(MplexErrorCode.CONNECTION_CLOSED, truncated
      ? `the connection ended in the middle of a frame (${this.queue.length} bytes of it received)`
      : 'the connection ended', { remote: true })
    this.terminate(err, truncated ? err : undefined)
    this.connection.end()
  }

  private readonly onConnectionClose = (): void => {
    if (this.status === 'closed') return
    this.terminate(new P2PError(MplexErrorCode.CONNECTION_CLOSED, 'the connection closed'), undefined)
  }

  private readonly onError = (err: Error): void => {
    this.abort(new P2PError(MplexErrorCode.CONNECTION_CLOSED, `the connection failed: ${err.message}`, { cause: err }))
  }

  private readonly onCloseTimeout = (): void => {
    this.closeTimer = undefined
    const err = new P2PError(MplexErrorCode.CLOSE_TIMEOUT, `the remote did not close ${this.inbound.size + this.outbound.size} stream(s) within ${this.closeTimeout} ms`)
    for (const stream of this.streams) stream.destroy(err)
  }

  /** The graceful end of close(): every stream finished on the wire. */
  private finishClose (): void {
    this.terminate(undefined, undefined)
    this.connection.end()
  }

  /** Marks the session closed, resets what is left locally, emits 'close' once. */
  private terminate (cause: Error | undefined, err: Error | undefined): void {
    this.status = 'closed'
    if (this.closeTimer !== undefined) clearTimeout(this.closeTimer)
    this.closeTimer = undefined
    const unannounced = this.announcement.discard()
    const streams = this.streams
    this.inbound.clear()
    this.outbound.clear()
    for (const stream of streams) stream.abortLocally(cause, stream !== unannounced)
    const waiters = this.drainWaiters
    this.drainWaiters = []
    this.blockedStreams = []
    // what waited for a drain is in the connection's hands: a graceful close
    // (no cause) ends the connection, which flushes it, so it did not fail
    const closed = cause === undefined ? undefined : new P2PError(MplexErrorCode.MUXER_CLOSED, 'the session closed while this write waited for the connection to drain', { cause })
    for (const callback of waiters) callback(closed)
    // a throwing listener must not cut the input loop short, nor be taken for the session's failure
    emitFromIo(this, 'close', err)
    this.resolveClose?.()
  }
}

/** Starts an mplex session over `connection` (a secured channel). */
export function createMplex (connection: Duplex, options: MplexOptions & { initiator: boolean }): MplexSession {
  return new MplexSession(connection, options)
}

/** Whether `frame` is about the remote-opened stream `id` (mplex IDs are per side: *Initiator frames come from the side that opened it). */
function isOfRemoteStream (frame: Frame, id: number): boolean {
  return frame.streamId === id && (frame.type === 'MessageInitiator' || frame.type === 'CloseInitiator' || frame.type === 'ResetInitiator')
}
