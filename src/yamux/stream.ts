// One yamux stream as a node:stream Duplex (src/muxer/types.ts MuxedStream).
//
// Spec: hashicorp/yamux spec.md "Opening a stream", "Closing a stream",
// "Flow Control"; stream lifecycle in ./stream-state.ts.
//
// Theory of operation.
//   Sending: `_write` cuts the chunk into Data frames no larger than the
//   remote's window (`sendWindow`) and our frame size limit, and waits when the
//   window is used up; the remote's Window Update resumes it. That wait is the
//   backpressure a slow remote reader exerts on this stream's writer, and on
//   nothing else. A write completes once all of it is sent and, when a
//   payload went as a view of the writer's buffer, once the connection has
//   handled it (Node's contract: after the callback the writer may refill
//   the buffer). `end()` sends FIN, `destroy()` before both sides finished
//   sends RST.
//   Receiving: Data payloads are pushed as views of the received chunks. We
//   give the remote credit back (a Window Update) only for bytes the
//   application has taken out of the readable buffer, so a stalled reader
//   stalls only its own sender. When a window is used up in less than a few
//   RTTs the window doubles (go-yamux's auto-tuning), up to `maxStreamWindow`,
//   and only when the session's memory budget grants the extra bytes first;
//   refused, the window stays as it is and the stream works on at that size.
//   With a budget the stream holds exactly its `recvWindow` reserved (the
//   initial window, reserved by the session, plus each growth) and gives it
//   back once, when it is destroyed.

import type { Duplex, Writable } from 'node:stream'
import { TickBatchedDuplex } from '../util/tick-batched-duplex.js'
import { P2PError } from '../util/errors.js'
import { WriteCompletion, type WriteCallback } from '../muxer/write-completion.js'
import { ownPayload } from '../muxer/payload.js'
import { GatheredPayloads, SMALL_PAYLOAD_BYTES } from '../muxer/gathered-payloads.js'
import { keepForReading } from '../muxer/session-end.js'
import { COPY_PAYLOAD_THRESHOLD, Flag, INITIAL_STREAM_WINDOW } from './constants.js'
import { STREAM_WRITE_BUFFER_BYTES, type MemoryBudget, type MuxedStream } from '../muxer/types.js'
import { StreamOpening, StreamState, canReceive, isFinished, nextState, type StreamEvent } from './stream-state.js'

/** What a stream needs from its session (implemented by YamuxSession). */
export interface StreamSession {
  readonly maxMessageSize: number
  readonly maxStreamWindow: number
  /** Smoothed RTT in ms, 0 while unknown. */
  readonly rtt: number
  /** Where receive windows are reserved (a session made without one has its own: ../muxer/session-budget.ts). */
  readonly memoryBudget: MemoryBudget
  /** What the session runs over. */
  readonly connection: Writable
  now: () => number
  /**
   * Sends one Data frame: a payload over COPY_PAYLOAD_THRESHOLD as a view.
   * `written`, when given, is called once the connection has handled the
   * frame and every one before it (at once when nothing could be sent).
   */
  sendData: (stream: YamuxStream, payload: Uint8Array, written?: WriteCallback) => void
  sendWindowUpdate: (stream: YamuxStream, flags: number, delta: number) => void
  /** Calls `callback` now, or once the connection has drained when it is backed up. */
  afterDrain: (callback: WriteCallback) => void
  /** The stream finished on the wire (both FINs or a reset): forget its ID. */
  streamFinished: (stream: YamuxStream) => void
  /** An inbound stream has just been acknowledged (ACK sent). */
  streamAcknowledged: (stream: YamuxStream) => void
  /** `stream` gathered small payloads: call its pushGathered() once the read is handled. */
  gathering: (stream: YamuxStream) => void
}

export class YamuxStream extends TickBatchedDuplex implements MuxedStream {
  readonly id: number
  readonly direction: 'inbound' | 'outbound'
  protocol?: string

  state: StreamState = StreamState.Open
  opening: StreamOpening

  /** Bytes the remote lets us send before its next Window Update. */
  sendWindow = INITIAL_STREAM_WINDOW
  /** The receive window we currently grant (grows by auto-tuning). */
  recvWindow = INITIAL_STREAM_WINDOW
  /** Bytes the remote may still send before it must wait for our Window Update. */
  recvRemaining = INITIAL_STREAM_WINDOW
  /**
   * Bytes of the Data frame being received that have not arrived yet (set by
   * the session from the header, which already took them off recvRemaining).
   * They are not consumed: crediting them back would let the remote have up to
   * a frame more in flight than the window, and buffer that much more.
   */
  unreceived = 0
  /** Start of the current auto-tuning epoch (session clock, ms). */
  private epochStart: number

  private readonly session: StreamSession
  /** The chunks `_write`/`_writev` is sending, and how far it got (it waits for window). */
  private pendingChunks: readonly Uint8Array[] | undefined
  private pendingIndex = 0
  private pendingOffset = 0
  /** The callback of the write under way (see `flushWrite`). */
  private readonly completion: WriteCompletion
  /** The remote reset the stream: nothing buffered is read any more. */
  private resetByRemote = false
  /** The session ended while the remote's half was complete: kept for reading; writes fail. */
  private sessionEnded = false
  /** Small payloads of the read being handled (../muxer/gathered-payloads.ts). */
  private readonly gathered = new GatheredPayloads()

