// The interface every stream multiplexer (yamux, mplex) offers to the
// upgrader and the switch. One conformance suite (test/muxer) runs against
// each implementation.
//
// A stream is a node:stream Duplex (../shared/DESIGN.md "Streams"):
//   write()/end()   send data / half-close (yamux FIN, mplex Close)
//   destroy()       before both directions finished: reset (yamux RST, mplex Reset)
//   destroy(err)    reset, and `err` is emitted locally
//   a remote reset  destroys the stream with P2PError ERR_STREAM_RESET
//   a remote half-close ends the readable side ('end')
//
// Memory: a muxer given a MemoryBudget reserves from it every byte the remote
// may make it buffer (yamux: the receive windows it grants; mplex, which has
// no flow control: the bytes received and not yet read) and gives them back
// when they are read or the stream ends. The budget says no instead of
// throwing; the muxer then refuses the stream (RST / Reset) or, for a window
// that would grow, simply does not grow it. A session created without one
// makes its own, of a node's default share per connection
// (./session-budget.ts).

import type { Duplex } from 'node:stream'
import type { EventEmitter } from 'node:events'

/**
 * The writable buffer of a muxed stream (its writableHighWaterMark): what a
 * writer may queue before write() returns false. A stream calls a large
 * write back only once the layer below has handled it, a turn later
 * (./write-completion.ts), so the buffer must hold a whole turn's
 * worth for bulk data to keep flowing: one Noise seal batch
 * (../noise/secure-stream.ts SEAL_BATCH_MESSAGES, 1 MiB to a writev). With
 * Node's 16 KiB default a 64 KiB writer waited after every chunk, and each
 * chunk went to the socket in a writev of its own (a quarter more sender
 * CPU per MiB, a sixth less throughput, in one set of A/B runs).
 * These are references to the writer's buffers, not copies.
 */
export const STREAM_WRITE_BUFFER_BYTES = 1024 * 1024

export interface MuxedStream extends Duplex {
  /** The stream ID on the wire (yamux: odd = client-opened; mplex: per side). */
  readonly id: number
  readonly direction: 'inbound' | 'outbound'
  /** Set by whoever negotiated the application protocol on this stream. */
  protocol?: string
}

/**
 * Events:
 *   'stream' (stream: MuxedStream)  the remote opened a stream; announced after
 *                                   the frames of that stream right behind its
 *                                   opening in the same read, so its first data
 *                                   is buffered (a stream reset among them is
 *                                   not announced); a frame of another stream
 *                                   announces it at once
 *   'close'  (err?: Error)          the session is finished; every stream is closed or reset
 */
export interface StreamMuxer extends EventEmitter {
  /** The multistream protocol ID, e.g. '/yamux/1.0.0'. */
  readonly protocol: string
  /** Opens an outbound stream; throws a P2PError when the session is closed or over its limit. */
  newStream: () => MuxedStream
  /** The streams currently open (either direction). */
  readonly streams: readonly MuxedStream[]
  /** Graceful: stop new streams (yamux GoAway), end every stream, resolve once the session has closed. */
  close: () => Promise<void>
  /** Immediate: reset every stream, tear the session down with `err`. */
  abort: (err: Error) => void
}

/**
 * Bytes a muxer may hold for the remote, usually one connection's share of
 * the node's memory (src/resources/memory.ts). Hot paths call it: it must not
 * allocate, block or throw.
 */
export interface MemoryBudget {
  /** Reserves `bytes`; false (and nothing reserved) when they do not fit. */
  reserve: (bytes: number) => boolean
  /** Gives back `bytes` reserved earlier. */
  release: (bytes: number) => void
}

export interface StreamMuxerFactory {
  readonly protocol: string
  /** Starts a session over `connection` (a secured channel), buffering within `memoryBudget` when given. */
  create: (connection: Duplex, options: { initiator: boolean, memoryBudget?: MemoryBudget }) => StreamMuxer
}
