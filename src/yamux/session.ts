// A yamux session: many streams over one connection.
//
// Spec: hashicorp/yamux spec.md (all of "Message Flow") and libp2p/specs
// yamux/README.md "ACK backlog".
//
// Theory of operation.
//   Input: every chunk from the connection goes into a ByteQueue. The loop in
//   `processInput` takes a 12-byte header (./decode.ts), dispatches on its
//   type, and for a Data frame passes the payload to the stream in pieces as
//   they arrive, as views of the received chunks: a 16 MiB frame is never
//   buffered whole. Each stream's receive window bounds what the remote may
//   have in flight on it, so memory stays bounded without pausing the
//   connection; a remote that sends beyond a window breaks the protocol.
//   Output: frames are written straight to the connection, header and small
//   payload in one buffer, a larger payload as a view (a stream's write then
//   completes only once the connection has called that write back:
//   ../muxer/write-completion.ts). When `connection.write()` returns false,
//   stream writes complete only after 'drain'; control frames (pongs, window updates)
//   are still written, and if more than CONTROL_BACKLOG_LIMIT bytes of them
//   are written while the connection is backed up, we stop reading until it
//   drains. Only control frames count: Data frames are bounded by the windows
//   the remote granted, and counting them let both sides stop reading at once
//   (a deadlock, see `controlBytesWhileBlocked`).
//   Opening: `newStream` throws when the ACK backlog is full; `openStream`
//   waits in a FIFO queue until an ACK (or a finished stream) frees a slot.
//   Errors: a header the codec rejects, a window overrun, a bad stream ID are
//   protocol errors: we send Go Away (Protocol error) and tear the session down.
//   Nothing from the network throws out of an event handler.
//   Time: the clock is injected (`now`); RTT comes from our own pings.
//   Keepalive: after `keepAliveIntervalMs` with nothing received, we ping; if
//   nothing at all arrives within `keepAliveTimeoutMs` after it, the remote
//   is gone (power loss, a dropped NAT mapping: no FIN, no reset) and the
//   session is torn down with ERR_YAMUX_KEEPALIVE_TIMEOUT (go-yamux's rule;
//   js-libp2p pings too but never gives up). Any input proves the remote
//   alive, so a busy session never pings. One timer per session, real time.
//   Memory: with a MemoryBudget (the connection's share of the node's buffer
//   memory), every stream reserves its initial 256 KiB window before it
//   exists, since the remote may send that much right after the SYN; without
//   room an inbound SYN is answered with RST and newStream throws
//   ERR_RESOURCE_LIMIT_EXCEEDED. Window growth reserves first (./stream.ts);
//   a stream gives everything back once, when it is destroyed.
//   Accepting: a remote SYN is emitted as 'stream' at once; when nobody
//   listens for 'stream' the new stream is reset instead of buffered, so
//   attach the listener right after creating the session.
//   Sans-I/O only in part: the frame handling is plain synchronous code driven
//   by `onConnectionData`, but it writes to the connection directly rather
//   than returning frames; tests drive it with a raw peer over an in-memory pair.

import { EventEmitter } from 'node:events'
import type { Duplex } from 'node:stream'
import { ByteQueue } from '../util/byte-queue.js'
import { checkTimerMs } from '../util/deadline.js'
import { P2PError, abortError, isP2PError } from '../util/errors.js'
import type { MemoryBudget, StreamMuxer, StreamMuxerFactory } from '../muxer/types.js'
import { WriteBatch } from '../muxer/write-batch.js'
import { afterWritesHandled } from '../muxer/write-completion.js'
import { StreamAnnouncement } from '../muxer/announcement.js'
import { sessionBudget } from '../muxer/session-budget.js'
import { emitFromIo, resetForListener } from '../util/emit-from-io.js'
import { GatheringStreams } from '../muxer/gathered-payloads.js'
import {
  CONTROL_BACKLOG_LIMIT, COPY_PAYLOAD_THRESHOLD, DEFAULT_CLOSE_TIMEOUT_MS, DEFAULT_KEEP_ALIVE_INTERVAL_MS,
  DEFAULT_KEEP_ALIVE_TIMEOUT_MS, DEFAULT_MAX_ACK_BACKLOG,
  DEFAULT_MAX_INBOUND_UNACKED, DEFAULT_MAX_MESSAGE_SIZE, DEFAULT_MAX_STREAM_WINDOW, DEFAULT_MAX_STREAMS,
  Flag, FrameType, GoAwayCode, HEADER_LENGTH, INITIAL_STREAM_WINDOW, MAX_UINT32, PROTOCOL_ID, SESSION_STREAM_ID,
  type FrameTypeCode
} from './constants.js'
import { decodeHeader } from './decode.js'
import { writeHeader, type FrameHeader } from './frame.js'
import { StreamOpening, canReceive } from './stream-state.js'
import { YamuxStream, type StreamSession } from './stream.js'