  constructor (session: StreamSession, id: number, direction: 'inbound' | 'outbound') {
    super({ allowHalfOpen: true, decodeStrings: true, writableHighWaterMark: STREAM_WRITE_BUFFER_BYTES })
    this.session = session
    this.completion = new WriteCompletion(session.connection, callback => { session.afterDrain(callback) })
    this.id = id
    this.direction = direction
    this.opening = direction === 'outbound' ? StreamOpening.SynSent : StreamOpening.SynReceived
    this.epochStart = session.now()
  }

  /** Flags every frame we send must carry now: ACK on the first frame of an inbound stream. */
  takeFlags (): number {
    if (this.opening !== StreamOpening.SynReceived) return 0
    this.opening = StreamOpening.Established
    this.session.streamAcknowledged(this)
    return Flag.ACK
  }

  // ---- events from the session (remote frames) ----

  /** The remote acknowledged our SYN. */
  onAck (): void {
    if (this.opening === StreamOpening.SynSent) this.opening = StreamOpening.Established
  }

  onWindowUpdate (delta: number): void {
    if (this.state === StreamState.Reset) return
    // the sum stays exact in a double; the remote may grant more than 4 GiB over time
    this.sendWindow += delta
    if (this.pendingChunks !== undefined && this.sendWindow > 0) this.flushWrite()
  }

  /** A Data payload piece (a view into the received bytes). */
  onData (chunk: Uint8Array): void {
    this.unreceived -= chunk.length
    if (this.destroyed) return
    if (chunk.length <= SMALL_PAYLOAD_BYTES) {
      if (this.gathered.length === 0) this.session.gathering(this)
      this.gathered.add(chunk)
      return
    }
    this.pushGathered()
    this.push(ownPayload(chunk))
    this.maybeSendWindowUpdate()
  }

  /** Hands the stream the small payloads gathered so far, as one buffer. */
  pushGathered (): void {
    const gathered = this.gathered.take()
    if (gathered === undefined || this.destroyed) return
    this.push(gathered)
    this.maybeSendWindowUpdate()
  }

  onFin (): void {
    if (!canReceive(this.state)) return
    this.pushGathered()
    this.transition('finReceived')
    this.push(null)
  }

  onReset (): void {
    if (isFinished(this.state)) return
    this.transition('reset')
    this.resetByRemote = true
    this.destroy(new P2PError('ERR_STREAM_RESET', `the remote reset stream ${this.id}`, { remote: true }))
  }

  /** The session ended under this stream: reset it locally with `cause`; a stream whose remote half is complete keeps its data readable. */
  abortLocally (cause?: Error, announced = true): void {
    if (this.destroyed) return
    const wasFinished = isFinished(this.state)
    const remoteHalfComplete = this.state === StreamState.RemoteClosed
    this.state = StreamState.Reset
    if (wasFinished && cause === undefined) {
      this.destroy()
      return
    }
    // the remote's data is all here: it may stay readable to its EOF (../muxer/session-end.ts)
    if (keepForReading(this, remoteHalfComplete, announced, this.completion.pending)) {
      this.sessionEnded = true
      return
    }
    this.destroy(new P2PError('ERR_STREAM_RESET', `stream ${this.id} reset: the session ended${cause === undefined ? '' : `: ${cause.message}`}`, { cause, remote: false }))
  }

  // ---- node:stream hooks ----

  override _read (): void {
    // credit goes back in read(), below, once the bytes are out of the buffer
  }

  /**
   * Every read (the application's, async iteration's, flowing mode's) gives
   * the remote credit for what it took. Not in _read: Node calls _read once
   * until the next push, and from inside read() before it removes the bytes
   * it returns, so a check there came too early and missed the reads after
   * it; with a highWaterMark as large as the window, the remote ran out of
   * window and nothing could make Node call _read again.
   */
  override read (size?: number): ReturnType<Duplex['read']> {
    // RST: "hard close a stream immediately": what it had buffered is dropped,
    // not handed out after the error (Node's destroy() keeps the buffer)
    if (this.resetByRemote) return null
    const chunk = super.read(size)
    if (chunk !== null) this.maybeSendWindowUpdate()
    return chunk
  }

  override _write (chunk: Buffer, _encoding: BufferEncoding, callback: WriteCallback): void {
    this.writeChunks(chunk.length === 0 ? [] : [chunk], callback)
  }

  /** Writes buffered while the previous one was under way, sent together (one turn, one batch). */
  override _writev (chunks: Array<{ chunk: Buffer }>, callback: WriteCallback): void {
    const list: Buffer[] = []
    for (let i = 0; i < chunks.length; i++) {
      if (chunks[i].chunk.length > 0) list.push(chunks[i].chunk)
    }
    this.writeChunks(list, callback)
  }

