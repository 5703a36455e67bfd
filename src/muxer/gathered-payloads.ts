// Small payloads of one read, gathered into one buffer per stream: a
// memory-safety measure both muxers share, not a protocol rule.
//
// Every buffer a stream holds costs ~200 bytes of heap of its own (the
// Buffer, its ArrayBuffer, the readable queue's entry), while the limits on
// unread data (yamux's window, mplex's buffer, the memory budget) count
// payload bytes. A peer sending 1-byte payloads to a stream nobody reads
// (3 bytes each on the wire with mplex) would make each counted byte hold
// ~200: 4 MiB "buffered" held ~830 MiB. So payloads of at most
// SMALL_PAYLOAD_BYTES are copied into one buffer per stream while the
// session handles a read, and that one buffer is pushed when the read is
// handled (or before anything else reaches the stream: a larger payload,
// the end; and before the stream is announced, so that it is announced with
// its first bytes, ./announcement.ts). A stream then holds one buffer per
// read of the connection, each of which costs the peer a message of its own
// on the wire.

import { resetForListener } from '../util/emit-from-io.js'

/** Payloads this small are gathered; larger ones go to the stream as they are. */
export const SMALL_PAYLOAD_BYTES = 1024

/** The smallest buffer gathering starts with; it doubles as needed. */
const FIRST_BUFFER_BYTES = 256

export class GatheredPayloads {
  private buffer: Buffer | undefined
  private used = 0

  /** Bytes gathered and not yet taken. */
  get length (): number {
    return this.used
  }

  /** Copies `payload` in after what is already gathered. */
  add (payload: Uint8Array): void {
    const needed = this.used + payload.length
    if (this.buffer === undefined || needed > this.buffer.length) {
      // doubling: what is taken is never less than half its buffer
      let size = FIRST_BUFFER_BYTES
      while (size < needed) size *= 2
      const grown = Buffer.allocUnsafeSlow(size)
      if (this.buffer !== undefined) grown.set(this.buffer.subarray(0, this.used))
      this.buffer = grown
    }
    this.buffer.set(payload, this.used)
    this.used = needed
  }

  /** Everything gathered, in order, as one buffer; undefined when nothing is. Starts afresh. */
  take (): Uint8Array | undefined {
    const buffer = this.buffer
    if (buffer === undefined || this.used === 0) return undefined
    const taken = buffer.subarray(0, this.used)
    this.buffer = undefined
    this.used = 0
    return taken
  }
}

/** A stream that gathers: it pushes what it gathered when told. */
export interface GatheringStream {
  pushGathered: () => void
  destroy: () => void
}

/** A session's streams that gathered small payloads during the read being handled. */
export class GatheringStreams {
  private streams: GatheringStream[] = []

  add (stream: GatheringStream): void {
    this.streams.push(stream)
  }

  /**
   * The read is handled: each stream gets the small payloads gathered for
   * it, as one buffer. A 'data' listener that throws (push() runs it now)
   * has a bug of its own: that stream is reset, the others still get theirs.
   */
  pushAll (): void {
    const streams = this.streams
    if (streams.length === 0) return
    this.streams = []
    for (const stream of streams) {
      try {
        stream.pushGathered()
      } catch (err) {
        resetForListener(stream, err)
      }
    }
  }
}