export interface YamuxOptions {
  /** Open streams (both directions); over it newStream throws and inbound SYNs are reset. */
  maxStreams?: number
  /** Our outbound streams not yet acknowledged; over it newStream throws and openStream waits (spec: SHOULD ≤ 256). */
  maxAckBacklog?: number
  /** Inbound streams we have not acknowledged yet; over it inbound SYNs are reset. */
  maxInboundUnacked?: number
  /** Largest Data payload we send in one frame. */
  maxMessageSize?: number
  /** Receive-window auto-tuning ceiling per stream (≥ 256 KiB). */
  maxStreamWindow?: number
  /** Send one ping at start to learn the RTT that window auto-tuning needs. Default true. */
  measureRtt?: boolean
  /** How long close() waits for streams to finish before it aborts. */
  closeTimeoutMs?: number
  /** Ping after this long with nothing received; 0: never. Default 30 s. */
  keepAliveIntervalMs?: number
  /** Tear the session down when nothing arrives this long after a keepalive ping; 0: never. Default 10 s. */
  keepAliveTimeoutMs?: number
  /** The clock in ms (injected for tests). Default performance.now. */
  now?: () => number
  /** Wire trace: every frame header sent and received. */
  onFrame?: (direction: 'in' | 'out', header: FrameHeader) => void
  /** Reserve every receive window granted from this (the connection's buffer memory); none: a budget of the default connection share (../muxer/session-budget.ts). */
  memoryBudget?: MemoryBudget
}

interface PendingPing {
  readonly start: number
  readonly resolve: (rtt: number) => void
  readonly reject: (err: Error) => void
}

type DrainCallback = (err?: Error | null) => void

export class YamuxSession extends EventEmitter implements StreamMuxer, StreamSession {
  readonly protocol = PROTOCOL_ID
  readonly initiator: boolean
  readonly maxMessageSize: number
  readonly maxStreamWindow: number
  readonly now: () => number
  readonly memoryBudget: MemoryBudget
  rtt = 0

  /** What the session runs over (streams wait for it to handle their views: ../muxer/write-completion.ts). */
  readonly connection: Duplex
  private readonly maxStreams: number
  private readonly maxAckBacklog: number
  private readonly maxInboundUnacked: number
  private readonly closeTimeoutMs: number
  private readonly keepAliveIntervalMs: number
  private readonly keepAliveTimeoutMs: number
  private readonly onFrame: YamuxOptions['onFrame']

  private readonly streamMap = new Map<number, YamuxStream>()
  private readonly queue = new ByteQueue()
  /** "The client side should use odd ID's, and the server even." */
  private nextStreamId: number
  private outboundUnacked = 0
  private inboundUnacked = 0

  /** The Data frame whose payload is arriving: its stream (undefined = discard) and bytes left. */
  private readingStream: YamuxStream | undefined
  private readingRemaining = 0
  private readingFin = false
  /** True while processInput runs (see onConnectionData). */
  private processing = false
  /** The inbound stream just accepted, held back until its own frames behind the SYN are handled. */
  private readonly announcement = new StreamAnnouncement(this)

  private localGoAway = false
  private remoteGoAway: number | undefined
  private closed = false
  private closing: Promise<void> | undefined
  private closeTimer: NodeJS.Timeout | undefined
  private closeWaiter: (() => void) | undefined

  /** Our pings awaiting their ACK; undefined while none is (most of a session's life). */
  private pings: Map<number, PendingPing> | undefined
  private nextPingId = 0
  /** When the last chunk arrived (performance.now(), the timers' clock, not the injected one). */
  private lastInputAt = 0
  /** When our keepalive ping left; undefined while none is out. */
  private keepAliveSentAt: number | undefined
  /** The opaque value of our last keepalive ping. */
  private keepAlivePingId: number | undefined
  private keepAliveTimer: NodeJS.Timeout | undefined

  private writeBlocked = false
  /** Frames of one turn leave as one write (../muxer/write-batch.ts). */
  private readonly batch: WriteBatch
  /**
   * Bytes of control frames written since the connection last drained. The
   * pause decision counts these, never `connection.writableLength`: with 1000
   * streams echoing at once both sides have megabytes of Data queued (each
   * frame within a window the remote granted), so a rule on the whole backlog
   * made both peers stop reading at the same moment, and neither could ever
   * drain again: every stream stalled, new streams' negotiations timed out.
   * A peer that floods pings or window updates and never reads our answers
   * still makes us stop reading once these bytes pass CONTROL_BACKLOG_LIMIT.
   */
  private controlBytesWhileBlocked = 0
  private pausedForBacklog = false
  /** `openStream` callers waiting for a free ACK backlog slot, oldest first. */
  private ackSlotWaiters: Array<() => void> = []
  private drainWaiters: DrainCallback[] = []
  /** Streams with small payloads gathered during the read being handled. */
  private readonly gatheringStreams = new GatheringStreams()

