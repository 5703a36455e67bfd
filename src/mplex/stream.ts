// One mplex stream as a node:stream Duplex (src/muxer/types.ts MuxedStream).
//
// Spec: libp2p/specs mplex/README.md "Writing to a stream", "Closing a
// stream", "Resetting a stream", "Implementation notes"; lifecycle in
// ./stream-state.ts.
//
// Theory of operation.
//   Sending: `_write` keeps the chunk and sends it as Message frames of at
//   most MAX_SEND_MESSAGE_SIZE, one after another, for as long as the
//   connection takes them (`write()` returns true); when it is backed up the
//   stream waits for the session to call `flush()` again after 'drain', and
//   completes the write once the last frame is out and, when a payload went
//   as a view of the writer's buffer, once the connection has handled it
//   (Node's contract: after the callback the writer may refill the buffer).
//   That wait is the only backpressure mplex has, and it holds each writer
//   to one chunk in flight.
//   `end()` sends Close; `destroy()` before both sides closed sends Reset.
//   Receiving: Message payloads are pushed as views of the received chunks.
//   "Due to the lack of back pressure at the protocol level, the
//   implementation must handle slow readers by doing one or both of: 1.
//   Blocking the entire connection until the offending stream is read. 2.
//   Resetting the offending stream." We never block the connection (that
//   would stall every stream): a stream whose unread bytes would pass
//   `maxStreamBufferSize` is reset with ERR_MPLEX_STREAM_BUFFER_OVERFLOW.
//   With the session's memory budget, the bytes a message adds are reserved
//   before they are pushed (`reservedBytes`); when they do not fit, the
//   session resets the offending stream, the slowest reader (./session.ts
//   `reserveBuffer`), with ERR_RESOURCE_LIMIT_EXCEEDED, never the connection.
//   What the application has read is given back after each push and each
//   read(); all of it when the stream is destroyed.

import type { Duplex, Writable } from 'node:stream'
import { TickBatchedDuplex } from '../util/tick-batched-duplex.js'
import { P2PError } from '../util/errors.js'
import { WriteCompletion, type WriteCallback } from '../muxer/write-completion.js'
import { ownPayload } from '../muxer/payload.js'
import { GatheredPayloads, SMALL_PAYLOAD_BYTES } from '../muxer/gathered-payloads.js'
import { keepForReading } from '../muxer/session-end.js'
import { STREAM_WRITE_BUFFER_BYTES, type MemoryBudget, type MuxedStream } from '../muxer/types.js'
import { COPY_PAYLOAD_MAX, MAX_SEND_MESSAGE_SIZE } from './constants.js'
import { MplexErrorCode } from './errors.js'
import { StreamState, isFinished, nextState, type StreamEvent } from './stream-state.js'

/** What a stream needs from its session (implemented by MplexSession). */
export interface StreamSession {
  readonly maxStreamBufferSize: number
  /** Where unread bytes are reserved (a session made without one has its own: ../muxer/session-budget.ts). */
  readonly memoryBudget: MemoryBudget
  /** What the session runs over. */
  readonly connection: Writable
  /** Reserves `bytes` more for `stream`'s buffer, or says no (the session may reset a slower reader to make room). */
  reserveBuffer: (stream: MplexStream, bytes: number) => boolean
  /** False once the session is closed. */
  readonly writable: boolean
  /** True while the connection is backed up (its write() returned false and 'drain' has not come). */
  readonly blocked: boolean
  /**
   * Sends one Message frame: a payload over COPY_PAYLOAD_MAX as a view.
   * `written`, when given, is called once the connection has handled the
   * frame and every one before it.
   */
  sendMessage: (stream: MplexStream, payload: Uint8Array, written?: WriteCallback) => void
  /** Calls `stream.flush()` after the connection's next 'drain'. */
  waitForDrain: (stream: MplexStream) => void
  sendClose: (stream: MplexStream, callback: WriteCallback) => void
  sendReset: (stream: MplexStream) => void
  /** The stream finished on the wire (both Closes or a reset): forget its ID. */
  streamFinished: (stream: MplexStream) => void
  /** `stream` gathered small payloads: call its pushGathered() once the read is handled. */
  gathering: (stream: MplexStream) => void
}

export class MplexStream extends TickBatchedDuplex implements MuxedStream {
  readonly id: number
  readonly direction: 'inbound' | 'outbound'
  protocol?: string
  state: StreamState = StreamState.Open

