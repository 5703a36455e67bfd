// Reads exact byte counts from a node:stream Duplex during a negotiation or a
// handshake, and never reads a byte more than it is asked for.
//
// Why it exists: multistream-select and the Noise handshake run on a stream
// that the next layer takes over afterwards. If a negotiation pulled a whole
// chunk from the socket, the bytes after its last message (which belong to
// the next layer) would have to be pushed back, and that is impossible once
// the stream has ended. `readable.read(n)` takes exactly n bytes and leaves
// the rest in the stream's own buffer, so the next layer finds them there.
// Several negotiations can use one reader after another on the same stream.

import type { Duplex, Readable } from 'node:stream'
import { P2PError } from './errors.js'
import { decodeUvarint, MAX_VARINT_BYTES } from './varint.js'

/**
 * A time limit on all of a reader's waits together (a negotiation's, a
 * handshake's). Cheaper than an AbortSignal for it (an AbortController costs
 * ~3-5 µs to make in Node 20, and a connection runs several negotiations),
 * because the clock is only looked at, and a timer only set, while a read
 * waits.
 */
export interface ReadTimeLimit {
  /** When the time is up, on the performance.now() clock. */
  readonly expiresAt: number
  /** What a wait rejects with once the time is up. */
  readonly timeoutError: () => Error
}

/** A time limit of `timeoutMs` from now. */
export function readTimeLimit (timeoutMs: number, timeoutError: () => Error): ReadTimeLimit {
  return { expiresAt: performance.now() + timeoutMs, timeoutError }
}

/**
 * What a `take…` method returns: the value itself when the stream already
 * holds the bytes, else a promise of it. A negotiation's messages usually
 * arrive together (a header and a proposal in one packet), and an async
 * read of each cost a chain of promises and microtask turns (eight per
 * multistream message) where nothing had to wait. Callers write
 * `x instanceof Uint8Array ? x : await x` (for a number, `typeof`), since
 * awaiting a value that is not a promise still costs a turn. A take may
 * throw synchronously where the read would reject.
 */
export type Taken<T> = T | Promise<T>

export class StreamReader {
  constructor (readonly stream: Readable | Duplex, private readonly signal?: AbortSignal, private readonly timeLimit?: ReadTimeLimit) {}

  /** Resolves with exactly `n` bytes; rejects on EOF, error, close or abort. */
  async readExactly (n: number): Promise<Uint8Array> {
    return await this.takeExactly(n)
  }

  /**
   * Exactly `n` bytes: at once when the stream holds them, else a promise
   * (see `Taken`). Throws or rejects as readExactly does.
   */
  takeExactly (n: number): Taken<Uint8Array> {
    if (n === 0) return new Uint8Array(0)
    return this.takeBuffered(n) ?? this.waitFor(n)
  }

  /** Exactly `n` bytes if the stream has them buffered, else null (nothing taken). */
  private takeBuffered (n: number): Uint8Array | null {
    this.signal?.throwIfAborted()
    const chunk = this.stream.read(n) as Uint8Array | null
    return chunk === null ? null : checkLength(chunk, n)
  }

  /**
   * Reads an unsigned varint, one byte at a time so nothing is over-read. A
   * byte already buffered is taken at once: awaiting readExactly for each
   * would cost a promise and a microtask turn per byte.
   */
  async readUvarint (maxBytes = MAX_VARINT_BYTES): Promise<number> {
    return await this.takeUvarint(new Uint8Array(maxBytes), 0)
  }

  /** The varint whose bytes go to bytes[from] on: at once while they are buffered, then as a promise. */
  private takeUvarint (bytes: Uint8Array, from: number): Taken<number> {
    for (let i = from; i < bytes.length; i++) {
      const byte = this.takeBuffered(1)
      if (byte === null) return this.waitForUvarint(bytes, i)
      bytes[i] = byte[0]
      if ((bytes[i] & 0x80) === 0) return varintValue(bytes, i + 1)
    }
    return varintValue(bytes, bytes.length)
  }

  private waitForUvarint (bytes: Uint8Array, at: number): Promise<number> {
    return this.waitFor(1).then(byte => {
      bytes[at] = byte[0]
      if ((bytes[at] & 0x80) === 0) return varintValue(bytes, at + 1)
      return this.takeUvarint(bytes, at + 1)
    })
  }