  constructor (connection: Duplex, options: YamuxOptions & { initiator: boolean }) {
    super()
    this.connection = connection
    this.batch = new WriteBatch(connection)
    this.initiator = options.initiator
    this.nextStreamId = options.initiator ? 1 : 2
    this.maxStreams = options.maxStreams ?? DEFAULT_MAX_STREAMS
    this.maxAckBacklog = options.maxAckBacklog ?? DEFAULT_MAX_ACK_BACKLOG
    this.maxInboundUnacked = options.maxInboundUnacked ?? DEFAULT_MAX_INBOUND_UNACKED
    this.maxMessageSize = options.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE
    // at least the spec's initial window; at most 2^31 so a Window Update delta (consumed + growth) fits a uint32
    this.maxStreamWindow = Math.min(Math.max(options.maxStreamWindow ?? DEFAULT_MAX_STREAM_WINDOW, INITIAL_STREAM_WINDOW), 2 ** 31)
    this.closeTimeoutMs = options.closeTimeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS
    this.keepAliveIntervalMs = checkTimerMs('keepAliveIntervalMs', options.keepAliveIntervalMs ?? DEFAULT_KEEP_ALIVE_INTERVAL_MS, 0)
    this.keepAliveTimeoutMs = checkTimerMs('keepAliveTimeoutMs', options.keepAliveTimeoutMs ?? DEFAULT_KEEP_ALIVE_TIMEOUT_MS, 0)
    this.now = options.now ?? monotonicNow
    this.onFrame = options.onFrame
    this.memoryBudget = sessionBudget(options.memoryBudget)
    if (!Number.isInteger(this.maxMessageSize) || this.maxMessageSize < 1 || this.maxMessageSize > MAX_UINT32) {
      throw new P2PError('ERR_INVALID_PARAMETERS', `maxMessageSize must be an integer in 1..2^32-1, got ${this.maxMessageSize}`)
    }

    connection.on('data', this.onConnectionData)
    connection.on('end', this.onConnectionEnd)
    connection.on('error', this.onConnectionError)
    connection.on('close', this.onConnectionClose)
    connection.on('drain', this.onConnectionDrain)

    if (options.measureRtt ?? true) this.ping().catch(() => {})
    if (this.keepAliveIntervalMs > 0) {
      this.lastInputAt = performance.now()
      this.armKeepAlive(this.keepAliveIntervalMs)
    }
  }

  get streams (): readonly YamuxStream[] {
    return [...this.streamMap.values()]
  }

  // ---- public API ----

  newStream (): YamuxStream {
    if (this.closed) throw new P2PError('ERR_YAMUX_SESSION_CLOSED', 'cannot open a stream: the yamux session is closed')
    if (this.localGoAway) throw new P2PError('ERR_YAMUX_GO_AWAY', 'cannot open a stream: we sent Go Away')
    if (this.remoteGoAway !== undefined) throw new P2PError('ERR_YAMUX_GO_AWAY', `cannot open a stream: the remote sent Go Away (code ${this.remoteGoAway})`, { remote: true })
    if (this.streamMap.size >= this.maxStreams) {
      throw new P2PError('ERR_YAMUX_TOO_MANY_STREAMS', `cannot open a stream: ${this.streamMap.size} streams open, the limit is ${this.maxStreams}`)
    }
    // "Implementations SHOULD at most allow an ACK backlog of 256 streams."
    if (this.outboundUnacked >= this.maxAckBacklog) {
      throw new P2PError('ERR_YAMUX_ACK_BACKLOG_FULL', `cannot open a stream: ${this.outboundUnacked} streams await the remote's ACK, the limit is ${this.maxAckBacklog}`)
    }
    const id = this.nextStreamId
    if (id > MAX_UINT32) throw new P2PError('ERR_YAMUX_STREAM_IDS_EXHAUSTED', 'cannot open a stream: all 2^31 stream IDs of this side are used')
    if (!this.reserveInitialWindow()) {
      throw new P2PError('ERR_RESOURCE_LIMIT_EXCEEDED', `cannot open a stream: the connection's buffer memory has no room for another ${INITIAL_STREAM_WINDOW}-byte receive window`)
    }
    this.nextStreamId += 2
    const stream = new YamuxStream(this, id, 'outbound')
    this.streamMap.set(id, stream)
    this.outboundUnacked++
    // "To open a stream, an initial data or window update frame is sent with a new StreamID. The SYN flag should be set"
    this.sendWindowUpdate(stream, Flag.SYN, 0)
    return stream
  }

  /** Whether openStream would open at once: the ACK backlog has room and no opener waits. */
  canOpenNow (): boolean {
    return !this.ackBacklogFull() && this.ackSlotWaiters.length === 0
  }

