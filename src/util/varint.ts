// Unsigned varints as the multiformats unsigned-varint spec defines them
// (github.com/multiformats/unsigned-varint): 7 bits per byte, least
// significant group first, high bit set on every byte but the last.
//
// Encoding uses uint8-varint. Decoding is ours because a stream decoder must
// tell "need more bytes" (returns undefined) from "these bytes are wrong"
// (throws), and uint8-varint cannot.

import { encode, encodingLength } from 'uint8-varint'
import { P2PError } from './errors.js'

/**
 * The spec: "the maximum length of a varint is 9 bytes" (63 bits of value).
 * We stop at JavaScript's safe integer range (2^53 - 1, 8 bytes), which is
 * enough for every length and code in libp2p.
 */
export const MAX_VARINT_BYTES = 9

/**
 * Protocol Buffers' base 128 varints (mplex's header and length: "an
 * unsigned base128 varint, as defined in the protocol buffers spec") may be
 * up to 10 bytes and need not be minimal: a decoder accepts padding
 * (0x81 0x00 is 1), as Go's binary.ReadUvarint does.
 */
export const PROTOBUF_MAX_VARINT_BYTES = 10

export function encodeUvarint (value: number): Uint8Array {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new P2PError('ERR_INVALID_VARINT', `cannot encode ${value} as an unsigned varint: expected a non-negative safe integer`)
  }
  return encode(value)
}

export function uvarintLength (value: number): number {
  return encodingLength(value)
}

/** Writes `value` into `buf` at `offset`; returns the offset after it. */
export function writeUvarint (value: number, buf: Uint8Array, offset: number): number {
  while (value >= 0x80) {
    buf[offset++] = (value % 0x80) | 0x80
    value = Math.floor(value / 0x80)
  }
  buf[offset++] = value
  return offset
}

export interface DecodedUvarint {
  value: number
  /** How many bytes the varint took. */
  bytes: number
}

/**
 * Reads a varint from `buf` at `offset`. Returns undefined when the buffer
 * ends before the varint does; throws ERR_INVALID_VARINT when the varint is
 * longer than `maxBytes`, not minimally encoded (the spec: "MUST be minimally
 * encoded"; `minimal` false allows padding, for Protocol Buffers' varints),
 * or beyond the safe integer range.
 */
export function decodeUvarint (buf: Uint8Array, offset = 0, maxBytes = MAX_VARINT_BYTES, minimal = true): DecodedUvarint | undefined {
  let value = 0
  let scale = 1
  for (let i = 0; i < maxBytes; i++) {
    if (offset + i >= buf.length) return undefined
    const byte = buf[offset + i]
    value += (byte & 0x7f) * scale
    if ((byte & 0x80) === 0) {
      if (minimal && byte === 0 && i > 0) {
        throw new P2PError('ERR_INVALID_VARINT', `varint at offset ${offset} is not minimally encoded (trailing zero byte)`, { remote: true })
      }
      if (!Number.isSafeInteger(value)) {
        throw new P2PError('ERR_INVALID_VARINT', `varint at offset ${offset} exceeds 2^53 - 1`, { remote: true })
      }
      return { value, bytes: i + 1 }
    }
    scale *= 0x80
  }
  throw new P2PError('ERR_INVALID_VARINT', `varint at offset ${offset} is longer than ${maxBytes} bytes`, { remote: true })
}
