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
//   completes the write once the last frame is out. That wait is the only
//   backpressure mplex has, and it holds each writer to one chunk in flight.
//   `end()` sends Close; `destroy()` before both sides closed sends Reset.
//   Receiving: Message payloads are pushed as views of the received chunks.
//   "Due to the lack of back pressure at the protocol level, the
//   implementation must handle slow readers by doing one or both of: 1.
//   Blocking the entire connection until the offending stream is read. 2.
//   Resetting the offending stream." We never block the connection (that
//   would stall every stream): a stream whose unread bytes would pass
//   `maxStreamBufferSize` is reset with ERR_MPLEX_STREAM_BUFFER_OVERFLOW.

import { Duplex } from 'node:stream'
import { P2PError } from '../util/errors.js'
import type { MuxedStream } from '../muxer/types.js'
import { MAX_SEND_MESSAGE_SIZE } from './constants.js'
import { MplexErrorCode } from './errors.js'
import { StreamState, isFinished, nextState, type StreamEvent } from './stream-state.js'

type WriteCallback = (err?: Error | null) => void

/** What a stream needs from its session (implemented by MplexSession). */
export interface StreamSession {
  readonly maxStreamBufferSize: number
  /** False once the session is closed. */
  readonly writable: boolean
  /** True while the connection is backed up (its write() returned false and 'drain' has not come). */
  readonly blocked: boolean
  /** Sends one Message frame. */
  sendMessage: (stream: MplexStream, payload: Uint8Array) => void
  /** Calls `stream.flush()` after the connection's next 'drain'. */
  waitForDrain: (stream: MplexStream) => void
  sendClose: (stream: MplexStream, callback: WriteCallback) => void
  sendReset: (stream: MplexStream) => void
  /** The stream finished on the wire (both Closes or a reset): forget its ID. */
  streamFinished: (stream: MplexStream) => void
}

export class MplexStream extends Duplex implements MuxedStream {
  readonly id: number
  readonly direction: 'inbound' | 'outbound'
  protocol?: string
  state: StreamState = StreamState.Open

  private readonly session: StreamSession
  /** The chunks `_write`/`_writev` is sending, and how far it got. */
  private pendingChunks: readonly Uint8Array[] | undefined
  private pendingIndex = 0
  private pendingOffset = 0
  private pendingCallback: WriteCallback | undefined

  constructor (session: StreamSession, id: number, direction: 'inbound' | 'outbound') {
    super({ allowHalfOpen: true, decodeStrings: true })
    this.session = session
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
    if (this.readableLength + length > this.session.maxStreamBufferSize) {
      // "the implementation must handle slow readers by ... Resetting the offending stream"
      this.destroy(new P2PError(MplexErrorCode.STREAM_BUFFER_OVERFLOW, `stream ${this.id} reset: its reader is ${this.readableLength} bytes behind and ${length} more arrived, over the ${this.session.maxStreamBufferSize}-byte limit`))
      return
    }
    for (const chunk of data) this.push(chunk)
  }

  /** "Reading from a remote-closed stream should return all data send before closing the stream and then EOF thereafter." */
  onClose (): void {
    // a second Close from the remote is harmless: ignore it
    if (nextState(this.state, 'receiveClose') === undefined) return
    this.transition('receiveClose')
    this.push(null)
  }

  /** "All current and future reads and writes must return errors (*not* EOF)". */
  onReset (): void {
    if (isFinished(this.state)) return
    this.transition('receiveReset')
    this.destroy(new P2PError(MplexErrorCode.STREAM_RESET, `the remote reset stream ${this.id}`, { remote: true }))
  }

  /** The session ended under this stream: reset it locally, without sending anything. */
  abortLocally (cause?: Error): void {
    if (this.destroyed) return
    const wasFinished = isFinished(this.state)
    this.state = StreamState.Reset
    if (wasFinished && cause === undefined) {
      this.destroy()
      return
    }
    this.destroy(new P2PError(MplexErrorCode.STREAM_RESET, `stream ${this.id} reset: the session ended${cause === undefined ? '' : `: ${cause.message}`}`, { cause }))
  }

  // ---- node:stream hooks ----

  override _read (): void {
    // mplex has no window to reopen: data is pushed as it arrives
  }

  override _write (chunk: Buffer, _encoding: BufferEncoding, callback: WriteCallback): void {
    this.writeChunks([chunk], callback)
  }

  /** Writes buffered while the connection was backed up: small ones are joined into one Message frame. */
  override _writev (chunks: Array<{ chunk: Buffer }>, callback: WriteCallback): void {
    const list: Buffer[] = new Array(chunks.length)
    let total = 0
    for (let i = 0; i < chunks.length; i++) {
      list[i] = chunks[i].chunk
      total += list[i].length
    }
    this.writeChunks(total <= MAX_SEND_MESSAGE_SIZE ? [Buffer.concat(list, total)] : list, callback)
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
    const pending = this.pendingCallback
    this.pendingChunks = undefined
    this.pendingCallback = undefined
    pending?.(err ?? new P2PError(MplexErrorCode.STREAM_RESET, `stream ${this.id} was destroyed while writing`))
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
      const end = Math.min(chunk.length, this.pendingOffset + MAX_SEND_MESSAGE_SIZE)
      if (end > this.pendingOffset) {
        session.sendMessage(this, this.pendingOffset === 0 && end === chunk.length ? chunk : chunk.subarray(this.pendingOffset, end))
      }
      if (end === chunk.length) {
        this.pendingIndex++
        this.pendingOffset = 0
      } else {
        this.pendingOffset = end
      }
    }
    const callback = this.pendingCallback
    this.pendingChunks = undefined
    this.pendingCallback = undefined
    callback?.()
  }

  // ---- internals ----

  private writeChunks (chunks: readonly Uint8Array[], callback: WriteCallback): void {
    this.pendingChunks = chunks
    this.pendingIndex = 0
    this.pendingOffset = 0
    this.pendingCallback = callback
    this.flush()
  }

  private failWrite (err: Error): void {
    const callback = this.pendingCallback
    this.pendingChunks = undefined
    this.pendingCallback = undefined
    callback?.(err)
  }

  private transition (event: StreamEvent): void {
    const before = this.state
    this.state = nextState(before, event) ?? before
    if (!isFinished(before) && isFinished(this.state)) this.session.streamFinished(this)
  }
}