  /**
   * Like `newStream`, but waits while the ACK backlog is full instead of
   * throwing ERR_YAMUX_ACK_BACKLOG_FULL. libp2p yamux "ACK backlog":
   * "Implementations SHOULD at most allow an ACK backlog of 256 streams." and
   * "implementing the ACK backlog as described above provides a limited form
   * of backpressure": backpressure is a wait, not a failure (go-yamux's
   * OpenStream blocks the same way). Waiters are served in order; `signal`
   * abandons the wait. Still throws at once when the session is closed,
   * after Go Away, or over maxStreams.
   */
  async openStream (options: { signal?: AbortSignal } = {}): Promise<YamuxStream> {
    // first in, first served: a caller queues behind earlier waiters even when a slot is free
    let front = false
    while (this.ackBacklogFull() || (!front && this.ackSlotWaiters.length > 0)) {
      await this.waitForAckSlot(front, options.signal)
      // woken for a slot; should another opener have taken it, wait again at the front
      front = true
    }
    try {
      return this.newStream()
    } finally {
      // a newStream that threw took no slot: the next waiter may have it
      if (this.ackSlotWaiters.length > 0 && !this.ackBacklogFull()) this.wakeAckSlotWaiters()
    }
  }

  private async waitForAckSlot (front: boolean, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted()
    await new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        this.ackSlotWaiters = this.ackSlotWaiters.filter(w => w !== wake)
        reject(abortError(signal))
      }
      const wake = (): void => {
        signal?.removeEventListener('abort', onAbort)
        resolve()
      }
      if (front) this.ackSlotWaiters.unshift(wake)
      else this.ackSlotWaiters.push(wake)
      signal?.addEventListener('abort', onAbort, { once: true })
    })
  }

  private ackBacklogFull (): boolean {
    return !this.closed && !this.localGoAway && this.remoteGoAway === undefined && this.outboundUnacked >= this.maxAckBacklog
  }

  /** An outbound stream left the ACK backlog (acknowledged or finished). */
  private ackSlotFreed (): void {
    this.outboundUnacked--
    this.wakeAckSlotWaiters()
  }

  /** Wakes as many waiters as there are free slots (all of them once no stream can open any more). */
  private wakeAckSlotWaiters (): void {
    const ended = this.closed || this.localGoAway || this.remoteGoAway !== undefined
    let free = ended ? this.ackSlotWaiters.length : this.maxAckBacklog - this.outboundUnacked
    while (free-- > 0 && this.ackSlotWaiters.length > 0) this.ackSlotWaiters.shift()?.()
  }

  /** Measures the round-trip time in ms with a Ping (SYN) answered by a Ping (ACK). */
  async ping (): Promise<number> {
    if (this.closed) throw new P2PError('ERR_YAMUX_SESSION_CLOSED', 'cannot ping: the yamux session is closed')
    const opaque = this.nextPingId
    this.nextPingId = (this.nextPingId + 1) >>> 0
    return await new Promise<number>((resolve, reject) => {
      this.pings ??= new Map()
      this.pings.set(opaque, { start: this.now(), resolve, reject })
      this.sendHeader(FrameType.Ping, Flag.SYN, SESSION_STREAM_ID, opaque)
    })
  }

  /** Sends Go Away with `code`: the remote must open no more streams; ours stay open. */
  goAway (code: number = GoAwayCode.Normal): void {
    if (this.closed || this.localGoAway) return
    this.localGoAway = true
    this.sendHeader(FrameType.GoAway, 0, SESSION_STREAM_ID, code >>> 0)
    this.wakeAckSlotWaiters()
  }

  async close (): Promise<void> {
    if (this.closed) return
    if (this.closing !== undefined) return await this.closing
    // the waiter first: the Go Away and the FINs below may end the session
    // at once (a connection that is already gone), and terminate() must find
    // someone to tell, or this close would wait for ever
    this.closing = new Promise<void>(resolve => { this.closeWaiter = resolve })
    this.goAway(GoAwayCode.Normal)
    for (const stream of this.streamMap.values()) {
      if (!stream.writableEnded && !stream.destroyed) stream.end()
    }
    if (!this.closed) {
      this.closeTimer = setTimeout(() => {
        this.abort(new P2PError('ERR_YAMUX_CLOSE_TIMEOUT', `close(): ${this.streamMap.size} streams still open after ${this.closeTimeoutMs} ms`))
      }, this.closeTimeoutMs)
      this.maybeFinishClose()
    }
    return await this.closing
  }

  /**
   * Tears the session down at once: streams are reset locally and the
   * connection destroyed. The remote still hears why first: "When a session
   * is being terminated, the Go Away message should be sent" (libp2p yamux
   * README, "Session termination"); Normal, since the remote did nothing
   * wrong (its protocol errors go through protocolError).
   */
  abort (err: Error): void {
    this.terminate(err, true, GoAwayCode.Normal)
  }

  // ---- StreamSession (called by streams) ----

  sendData (stream: YamuxStream, payload: Uint8Array, written?: DrainCallback): void {
    const flags = stream.takeFlags()
    if (!this.canWrite()) {
      // not sent; the write's earlier views may still be in the connection
      if (written !== undefined) afterWritesHandled(this.connection, written)
      return
    }
    this.onFrame?.('out', { type: FrameType.Data, flags, streamId: stream.id, length: payload.length })
    if (payload.length <= COPY_PAYLOAD_THRESHOLD) {
      const frame = Buffer.allocUnsafe(HEADER_LENGTH + payload.length)
      writeHeader(frame, 0, FrameType.Data, flags, stream.id, payload.length)
      frame.set(payload, HEADER_LENGTH)
      this.write(frame, written)
    } else {
      const header = Buffer.allocUnsafe(HEADER_LENGTH)
      writeHeader(header, 0, FrameType.Data, flags, stream.id, payload.length)
      this.connection.cork()
      this.write(header)
      // a view of the writer's buffer: handled once the connection calls back
      this.write(payload, written)
      this.connection.uncork()
    }
  }

  sendWindowUpdate (stream: YamuxStream, flags: number, delta: number): void {
    this.sendHeader(FrameType.WindowUpdate, flags, stream.id, delta)
    // Credit is what the remote's sender may be stalled on: it leaves now,
    // not with the turn's batch. A receiver busy with a bulk transfer reads
    // the socket again and again before its turn ends, and the batched
    // update left 10-15 ms late, after the sender had stalled for most of it.
    if (delta > 0) this.batch.flush()
  }

  afterDrain (callback: DrainCallback): void {
    if (this.writeBlocked && this.canWrite()) this.drainWaiters.push(callback)
    else callback()
  }

  streamFinished (stream: YamuxStream): void {
    if (this.streamMap.get(stream.id) !== stream) return
    this.streamMap.delete(stream.id)
    if (stream.opening === StreamOpening.SynSent) this.ackSlotFreed()
    if (stream.opening === StreamOpening.SynReceived) this.inboundUnacked--
    this.maybeFinishClose()
  }

  streamAcknowledged (stream: YamuxStream): void {
    if (this.streamMap.get(stream.id) === stream) this.inboundUnacked--
  }

  // ---- input ----

  private readonly onConnectionData = (chunk: Uint8Array): void => {
    if (this.closed) return
    this.lastInputAt = performance.now()
    this.queue.push(chunk)
    this.runInput()
  }

  /** Handles the queued input, unless a run is already under way (see below) or reading is paused. */
  private runInput (): void {
    // An in-memory peer can answer synchronously from inside our own write,
    // re-entering here mid-frame; the running loop will read those bytes.
    if (this.processing) return
    this.processing = true
    try {
      this.processInput()
    } catch (err) {
      if (isP2PError(err) && err.remote) this.protocolError(err)
      else this.terminate(err instanceof Error ? err : new Error(String(err)), true, GoAwayCode.InternalError)
    } finally {
      this.processing = false
    }
    // the read is handled: what it gathered goes to its streams (../muxer/gathered-payloads.ts)
    this.gatheringStreams.pushAll()
    this.announcement.announce()
  }

  gathering (stream: YamuxStream): void {
    this.gatheringStreams.add(stream)
  }

  private processInput (): void {
    const queue = this.queue
    // paused for the control backlog: the rest of the chunk waits in the
    // queue too, or its pings would queue another chunk's worth of pongs
    while (!this.closed && !this.pausedForBacklog) {
      if (this.readingRemaining > 0) {
        const size = Math.min(queue.length, this.readingRemaining)
        if (size === 0) return
        const chunks = queue.takeChunks(size) ?? []
        this.readingRemaining -= size
        const stream = this.readingStream
        if (stream !== undefined) {
          try {
            for (const chunk of chunks) stream.onData(chunk)
          } catch (err) {
            // a 'data' listener threw (push() runs it now): that stream's bug, not the session's
            resetForListener(stream, err)
          }
        }
        if (this.readingRemaining === 0) this.finishDataFrame()
        continue
      }
      const header = decodeHeader(queue)
      if (header === undefined) return
      if (header.streamId !== this.announcement.pendingId) this.announcement.announce()
      this.onFrame?.('in', header)
      this.handleHeader(header)
    }
  }

  private handleHeader (header: FrameHeader): void {
    switch (header.type) {
      case FrameType.Data:
      case FrameType.WindowUpdate:
        this.handleStreamFrame(header)
        return
      case FrameType.Ping:
        this.handlePing(header)
        return
      case FrameType.GoAway:
        this.handleGoAway(header.length)
        return
      default: {
        const never: never = header.type
        throw new P2PError('ERR_YAMUX_INVALID_TYPE', `unknown frame type ${String(never)}`, { remote: true })
      }
    }
  }

  private handleStreamFrame (header: FrameHeader): void {
    const { type, flags, streamId, length } = header
    const isData = type === FrameType.Data
    let stream = this.streamMap.get(streamId)

    if ((flags & Flag.SYN) !== 0) {
      if (stream !== undefined) {
        throw new P2PError('ERR_YAMUX_DUPLICATE_STREAM', `SYN for stream ${streamId}, which is already open`, { remote: true })
      }
      // "The client side should use odd ID's, and the server even." / "the 0 ID is reserved to represent the session."
      if (streamId === SESSION_STREAM_ID || (streamId % 2 === 1) === this.initiator) {
        throw new P2PError('ERR_YAMUX_INVALID_STREAM_ID', `SYN with stream ID ${streamId}: the ${this.initiator ? 'server' : 'client'} must use ${this.initiator ? 'even' : 'odd'} non-zero IDs`, { remote: true })
      }
      stream = this.acceptStream(streamId)
      if (stream === undefined) {
        if (isData) this.discardPayload(length)
        return
      }
    }

    if (stream === undefined) {
      // a frame for a stream we have finished or reset: late traffic, dropped
      if (isData) this.discardPayload(length)
      return
    }

    if ((flags & Flag.ACK) !== 0) {
      if (stream.opening === StreamOpening.SynSent) this.ackSlotFreed()
      stream.onAck()
    }
    // "RST - Reset a stream immediately": before any credit the frame
    // carries, which would send the writes waiting for it first
    if ((flags & Flag.RST) !== 0) {
      stream.onReset()
      if (isData) this.discardPayload(length)
      return
    }

    // a Window Update after FIN is legal: it only concerns our sending side
    if (type === FrameType.WindowUpdate && length > 0) stream.onWindowUpdate(length)

    if (isData) {
      // an empty Data frame carries nothing: after the FIN it is a no-op, not a violation
      if (length > 0 && !canReceive(stream.state)) {
        // data after the remote's own FIN: that stream is broken, not the session
        stream.destroy(new P2PError('ERR_YAMUX_DATA_AFTER_FIN', `stream ${streamId}: ${length} bytes of Data after the remote's FIN`, { remote: true }))
        this.discardPayload(length)
        return
      }
      // The window the remote must respect: "never send beyond the peer's window"
      if (length > stream.recvRemaining) {
        throw new P2PError('ERR_YAMUX_WINDOW_EXCEEDED', `stream ${streamId}: Data frame of ${length} bytes, but only ${stream.recvRemaining} bytes of window were granted`, { remote: true })
      }
      stream.recvRemaining -= length
      stream.unreceived = length
      this.readingStream = stream
      this.readingRemaining = length
      this.readingFin = (flags & Flag.FIN) !== 0
      if (length === 0) this.finishDataFrame()
      return
    }

    if ((flags & Flag.FIN) !== 0) this.finStream(stream)
  }

  /** The remote's FIN for `stream`. */
  private finStream (stream: YamuxStream): void {
    try {
      stream.onFin()
    } catch (err) {
      // the end of its data may run a 'readable' listener at once, inside push(null)
      resetForListener(stream, err)
    }
  }

  /** Creates an inbound stream for a SYN, or resets it when over a limit or after our Go Away. */
  private acceptStream (streamId: number): YamuxStream | undefined {
    const refuse = this.localGoAway || this.closing !== undefined ||
      this.streamMap.size >= this.maxStreams ||
      // inbound buffering MUST be bounded: over the limit, RST
      this.inboundUnacked >= this.maxInboundUnacked ||
      // nobody accepts streams on this session: reject it rather than buffer it
      this.listenerCount('stream') === 0 ||
      // last, so that nothing is reserved for a stream refused anyway
      !this.reserveInitialWindow()
    if (refuse) {
      // "reply ... with the RST flag to reject the stream"
      this.sendHeader(FrameType.WindowUpdate, Flag.RST, streamId, 0)
      return undefined
    }
    const stream = new YamuxStream(this, streamId, 'inbound')
    this.streamMap.set(streamId, stream)
    this.inboundUnacked++
    this.announcement.hold(stream)
    return stream
  }

  /**
   * "When Yamux is initially starts each stream with a 256KB window size":
   * the remote may send that much at once, so a stream exists only once its
   * initial window is reserved. The stream gives it back when destroyed.
   */
  private reserveInitialWindow (): boolean {
    return this.memoryBudget.reserve(INITIAL_STREAM_WINDOW)
  }

  private discardPayload (length: number): void {
    this.readingStream = undefined
    this.readingRemaining = length
    this.readingFin = false
  }

  private finishDataFrame (): void {
    const stream = this.readingStream
    this.readingStream = undefined
    if (stream !== undefined && this.readingFin) this.finStream(stream)
    this.readingFin = false
  }

  private handlePing (header: FrameHeader): void {
    // "SYN ... sent with a ping to indicate outbound", "ACK ... sent with a
    // ping to indicate response": only an outbound ping is answered (SYN
    // first, as go-yamux reads them), a response is one with ACK alone, and a
    // Ping with neither is neither, so it is dropped
    if ((header.flags & Flag.SYN) !== 0) {
      this.sendHeader(FrameType.Ping, Flag.ACK, SESSION_STREAM_ID, header.length)
      return
    }
    if ((header.flags & Flag.ACK) !== 0) {
      const pending = this.pings?.get(header.length)
      if (this.pings === undefined || pending === undefined) return
      this.pings.delete(header.length)
      // an idle session keeps no empty table (~270 bytes)
      if (this.pings.size === 0) this.pings = undefined
      const rtt = this.now() - pending.start
      this.rtt = this.rtt === 0 ? rtt : (this.rtt * 7 + rtt) / 8
      pending.resolve(rtt)
    }
  }

  private handleGoAway (code: number): void {
    this.remoteGoAway = code
    // no stream can open any more: the waiters learn it from newStream
    this.wakeAckSlotWaiters()
    if (code !== GoAwayCode.Normal) {
      const name = code === GoAwayCode.ProtocolError ? 'protocol error' : code === GoAwayCode.InternalError ? 'internal error' : `code ${code}`
      this.terminate(new P2PError('ERR_YAMUX_REMOTE_GO_AWAY', `the remote terminated the session with Go Away (${name})`, { remote: true }), false)
      return
    }
    this.maybeFinishClose()
  }

  // ---- keepalive ----

  private armKeepAlive (ms: number): void {
    this.keepAliveTimer = setTimeout(this.onKeepAliveTimer, ms)
    // a session alone must not keep the process alive
    this.keepAliveTimer.unref()
  }

  /**
   * Fires `keepAliveIntervalMs` after the last input (then pings), or
   * `keepAliveTimeoutMs` after our ping (then gives up, unless something
   * arrived since). Input only moves a timestamp; the timer is re-armed here
   * rather than reset on every chunk.
   */
  private readonly onKeepAliveTimer = (): void => {
    this.keepAliveTimer = undefined
    if (this.closed) return
    // Timers run before I/O in each turn of the event loop: after our own
    // process was blocked (a long synchronous task), the answer may be
    // waiting in the socket, unread. Decide after this turn's reads.
    if (this.keepAliveUnanswered()) setImmediate(this.onKeepAliveDeadline)
    else this.watchForSilence()
  }

  private readonly onKeepAliveDeadline = (): void => {
    if (this.closed) return
    if (!this.keepAliveUnanswered()) {
      this.watchForSilence()
      return
    }
    const now = performance.now()
    this.abort(new P2PError('ERR_YAMUX_KEEPALIVE_TIMEOUT', `the remote sent nothing for ${Math.round(now - this.lastInputAt)} ms, and no answer to our keepalive ping within ${Math.round(now - (this.keepAliveSentAt ?? now))} ms`, { remote: true }))
  }

  /** Our keepalive ping is out and nothing at all has arrived since. */
  private keepAliveUnanswered (): boolean {
    return this.keepAliveSentAt !== undefined && this.lastInputAt <= this.keepAliveSentAt
  }

  /** Pings once the remote has been silent for `keepAliveIntervalMs`, else waits until it will have been. */
  private watchForSilence (): void {
    this.keepAliveSentAt = undefined
    const now = performance.now()
    const idle = now - this.lastInputAt
    if (idle < this.keepAliveIntervalMs) {
      this.armKeepAlive(this.keepAliveIntervalMs - idle)
      return
    }
    // never giving up (timeout 0), a remote that does not answer would pile
    // up our waiters: the previous keepalive ping's, if still there, is dropped
    if (this.keepAlivePingId !== undefined && this.pings?.delete(this.keepAlivePingId) === true && this.pings.size === 0) this.pings = undefined
    this.keepAlivePingId = this.nextPingId
    // its answer, or anything else, moves lastInputAt; a session that closes meanwhile rejects it
    this.ping().catch(() => {})
    if (this.keepAliveTimeoutMs > 0) {
      this.keepAliveSentAt = now
      this.armKeepAlive(this.keepAliveTimeoutMs)
    } else {
      // js-libp2p's way: ping, never give up
      this.armKeepAlive(this.keepAliveIntervalMs)
    }
  }

  private readonly onConnectionEnd = (): void => {
    const open = this.streamMap.size
    this.terminate(open === 0 ? undefined : new P2PError('ERR_YAMUX_CONNECTION_CLOSED', `the connection ended with ${open} streams open`, { remote: true }), false)
  }

  private readonly onConnectionError = (err: Error): void => {
    this.terminate(new P2PError('ERR_YAMUX_CONNECTION_CLOSED', `the connection failed: ${err.message}`, { cause: err, remote: true }), false)
  }

  private readonly onConnectionClose = (): void => {
    if (this.closed) return
    this.terminate(new P2PError('ERR_YAMUX_CONNECTION_CLOSED', 'the connection closed', { remote: true }), false)
  }

  private readonly onConnectionDrain = (): void => {
    this.writeBlocked = false
    this.controlBytesWhileBlocked = 0
    if (this.pausedForBacklog) {
      this.pausedForBacklog = false
      this.connection.resume()
      this.runInput()
    }
    const waiters = this.drainWaiters
    this.drainWaiters = []
    for (const callback of waiters) callback()
  }

  // ---- output ----

  private canWrite (): boolean {
    return !this.closed && !this.connection.destroyed && !this.connection.writableEnded
  }

  private sendHeader (type: FrameTypeCode, flags: number, streamId: number, length: number): void {
    if (!this.canWrite()) return
    this.onFrame?.('out', { type, flags, streamId, length })
    const frame = Buffer.allocUnsafe(HEADER_LENGTH)
    writeHeader(frame, 0, type, flags, streamId, length)
    this.write(frame)
    if (this.writeBlocked) this.controlBytesWhileBlocked += HEADER_LENGTH
    if (this.writeBlocked && !this.pausedForBacklog && this.controlBytesWhileBlocked > CONTROL_BACKLOG_LIMIT) {
      // the remote does not read what we answer: stop reading what it sends
      this.pausedForBacklog = true
      this.connection.pause()
    }
  }

  private write (bytes: Uint8Array, written?: DrainCallback): void {
    this.batch.begin()
    if (!this.connection.write(bytes, written)) this.writeBlocked = true
  }

  // ---- termination ----

  private protocolError (err: P2PError): void {
    this.sendHeader(FrameType.GoAway, 0, SESSION_STREAM_ID, GoAwayCode.ProtocolError)
    this.localGoAway = true
    this.terminate(err, false)
  }

  private maybeFinishClose (): void {
    if (this.closed || this.streamMap.size > 0) return
    if (this.closing !== undefined || this.remoteGoAway !== undefined) this.terminate(undefined, false)
  }

  /**
   * Ends the session: every stream still open is reset locally with `err`,
   * pending pings fail, the connection is ended (or destroyed when `destroy`),
   * and 'close' is emitted once.
   */
  private terminate (err: Error | undefined, destroy: boolean, goAwayCode?: number): void {
    if (this.closed) return
    if (goAwayCode !== undefined && !this.localGoAway) this.sendHeader(FrameType.GoAway, 0, SESSION_STREAM_ID, goAwayCode)
    this.closed = true
    if (this.closeTimer !== undefined) clearTimeout(this.closeTimer)
    if (this.keepAliveTimer !== undefined) clearTimeout(this.keepAliveTimer)
    const unannounced = this.announcement.discard()
    const streams = [...this.streamMap.values()]
    this.streamMap.clear()
    for (const stream of streams) stream.abortLocally(err ?? new P2PError('ERR_YAMUX_SESSION_CLOSED', 'the session closed'), stream !== unannounced)
    if (this.pings !== undefined) {
      // only when someone waits: an error costs a stack trace, and most sessions end with no ping pending
      const pingError = new P2PError('ERR_YAMUX_SESSION_CLOSED', `ping failed: the session closed${err === undefined ? '' : `: ${err.message}`}`, { cause: err })
      for (const pending of this.pings.values()) pending.reject(pingError)
      this.pings = undefined
    }
    // What waited for a drain (a write's last frame, a FIN) is already in the
    // connection's hands. A clean end flushes it (end() below): done, no
    // failure; a destroyed connection drops it.
    const waiters = this.drainWaiters
    this.drainWaiters = []
    const waitersError = err ?? (destroy ? new P2PError('ERR_YAMUX_SESSION_CLOSED', 'the session closed') : undefined)
    for (const callback of waiters) callback(waitersError)
    this.wakeAckSlotWaiters()
    this.connection.off('data', this.onConnectionData)
    // what this turn wrote (a Go Away, a last RST) leaves before the end
    this.batch.flush()
    if (destroy) this.connection.destroy()
    else if (!this.connection.writableEnded && !this.connection.destroyed) this.connection.end()
    // keep draining the connection so its 'end' can arrive and the socket can close
    if (!this.connection.destroyed) this.connection.resume()
    this.closeWaiter?.()
    // a throwing listener must not cut the input loop short, nor be taken for the session's failure
    emitFromIo(this, 'close', err)
  }
}

/** The default clock: one function for every session, not a closure each. */
function monotonicNow (): number {
  return performance.now()
}

/** Starts a yamux session over `connection` (the client side is the `initiator`). */
export function createYamux (connection: Duplex, options: YamuxOptions & { initiator: boolean }): YamuxSession {
  return new YamuxSession(connection, options)
}

/** The StreamMuxerFactory for '/yamux/1.0.0'. */
export const yamux: StreamMuxerFactory & { create: (connection: Duplex, options: YamuxOptions & { initiator: boolean }) => YamuxSession } = {
  protocol: PROTOCOL_ID,
  create: (connection, options) => createYamux(connection, options)
}
