// A Duplex whose writes of one tick reach its _writev together (Node's
// writable.cork() pattern, applied to every write: cork at the first write
// of a tick, uncork on process.nextTick).
//
// Why. A muxed stream calls a write back only once the layer below has
// handled the bytes (a large payload goes down as a view of the writer's
// buffer, and Node's contract lets the writer refill the buffer as soon as
// it is called back). A writer that fills the stream's buffer and waits for
// 'drain' then writes its next chunks in one tick, but without the cork the
// first of them went to _write alone, and the rest to _writev only after
// that one was handled: every batch was cut in two, a lone chunk and the
// rest, sealed and written to the socket apart (twice the writev calls). With
// the cork the whole tick's writes go down as one batch. A writer that
// loops synchronously stays in one tick; so does one resumed by a promise
// (after 'drain') that awaits writes which did not need to wait: once
// microtasks run, Node runs them all before the next nextTick callback.
// (One that awaits between writes from a plain callback sends its first
// write alone, since Node runs the nextTick queue before microtasks there:
// slower, never wrong.)
//
// Only writes larger than TICK_BATCH_ABOVE_BYTES cork: the muxers copy
// smaller payloads (mplex up to 4 KiB, yamux up to 16 KiB) and call them
// back without waiting for the connection, so they never made later writes
// wait for a seal, and they go down in
// the same call as before (a listener's first write acknowledges a yamux
// stream at once, as it did).
//
// Ending uncorks (Node's end() does), so a write followed by end() in the
// same tick loses nothing; destroy() drops what is still corked, as it drops
// every buffered write.

import { Duplex } from 'node:stream'

type WriteCallback = (err?: Error | null) => void

/** Writes larger than this cork the stream until the end of the tick (see above; a string's length counts characters, near enough). */
export const TICK_BATCH_ABOVE_BYTES = 4096

export class TickBatchedDuplex extends Duplex {
  /** cork() was called for this tick and its uncork is scheduled. */
  private corkedForTick = false

  override write (chunk: unknown, encoding?: BufferEncoding | WriteCallback, callback?: WriteCallback): boolean {
    if (!this.corkedForTick && (chunk instanceof Uint8Array || typeof chunk === 'string') && chunk.length > TICK_BATCH_ABOVE_BYTES) {
      this.corkedForTick = true
      this.cork()
      process.nextTick(uncorkAfterTick, this)
    }
    return super.write(chunk, encoding as BufferEncoding, callback)
  }

  /** Called once per tick that wrote (see uncorkAfterTick). */
  releaseTick (): void {
    this.corkedForTick = false
    // end() may have uncorked already: uncork() below zero does nothing
    this.uncork()
  }
}

/** A module-level function, not a closure per tick. */
function uncorkAfterTick (stream: TickBatchedDuplex): void {
  stream.releaseTick()
}