  override _final (callback: WriteCallback): void {
    if (this.state === StreamState.Reset) {
      callback(new P2PError('ERR_STREAM_RESET', this.sessionEnded ? `cannot half-close stream ${this.id}: the session ended` : `stream ${this.id} was reset before it could be half-closed`))
      return
    }
    this.session.sendWindowUpdate(this, this.takeFlags() | Flag.FIN, 0)
    this.transition('finSent')
    this.session.afterDrain(callback)
  }

  override _destroy (err: Error | null, callback: (err?: Error | null) => void): void {
    if (!isFinished(this.state)) {
      // the interface: destroy() before both directions finished is a reset.
      // A stream not yet acknowledged gets RST alone: "reply ... with the
      // ACK flag to accept the stream or with the RST flag to reject the
      // stream" (takeFlags() still takes it out of the unacknowledged count)
      this.takeFlags()
      this.session.sendWindowUpdate(this, Flag.RST, 0)
      this.transition('reset')
    }
    // destroy runs once: the window's memory goes back exactly once
    this.session.memoryBudget.release(this.recvWindow)
    this.pendingChunks = undefined
    // the error is made only when a write waits for it (a stack trace costs)
    if (this.completion.pending) this.completion.fail(err ?? new P2PError('ERR_STREAM_RESET', `stream ${this.id} was destroyed while writing`))
    callback(err)
  }

  // ---- internals ----

  private transition (event: StreamEvent): void {
    const before = this.state
    this.state = nextState(before, event)
    if (!isFinished(before) && isFinished(this.state)) this.session.streamFinished(this)
  }

  /** `chunks` are not empty: an empty chunk would be an empty Data frame. */
  private writeChunks (chunks: readonly Uint8Array[], callback: WriteCallback): void {
    this.pendingChunks = chunks
    this.pendingIndex = 0
    this.pendingOffset = 0
    this.completion.begin(callback)
    this.flushWrite()
  }

  /**
   * Sends as much of the pending chunks as the window allows. When all is
   * sent the write completes, once the connection has handled the last
   * frame if a payload went as a view (../muxer/write-completion.ts).
   */
  private flushWrite (): void {
    const chunks = this.pendingChunks
    if (chunks === undefined) return
    while (this.pendingIndex < chunks.length) {
      if (this.state === StreamState.Reset) {
        this.pendingChunks = undefined
        this.completion.fail(this.sessionEnded
          ? new P2PError('ERR_STREAM_RESET', `cannot write to stream ${this.id}: the session ended`)
          : new P2PError('ERR_STREAM_RESET', `stream ${this.id} was reset while writing`, { remote: true }))
        return
      }
      // "never send beyond the peer's window": wait for its Window Update
      if (this.sendWindow <= 0) return
      const chunk = chunks[this.pendingIndex]
      const size = Math.min(this.sendWindow, this.session.maxMessageSize, chunk.length - this.pendingOffset)
      const piece = size === chunk.length ? chunk : chunk.subarray(this.pendingOffset, this.pendingOffset + size)
      this.sendWindow -= size
      this.pendingOffset += size
      if (this.pendingOffset === chunk.length) {
        this.pendingIndex++
        this.pendingOffset = 0
      }
      // larger payloads go to the connection as views of the writer's buffer (session.sendData)
      const written = this.completion.frame(size > COPY_PAYLOAD_THRESHOLD, this.pendingIndex === chunks.length)
      if (written !== undefined) this.pendingChunks = undefined
      this.session.sendData(this, piece, written)
      if (written !== undefined) return
    }
    // every payload was copied (or there was none): the writer's buffers are free now
    this.pendingChunks = undefined
    this.completion.complete()
  }

  /**
   * Grants the remote the bytes the application has consumed, once they make
   * up half the window (fewer, smaller Window Updates), auto-tuning the window.
   */
  private maybeSendWindowUpdate (): void {
    if (!canReceive(this.state) || this.destroyed) return
    // consumed = granted - still allowed - still on its way - still unread in our buffer (or gathered for it)
    let delta = this.recvWindow - this.recvRemaining - this.unreceived - this.readableLength - this.gathered.length
    if (delta < this.recvWindow / 2) return
    const now = this.session.now()
    const rtt = this.session.rtt
    // go-yamux auto-tuning: the whole window went by within ~4 RTTs, so the
    // window (not the reader) limits throughput: double it.
    if (rtt > 0 && now - this.epochStart < rtt * 4 && this.recvWindow < this.session.maxStreamWindow) {
      const grown = Math.min(this.recvWindow * 2, this.session.maxStreamWindow)
      if (this.reserveGrowth(grown - this.recvWindow)) {
        delta += grown - this.recvWindow
        this.recvWindow = grown
      }
    }
    this.epochStart = now
    this.recvRemaining += delta
    this.session.sendWindowUpdate(this, this.takeFlags(), delta)
  }

  /** The remote may send `extra` more bytes once the window grows: reserve them first. */
  private reserveGrowth (extra: number): boolean {
    return this.session.memoryBudget.reserve(extra)
  }
}