  private readonly session: StreamSession
  /** The chunks `_write`/`_writev` is sending, and how far it got. */
  private pendingChunks: readonly Uint8Array[] | undefined
  private pendingIndex = 0
  private pendingOffset = 0
  /** The pending chunks are a copy of our own (small writes joined by `_writev`). */
  private pendingCopied = false
  /** The callback of the write under way (see `flush`). */
  private readonly completion: WriteCompletion
  /** Bytes of the session's memory budget held for data received and not yet read. */
  private reservedBytes = 0
  /** The remote reset the stream: nothing buffered is read any more. */
  private resetByRemote = false
  /** Small payloads of the read being handled (../muxer/gathered-payloads.ts); reserved, not yet pushed. */
  private readonly gathered = new GatheredPayloads()

  /** Bytes received and not yet read, as reserved from the memory budget (0 without one). */
  get bufferedBytes (): number {
    return this.reservedBytes
  }

  constructor (session: StreamSession, id: number, direction: 'inbound' | 'outbound') {
    super({ allowHalfOpen: true, decodeStrings: true, writableHighWaterMark: STREAM_WRITE_BUFFER_BYTES })
    this.session = session
    this.completion = new WriteCompletion(session.connection, callNow)
    this.id = id
    this.direction = direction
  }

  // ---- events from the session (remote frames) ----

  /** A Message frame's data segment for this stream. */
  onMessage (data: readonly Uint8Array[]): void {
    if (nextState(this.state, 'receiveMessage') === undefined) {
      if (this.state === StreamState.RemoteClosed) {
        this.destroy(new P2PError(MplexErrorCode.DATA_AFTER_CLOSE, `expected no data on stream ${this.id} after the remote closed it, got a Message`, { remote: true }))
      }
      return
    }
    let length = 0
    for (const chunk of data) length += chunk.length
    const unread = this.readableLength + this.gathered.length
    if (unread + length > this.session.maxStreamBufferSize) {
      // "the implementation must handle slow readers by ... Resetting the offending stream"
      this.destroy(new P2PError(MplexErrorCode.STREAM_BUFFER_OVERFLOW, `stream ${this.id} reset: its reader is ${unread} bytes behind and ${length} more arrived, over the ${this.session.maxStreamBufferSize}-byte limit`))
      return
    }
    const budget = this.session.memoryBudget
    this.releaseRead(budget)
    if (!this.session.reserveBuffer(this, length)) {
      // the connection's (or the node's) buffer memory is used up and no stream lags more than this one
      this.destroy(new P2PError('ERR_RESOURCE_LIMIT_EXCEEDED', `stream ${this.id} reset: ${length} more bytes arrived, but the connection's buffer memory has no room for them (${this.readableLength} unread on this stream, the most on the connection)`))
      return
    }
    this.reservedBytes += length
    if (length <= SMALL_PAYLOAD_BYTES) {
      if (this.gathered.length === 0) this.session.gathering(this)
      for (const chunk of data) this.gathered.add(chunk)
      return
    }
    this.pushGathered()
    for (const chunk of data) this.push(ownPayload(chunk))
    // a flowing reader may have taken them at once
    this.releaseRead(budget)
  }

  /** Hands the stream the small payloads gathered so far, as one buffer. */
  pushGathered (): void {
    const gathered = this.gathered.take()
    if (gathered === undefined || this.destroyed) return
    this.push(gathered)
    this.releaseRead(this.session.memoryBudget)
  }

  /** "Reading from a remote-closed stream should return all data send before closing the stream and then EOF thereafter." */
  onClose (): void {
    // a second Close from the remote is harmless: ignore it
    if (nextState(this.state, 'receiveClose') === undefined) return
    this.pushGathered()
    this.transition('receiveClose')
    this.push(null)
  }

  /** "All current and future reads and writes must return errors (*not* EOF)". */
  onReset (): void {
    if (isFinished(this.state)) return
    this.transition('receiveReset')
    this.resetByRemote = true
    this.destroy(new P2PError(MplexErrorCode.STREAM_RESET, `the remote reset stream ${this.id}`, { remote: true }))
  }

