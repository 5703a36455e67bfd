// A queue of received chunks that a frame decoder reads from without
// concatenating everything first (../shared/DESIGN.md "Shared helpers").
//
// It is the one place where a list of chunks lives: decoders ask for a
// contiguous view of the next n bytes (`peek`), or take them (`take`), and
// whatever is not taken stays queued, so no byte is ever lost between frames.

const EMPTY = new Uint8Array(0)

/** Consumed chunks at the front are dropped once there are this many and they are half the array. */
const COMPACT_FROM = 64

export class ByteQueue {
  /** Queued chunks; those before `first` are consumed (dropped in bulk, see skip()). */
  private chunks: Uint8Array[] = []
  /** Index in `chunks` of the next chunk to read. */
  private first = 0
  /** Bytes of chunks[first] already consumed. */
  private head = 0
  private total = 0

  get length (): number {
    return this.total
  }

  push (chunk: Uint8Array): void {
    if (chunk.length === 0) return
    this.chunks.push(chunk)
    this.total += chunk.length
  }

  /** The byte at `index` (0 = the next unread byte). Caller checks `length`. */
  byteAt (index: number): number {
    let i = index + this.head
    for (let c = this.first; c < this.chunks.length; c++) {
      const chunk = this.chunks[c]
      if (i < chunk.length) return chunk[i]
      i -= chunk.length
    }
    throw new RangeError(`byteAt(${index}) beyond queued ${this.total} bytes`)
  }

  /**
   * A contiguous view of the next `n` bytes without consuming them, or
   * undefined when fewer are queued. No copy when they lie in one chunk.
   */
  peek (n: number): Uint8Array | undefined {
    if (n > this.total) return undefined
    const first = this.chunks[this.first]
    if (first !== undefined && first.length - this.head >= n) {
      return first.subarray(this.head, this.head + n)
    }
    return this.copy(n)
  }

  /** Consumes and returns the next `n` bytes (undefined when fewer are queued). */
  take (n: number): Uint8Array | undefined {
    const out = this.peek(n)
    if (out !== undefined) this.skip(n)
    return out
  }

  /**
   * Consumes the next `n` bytes as a list of chunk views (no copy), for
   * payloads that are passed on rather than parsed.
   */
  takeChunks (n: number): Uint8Array[] | undefined {
    if (n > this.total) return undefined
    const out: Uint8Array[] = []
    let left = n
    while (left > 0) {
      const chunk = this.chunks[this.first]
      const available = chunk.length - this.head
      const size = Math.min(available, left)
      out.push(chunk.subarray(this.head, this.head + size))
      this.skip(size)
      left -= size
    }
    return out
  }

  /** Consumes everything queued, as one array. */
  takeAll (): Uint8Array {
    return this.take(this.total) ?? new Uint8Array(0)
  }

  skip (n: number): void {
    if (n > this.total) throw new RangeError(`skip(${n}) beyond queued ${this.total} bytes`)
    this.total -= n
    while (n > 0) {
      const chunk = this.chunks[this.first]
      const available = chunk.length - this.head
      if (n < available) {
        this.head += n
        return
      }
      n -= available
      // not shift(): on a long array each shift copies the rest, and a peer
      // that sends many tiny messages would make consuming them quadratic
      this.chunks[this.first++] = EMPTY
      this.head = 0
    }
    if (this.first === this.chunks.length) {
      // all consumed (the usual case): the same array, emptied, no garbage
      this.chunks.length = 0
      this.first = 0
    } else if (this.first >= COMPACT_FROM && this.first * 2 >= this.chunks.length) {
      // the consumed front is most of the array: drop it (amortised O(1) per chunk)
      this.chunks = this.chunks.slice(this.first)
      this.first = 0
    }
  }

  private copy (n: number): Uint8Array {
    const out = new Uint8Array(n)
    let written = 0
    let head = this.head
    for (let c = this.first; c < this.chunks.length; c++) {
      const chunk = this.chunks[c]
      const size = Math.min(chunk.length - head, n - written)
      out.set(chunk.subarray(head, head + size), written)
      written += size
      head = 0
      if (written === n) break
    }
    return out
  }
}
