// When a muxer tells its user about an inbound stream (the 'stream' event,
// ./types.ts). Not a protocol rule: a performance measure both muxers share.
//
// A stream's first data usually comes right behind its opening frame in the
// same read (an optimistic dialer's multistream header and proposal). Held
// back until the frames of that stream which follow its opening are
// handled, the stream is announced with those bytes already buffered, and
// its handler takes them at once instead of waiting for them. A frame of any
// other stream announces it first, so a burst of openings reaches the user
// one stream at a time (and over a limit is refused one at a time). A stream
// reset before it is announced never is.
//
// A 'stream' listener that throws has a bug of its own, not the remote's:
// the session goes on, the stream it was given is reset (nobody handles
// it), and the exception is thrown again outside the session's input
// handling, where it is uncaught, as a throwing listener of any Node event
// emitted from I/O would be. Whether the announcement came in the middle of
// a read or at its end makes no difference.

import type { EventEmitter } from 'node:events'
import { emitFromIo } from '../util/emit-from-io.js'
import type { GatheringStream } from './gathered-payloads.js'
import type { MuxedStream } from './types.js'

/** A stream as a session holds it back: one that may have small payloads gathered (./gathered-payloads.ts). */
type HeldStream = MuxedStream & GatheringStream

export class StreamAnnouncement {
  private pending: HeldStream | undefined

  constructor (private readonly session: EventEmitter) {}

  /** The ID of the stream held back, if any. */
  get pendingId (): number | undefined {
    return this.pending?.id
  }

  /** Holds `stream` back, announcing the one held before it. */
  hold (stream: HeldStream): void {
    // until it is announced nobody listens: a reset or the session's end in
    // this same read must not become an uncaught 'error'
    stream.on('error', ignoreUnannounced)
    this.announce()
    this.pending = stream
  }

  /**
   * The session ended: the stream held back is never announced (its user
   * would be told of it on a dead session). Returns it, for the session to
   * reset with the rest; it keeps its quiet 'error' listener.
   */
  discard (): HeldStream | undefined {
    const stream = this.pending
    this.pending = undefined
    return stream
  }

  /** Emits 'stream' for the stream held back, unless it was destroyed meanwhile. */
  announce (): void {
    const stream = this.pending
    if (stream === undefined) return
    this.pending = undefined
    if (stream.destroyed) return
    // announced with its bytes: what the read gathered for it so far goes
    // to it first (nobody listens yet, so no listener of ours can throw)
    stream.pushGathered()
    stream.off('error', ignoreUnannounced)
    // a listener that threw left the stream unhandled: reset it
    if (!emitFromIo(this.session, 'stream', stream)) stream.destroy()
  }
}

/** The 'error' listener of a stream not yet announced (one destroyed unannounced keeps it). */
function ignoreUnannounced (): void {}
