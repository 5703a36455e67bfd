// Memory accounts: the bytes remotes can make us buffer, per connection and
// in total (issue 9 "memory: buffered bytes per stream, per connection and in
// total"; go-libp2p's resource manager calls these "memory reservations").
//
// Theory of operation. The node has one MemoryTotal (maxBufferBytes); each
// connection gets a ConnectionMemory account from it (maxConnectionBufferBytes)
// and hands that to its muxer as a MemoryBudget (src/muxer/types.ts):
//
//   muxer ──reserve(n)──> connection account ──n fits?──> total ──n fits?──> true
//                               │ no                          │ no
//                               └── false, counted ───────────┴── false, counted
//
// A reservation must fit in both; a refusal reserves nothing, throws nothing
// and is counted under the limit that refused it. release(n) gives bytes back
// to both. close() (the connection is gone) gives back whatever the account
// still holds, at once, and makes it inert: a later release() does nothing and
// a later reserve() fails, so a stream that lets go after its connection closed
// can never count twice. No I/O, no allocation per call: the muxers call this
// for every stream they open and every window they grow.

import type { MemoryBudget } from '../muxer/types.js'

/** The memory limits a refusal can name (see ./limits.ts). */
export type MemoryLimitName = 'maxConnectionBufferBytes' | 'maxBufferBytes'

/** One connection's share of the node's buffer memory. */
export interface ConnectionMemory extends MemoryBudget {
  /** Bytes this connection holds reserved now. */
  readonly reserved: number
  /** The connection closed: give back all it still holds; afterwards reserve() fails and release() does nothing. */
  close: () => void
}

/** The node's total: every connection account reserves through it. */
export class MemoryTotal {
  /** Bytes reserved over all connections now. */
  reserved = 0

  constructor (
    readonly limit: number,
    private readonly onRefused: (limit: MemoryLimitName) => void
  ) {}

  /** A new account for one connection, holding at most `limit` bytes of this total. */
  openAccount (limit: number): ConnectionMemory {
    return new MemoryAccount(limit, this)
  }

  /** For MemoryAccount: takes `bytes` from the total, or counts the refusal. */
  take (bytes: number): boolean {
    if (this.reserved + bytes > this.limit) {
      this.onRefused('maxBufferBytes')
      return false
    }
    this.reserved += bytes
    return true
  }

  /** For MemoryAccount: gives `bytes` back to the total. */
  give (bytes: number): void {
    this.reserved -= bytes
  }

  /** For MemoryAccount: counts a refusal by a connection's own limit. */
  refused (limit: MemoryLimitName): void {
    this.onRefused(limit)
  }
}

class MemoryAccount implements ConnectionMemory {
  reserved = 0
  private closed = false

  constructor (private readonly limit: number, private readonly total: MemoryTotal) {}

  reserve (bytes: number): boolean {
    if (bytes === 0) return true
    // NaN, negative or after close: nothing can be reserved
    if (!(bytes > 0) || this.closed) return false
    if (this.reserved + bytes > this.limit) {
      this.total.refused('maxConnectionBufferBytes')
      return false
    }
    if (!this.total.take(bytes)) return false
    this.reserved += bytes
    return true
  }

  release (bytes: number): void {
    // never below zero: giving back more than was taken (a muxer bug) must not
    // lend the surplus to other connections through the total
    const n = Math.min(bytes, this.reserved)
    if (!(n > 0)) return
    this.reserved -= n
    this.total.give(n)
  }

  close (): void {
    this.release(this.reserved)
    this.closed = true
  }
}