  /** The session ended under this stream: reset it locally, without sending anything; a stream whose remote half is complete keeps its data readable. */
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
      return
    }
    this.destroy(new P2PError(MplexErrorCode.STREAM_RESET, `stream ${this.id} reset: the session ended${cause === undefined ? '' : `: ${cause.message}`}`, { cause }))
  }

  // ---- node:stream hooks ----

  override _read (): void {
    // mplex has no window to reopen: data is pushed as it arrives
  }

  /** Every read (the application's, async iteration's, flowing mode's) gives back what it took. */
  override read (size?: number): ReturnType<Duplex['read']> {
    // "... and any data queued or in flight should be dropped": nothing
    // buffered is handed out after a reset (Node's destroy() keeps the buffer)
    if (this.resetByRemote) return null
    const chunk = super.read(size)
    if (this.reservedBytes > this.readableLength + this.gathered.length) this.releaseRead(this.session.memoryBudget)
    return chunk
  }

  override _write (chunk: Buffer, _encoding: BufferEncoding, callback: WriteCallback): void {
    this.writeChunks([chunk], callback)
  }

  /** Writes buffered while the connection was backed up: small ones are joined into one Message frame. */
  override _writev (chunks: Array<{ chunk: Buffer }>, callback: WriteCallback): void {
    // empty writes dropped: the last frame sent must be the write's last
    // chunk, whose connection callback (sent as a view) completes the write
    const list: Buffer[] = []
    let total = 0
    for (let i = 0; i < chunks.length; i++) {
      if (chunks[i].chunk.length === 0) continue
      list.push(chunks[i].chunk)
      total += chunks[i].chunk.length
    }
    if (total > MAX_SEND_MESSAGE_SIZE) {
      this.writeChunks(list, callback)
      return
    }
    this.writeChunks([Buffer.concat(list, total)], callback, true)
  }

  override _final (callback: WriteCallback): void {
    if (nextState(this.state, 'sendClose') === undefined) {
      callback(new P2PError(MplexErrorCode.STREAM_RESET, `stream ${this.id} was reset before it could be closed`))
      return
    }
    this.session.sendClose(this, callback)
    this.transition('sendClose')
  }

  override _destroy (err: Error | null, callback: (err?: Error | null) => void): void {
    if (!isFinished(this.state)) {
      // the interface: destroy() before both directions finished is a reset;
      // "Reset must not block": the frame is written at once, never queued
      // behind this stream's pending data, which is dropped
      this.session.sendReset(this)
      this.transition('sendReset')
    }
    // destroy runs once: what is still reserved goes back exactly once
    if (this.reservedBytes > 0) {
      this.session.memoryBudget.release(this.reservedBytes)
      this.reservedBytes = 0
    }
    this.pendingChunks = undefined
    // the error is made only when a write waits for it (a stack trace costs)
    if (this.completion.pending) this.completion.fail(err ?? new P2PError(MplexErrorCode.STREAM_RESET, `stream ${this.id} was destroyed while writing`))
    callback(err)
  }

  /** Sends frames of the pending write while the connection takes them; completes the write when all are out. */
  flush (): void {
    const chunks = this.pendingChunks
    if (chunks === undefined) return
    const session = this.session
    while (this.pendingIndex < chunks.length) {
      if (!session.writable || nextState(this.state, 'sendMessage') === undefined) {
        this.failWrite(session.writable
          ? new P2PError(MplexErrorCode.STREAM_RESET, `stream ${this.id} was reset while writing`)
          : new P2PError(MplexErrorCode.MUXER_CLOSED, `cannot write to stream ${this.id}: the session is closed`))
        return
      }
      if (session.blocked) {
        session.waitForDrain(this)
        return
      }
      const chunk = chunks[this.pendingIndex]
      const start = this.pendingOffset
      const end = Math.min(chunk.length, start + MAX_SEND_MESSAGE_SIZE)
      if (end === chunk.length) {
        this.pendingIndex++
        this.pendingOffset = 0
      } else {
        this.pendingOffset = end
      }
      if (end === start) continue
      const payload = start === 0 && end === chunk.length ? chunk : chunk.subarray(start, end)
      // larger payloads go to the connection as views of the writer's buffer (session.sendMessage)
      const written = this.completion.frame(!this.pendingCopied && end - start > COPY_PAYLOAD_MAX, this.pendingIndex === chunks.length)
      if (written !== undefined) this.pendingChunks = undefined
      session.sendMessage(this, payload, written)
      if (written !== undefined) return
    }
    // every payload was copied (or there was none): the writer's buffers are free now
    this.pendingChunks = undefined
    this.completion.complete()
  }

  // ---- internals ----

  /** `copied`: the chunks are our copy, not the writer's buffers, so the write need not wait for their seal. */
  private writeChunks (chunks: readonly Uint8Array[], callback: WriteCallback, copied = false): void {
    this.pendingChunks = chunks
    this.pendingCopied = copied
    this.pendingIndex = 0
    this.pendingOffset = 0
    this.completion.begin(callback)
    this.flush()
  }

  /** Gives back the reserved bytes the application has read (no longer in the readable buffer). */
  private releaseRead (budget: MemoryBudget): void {
    const read = this.reservedBytes - this.readableLength - this.gathered.length
    if (read <= 0) return
    this.reservedBytes -= read
    budget.release(read)
  }

  private failWrite (err: Error): void {
    this.pendingChunks = undefined
    this.completion.fail(err)
  }

  private transition (event: StreamEvent): void {
    const before = this.state
    this.state = nextState(before, event) ?? before
    if (!isFinished(before) && isFinished(this.state)) this.session.streamFinished(this)
  }
}

/** Completes an mplex write at once: mplex waits for 'drain' before it sends, not after. */
function callNow (callback: WriteCallback): void {
  callback()
}
