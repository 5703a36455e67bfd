// libp2p Noise wire format (libp2p/specs noise/README.md "Wire Format"):
//
//   | noise_message_len (2 bytes, big-endian) | noise_message |
//
// used for the handshake messages and the transport messages alike.
// `FrameDecoder` takes bytes in any chunking and returns whole messages,
// or undefined for "need more bytes"; it never throws for short input.

import { P2PError } from '../util/errors.js'
import { ByteQueue } from '../util/byte-queue.js'
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

export class FrameDecoder {
  private readonly queue = new ByteQueue()

  /**
   * @param minLength the shortest message this phase allows (16 for a
   * transport message: its AEAD tag); shorter ones throw `tooShortCode`.
   */
  constructor (private readonly minLength = 0, private readonly tooShortCode = 'ERR_NOISE_FRAME_TOO_SHORT') {}

  push (chunk: Uint8Array): void {
    this.queue.push(chunk)
  }

  /** Bytes queued but not yet returned as a message. */
  get buffered (): number {
    return this.queue.length
  }

  /** The next whole message, or undefined when more bytes are needed. */
  next (): Uint8Array | undefined {
    const length = this.nextLength()
    if (length === undefined) return undefined
    this.queue.skip(LENGTH_PREFIX_BYTES)
    return this.queue.take(length)
  }

  /**
   * The next whole message as the list of views of the pushed chunks it
   * spans (no copy), or undefined when more bytes are needed.
   */
  nextChunks (): Uint8Array[] | undefined {
    const length = this.nextLength()
    if (length === undefined) return undefined
    this.queue.skip(LENGTH_PREFIX_BYTES)
    return this.queue.takeChunks(length)
  }

  /** The length of the next message once all of it is queued, else undefined. */
  private nextLength (): number | undefined {
    if (this.queue.length < LENGTH_PREFIX_BYTES) return undefined
    const length = this.queue.byteAt(0) << 8 | this.queue.byteAt(1)
    if (length < this.minLength) {
      throw new P2PError(this.tooShortCode,
        `a Noise transport message is at least ${this.minLength} bytes (the AEAD tag), length prefix says ${length}`, { remote: true })
    }
    if (this.queue.length < LENGTH_PREFIX_BYTES + length) return undefined
    return length
  }
}