  /**
   * Reads a varint length, then that many bytes. A length above `maxLength`
   * throws `tooLongCode` before anything of the body is read.
   */
  async readLengthPrefixed (maxLength: number, tooLongCode = 'ERR_MESSAGE_TOO_LONG'): Promise<Uint8Array> {
    return await this.takeLengthPrefixed(maxLength, tooLongCode)
  }

  /** readLengthPrefixed, the message at once when the stream holds all of it (see `Taken`). */
  takeLengthPrefixed (maxLength: number, tooLongCode = 'ERR_MESSAGE_TOO_LONG'): Taken<Uint8Array> {
    const length = this.takeUvarint(new Uint8Array(MAX_VARINT_BYTES), 0)
    if (typeof length !== 'number') return length.then(n => this.takeBody(n, maxLength, tooLongCode))
    return this.takeBody(length, maxLength, tooLongCode)
  }

  private takeBody (length: number, maxLength: number, tooLongCode: string): Taken<Uint8Array> {
    if (length > maxLength) {
      throw new P2PError(tooLongCode, `length prefix says ${length} bytes, limit is ${maxLength}`, { remote: true })
    }
    return this.takeExactly(length)
  }

  /**
   * Waits until `read(n)` succeeds. The 'readable' listener stays attached
   * for the whole wait: attaching it while bytes are buffered fires it at
   * once, so re-attaching it in a loop would spin without ever yielding.
   * Not an async function (a promise fewer per wait): a stream already
   * over, or a time limit already spent, throws at once (see `Taken`).
   */
  private waitFor (n: number): Promise<Uint8Array> {
    const stream = this.stream
    if (stream.readableEnded || stream.destroyed) {
      throw stream.errored ?? new P2PError('ERR_UNEXPECTED_EOF', `stream closed while ${n} bytes were expected`, { remote: true })
    }
    const timeLimit = this.timeLimit
    const remainingMs = timeLimit === undefined ? Infinity : timeLimit.expiresAt - performance.now()
    if (timeLimit !== undefined && remainingMs <= 0) throw timeLimit.timeoutError()
    return new Promise<Uint8Array>((resolve, reject) => {
      const cleanup = (): void => {
        stream.off('readable', onReadable)
        stream.off('end', onEnd)
        stream.off('error', onError)
        stream.off('close', onClose)
        this.signal?.removeEventListener('abort', onAbort)
        if (timer !== undefined) clearTimeout(timer)
      }
      const onReadable = (): void => {
        const chunk = stream.read(n) as Uint8Array | null
        if (chunk === null) return
        cleanup()
        try {
          resolve(checkLength(chunk, n))
        } catch (err) {
          reject(err)
        }
      }
      const onEnd = (): void => {
        cleanup()
        reject(new P2PError('ERR_UNEXPECTED_EOF', `stream ended while ${n} bytes were expected`, { remote: true }))
      }
      const onError = (err: Error): void => { cleanup(); reject(err) }
      const onClose = (): void => {
        cleanup()
        reject(stream.errored ?? new P2PError('ERR_UNEXPECTED_EOF', `stream closed while ${n} bytes were expected`, { remote: true }))
      }
      const onAbort = (): void => {
        cleanup()
        reject(this.signal?.reason ?? new P2PError('ERR_ABORTED', 'aborted'))
      }
      const timer = timeLimit === undefined
        ? undefined
        : setTimeout(() => { cleanup(); reject(timeLimit.timeoutError()) }, remainingMs)
      stream.on('readable', onReadable)
      stream.on('end', onEnd)
      stream.on('error', onError)
      stream.on('close', onClose)
      this.signal?.addEventListener('abort', onAbort)
    })
  }
}

/**
 * The value of the varint in bytes[0, end): its last byte ends it, or, when
 * every byte continues, decodeUvarint throws the typed error for an
 * over-long varint (as for a non-minimal one).
 */
function varintValue (bytes: Uint8Array, end: number): number {
  const decoded = decodeUvarint(bytes.subarray(0, end), 0, end)
  if (decoded === undefined) throw new Error('unreachable: decodeUvarint had the whole varint')
  return decoded.value
}

/** `read(n)` returns fewer than n bytes only when the stream has ended. */
function checkLength (chunk: Uint8Array, n: number): Uint8Array {
  if (chunk.length < n) {
    throw new P2PError('ERR_UNEXPECTED_EOF', `stream ended after ${chunk.length} of ${n} expected bytes`, { remote: true })
  }
  return chunk
}
