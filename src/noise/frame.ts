// libp2p Noise wire format (libp2p/specs noise/README.md "Wire Format"):
//
//   | noise_message_len (2 bytes, big-endian) | noise_message |
//
// used for the handshake messages and the transport messages alike.
// `FrameDecoder` takes bytes in any chunking and hands on whole messages;
// it never throws for short input.

import { P2PError } from '../util/errors.js'
import { LENGTH_PREFIX_BYTES, MAX_NOISE_MESSAGE_LENGTH } from './constants.js'

/** The 2-byte prefix followed by `message`, as one array. */
export function encodeFrame (message: Uint8Array): Uint8Array {
  if (message.length > MAX_NOISE_MESSAGE_LENGTH) {
    throw new P2PError('ERR_NOISE_MESSAGE_TOO_LONG', `a Noise message holds at most ${MAX_NOISE_MESSAGE_LENGTH} bytes, got ${message.length}`)
  }
  const out = new Uint8Array(LENGTH_PREFIX_BYTES + message.length)
  out[0] = message.length >>> 8
  out[1] = message.length & 0xff
  out.set(message, LENGTH_PREFIX_BYTES)
  return out
}

/**
 * Cuts a byte stream into messages, whatever its chunking. Each message is
 * handed to a callback as a view, either of the chunk just pushed (a message
 * that lies whole in it: no copy) or of the decoder's own buffer (a message
 * that earlier chunks began). A view is valid only during the callback. The
 * bytes of a message the chunk leaves incomplete are copied, so the caller
 * may reuse the chunk's memory as soon as push() returns: the TCP transport
 * lends every read in one shared buffer (../util/lent-reads.ts).
 */
export class FrameDecoder {
  /** The message the last chunk cut off (prefix included); allocated only while there is one. */
  private partial: Uint8Array | undefined
  private partialFilled = 0

  /**
   * @param minLength the shortest message this phase allows (16 for a
   * transport message: its AEAD tag); shorter ones throw `tooShortCode`.
   */
  constructor (private readonly minLength = 0, private readonly tooShortCode = 'ERR_NOISE_FRAME_TOO_SHORT') {}

  /** Bytes of an incomplete message held from earlier chunks. */
  get buffered (): number {
    return this.partialFilled
  }

  /**
   * Calls `onMessage` for every message `chunk` completes, in order, and
   * keeps (copies) the start of the one it leaves incomplete. Throws
   * `tooShortCode` for a length prefix under `minLength`; messages before
   * it in the chunk have been delivered.
   */
  push (chunk: Uint8Array, onMessage: (message: Uint8Array) => void): void {
    let offset = this.partialFilled > 0 ? this.fillPartial(chunk, onMessage) : 0
    while (chunk.length - offset >= LENGTH_PREFIX_BYTES) {
      const end = offset + LENGTH_PREFIX_BYTES + this.messageLength(chunk[offset], chunk[offset + 1])
      if (end > chunk.length) break
      onMessage(chunk.subarray(offset + LENGTH_PREFIX_BYTES, end))
      offset = end
    }
    if (offset < chunk.length) {
      this.partial ??= Buffer.allocUnsafe(LENGTH_PREFIX_BYTES + MAX_NOISE_MESSAGE_LENGTH)
      this.partial.set(chunk.subarray(offset), 0)
      this.partialFilled = chunk.length - offset
    } else if (this.partialFilled === 0) {
      // a chunk that ends on a message boundary: an idle connection holds no buffer
      this.partial = undefined
    }
  }

  /** Completes the message in `partial` from the start of `chunk`; returns how many bytes it took. */
  private fillPartial (chunk: Uint8Array, onMessage: (message: Uint8Array) => void): number {
    const partial = this.partial as Uint8Array
    let taken = 0
    if (this.partialFilled < LENGTH_PREFIX_BYTES) {
      taken = Math.min(LENGTH_PREFIX_BYTES - this.partialFilled, chunk.length)
      partial.set(chunk.subarray(0, taken), this.partialFilled)
      this.partialFilled += taken
      if (this.partialFilled < LENGTH_PREFIX_BYTES) return taken
    }
    const total = LENGTH_PREFIX_BYTES + this.messageLength(partial[0], partial[1])
    const n = Math.min(total - this.partialFilled, chunk.length - taken)
    partial.set(chunk.subarray(taken, taken + n), this.partialFilled)
    this.partialFilled += n
    taken += n
    if (this.partialFilled === total) {
      this.partialFilled = 0
      onMessage(partial.subarray(LENGTH_PREFIX_BYTES, total))
    }
    return taken
  }

  /** The length a prefix announces, checked against `minLength`. */
  private messageLength (high: number, low: number): number {
    const length = high << 8 | low
    if (length < this.minLength) {
      throw new P2PError(this.tooShortCode,
        `a Noise transport message is at least ${this.minLength} bytes (the AEAD tag), length prefix says ${length}`, { remote: true })
    }
    return length
  }
}
