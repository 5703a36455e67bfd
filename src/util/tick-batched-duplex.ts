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
// the cork the whole tick's writes go down as one batch. Microtasks run
// before process.nextTick callbacks, so a writer looping over resolved
// promises (`await` a write that did not need to wait) stays in one tick.
//
// Only writes of at least TICK_BATCH_FROM_BYTES cork: smaller ones are
// copied by the muxers (yamux up to 16 KiB, mplex up to 4 KiB) and called
// back at once, so they never made later writes wait, and they go down in
// the same call as before (a listener's first write acknowledges a yamux
// stream at once, as it did).
//
// Ending uncorks (Node's end() does), so a write followed by end() in the
// same tick loses nothing; destroy() drops what is still corked, as it drops
// every buffered write.

import { Duplex } from 'node:stream'

type WriteCallback = (err?: Error | null) => void

/** Writes from this size on cork the stream until the end of the tick (see above). */
export const TICK_BATCH_FROM_BYTES = 4096

export class TickBatchedDuplex extends Duplex {
  /** cork() was called for this tick and its uncork is scheduled. */
  private corkedForTick = false

  override write (chunk: unknown, encoding?: BufferEncoding | WriteCallback, callback?: WriteCallback): boolean {
    if (!this.corkedForTick && (chunk instanceof Uint8Array || typeof chunk === 'string') && chunk.length >= TICK_BATCH_FROM_BYTES) {
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
