// The protobuf wire format, as much of it as libp2p's small messages need
// (protobuf.dev "Encoding": varints, the tag = field_number << 3 | wire_type
// key, length-delimited fields).
//
// Theory of operation: a message is a flat list of fields, each a key varint
// followed by a value whose shape the wire type gives: VARINT (0), I64 (1),
// LEN (2, a varint length then that many bytes), I32 (5). Groups (3, 4) are
// deprecated and never appear in libp2p messages, so they are rejected.
// `readFields` walks the list and hands every field to the caller, who keeps
// the ones it knows; unknown fields are skipped, as the encoding guide asks
// ("parsers ... must skip unknown fields"). The writer emits fields in the
// order it is called, so a message's encoder fixes the byte order.
//
// Errors are thrown with the caller's code (each message has its own
// ERR_..._INVALID_MESSAGE, e.g. ERR_NOISE_INVALID_PAYLOAD), since a malformed
// field means a malformed message; the optional `what` names that message in
// the error text ("invalid NoiseHandshakePayload: ...").
//
// Used by the Noise handshake payload, identify, and signed envelopes and peer
// records. The PublicKey/PrivateKey protobuf (../peer/key-protobuf.ts) is not
// read with it on purpose: the peer-ids spec allows only one canonical byte
// form there, which a general field walker would accept in any order.

import { P2PError } from './errors.js'
import { uvarintLength, writeUvarint } from './varint.js'

/** Wire types (protobuf.dev "Message Structure"). */
export const WireType = {
  VARINT: 0,
  I64: 1,
  LEN: 2,
  SGROUP: 3,
  EGROUP: 4,
  I32: 5
} as const
export type WireTypeCode = typeof WireType[keyof typeof WireType]

/**
 * A protobuf varint has at most 10 bytes (64 bits in 7-bit groups). Unlike
 * multiformats varints, protobuf does not require minimal encoding, so the
 * reader accepts padded ones as every protobuf library does.
 */
const MAX_PROTOBUF_VARINT_BYTES = 10

/** protobuf.dev "Assigning Field Numbers": "from 1 to 536,870,911" (2^29 - 1). */
const MAX_FIELD_NUMBER = 0x1fffffff

export type Field =
  | { readonly wireType: typeof WireType.VARINT, readonly number: number, readonly value: bigint }
  | { readonly wireType: typeof WireType.I64, readonly number: number, readonly value: Uint8Array }
  | { readonly wireType: typeof WireType.LEN, readonly number: number, readonly value: Uint8Array }
  | { readonly wireType: typeof WireType.I32, readonly number: number, readonly value: Uint8Array }

/** A remote peer's malformed message: the caller's code, the message's name in the text. */
function malformed (code: string, what: string | undefined, message: string, cause?: unknown): P2PError {
  return new P2PError(code, what === undefined ? message : `invalid ${what}: ${message}`, { remote: true, cause })
}

/**
 * A varint as a plain number, for keys and lengths: a BigInt per byte cost
 * more than the rest of decoding a small message. Values past 2^53 are not
 * exact, but as keys and lengths they are refused anyway (a field number
 * over MAX_FIELD_NUMBER, a length past the end). Throws for a varint that
 * runs past the end, is over ten bytes or over 64 bits.
 */
function readSizeVarint (buf: Uint8Array, offset: number, code: string, what: string | undefined): { value: number, next: number } {
  let value = 0
  let scale = 1
  for (let i = 0; i < MAX_PROTOBUF_VARINT_BYTES; i++) {
    if (offset + i >= buf.length) {
      throw malformed(code, what, `protobuf varint at offset ${offset} runs past the end of the ${buf.length}-byte message`)
    }
    const byte = buf[offset + i]
    value += (byte & 0x7f) * scale
    if ((byte & 0x80) === 0) {
      // the tenth byte holds bit 63 alone
      if (i === MAX_PROTOBUF_VARINT_BYTES - 1 && byte > 1) {
        throw malformed(code, what, `protobuf varint at offset ${offset} exceeds 64 bits`)
      }
      return { value, next: offset + i + 1 }
    }
    scale *= 0x80
  }
  throw malformed(code, what, `protobuf varint at offset ${offset} is longer than ${MAX_PROTOBUF_VARINT_BYTES} bytes`)
}

/** A VARINT field's value, exact to 64 bits: readSizeVarint's checks, the bytes summed as a BigInt. */
function readVarint (buf: Uint8Array, offset: number, code: string, what: string | undefined): { value: bigint, next: number } {
  const { next } = readSizeVarint(buf, offset, code, what)
  let value = 0n
  for (let i = next - 1; i >= offset; i--) value = (value << 7n) | BigInt(buf[i] & 0x7f)
  return { value, next }
}

/**
 * Decodes every field of `buf`; throws a remote P2PError with `code` on
 * malformed input. `what` names the message in the error text.
 */
export function readFields (buf: Uint8Array, code: string, what?: string): Field[] {
  const fields: Field[] = []
  let offset = 0
  while (offset < buf.length) {
    const key = readSizeVarint(buf, offset, code, what)
    offset = key.next
    const number = Math.floor(key.value / 8)
    const wireType = key.value % 8
    // protobuf.dev: "field numbers ... 1 to 536,870,911"; 0 is never valid
    if (number < 1 || number > MAX_FIELD_NUMBER) {
      throw malformed(code, what, `protobuf field number ${number} is outside 1..536870911`)
    }
    switch (wireType) {
      case WireType.VARINT: {
        const v = readVarint(buf, offset, code, what)
        offset = v.next
        fields.push({ wireType, number, value: v.value })
        break
      }
      case WireType.I64:
      case WireType.I32: {
        const size = wireType === WireType.I64 ? 8 : 4
        if (offset + size > buf.length) {
          throw malformed(code, what, `field ${number} needs ${size} bytes, ${buf.length - offset} remain`)
        }
        fields.push({ wireType, number, value: buf.subarray(offset, offset + size) })
        offset += size
        break
      }
      case WireType.LEN: {
        const length = readSizeVarint(buf, offset, code, what)
        offset = length.next
        if (length.value > buf.length - offset) {
          throw malformed(code, what, `field ${number} claims ${length.value} bytes, ${buf.length - offset} remain`)
        }
        const end = offset + length.value
        fields.push({ wireType, number, value: buf.subarray(offset, end) })
        offset = end
        break
      }
      default:
        throw malformed(code, what, `field ${number} has wire type ${wireType}; expected 0, 1, 2 or 5 (groups are not used by libp2p)`)
    }
  }
  return fields
}

// ignoreBOM: a leading U+FEFF is part of the string (the default strips it,
// and "\uFEFF/x" would read as "/x")
const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })
const utf8Encoder = new TextEncoder()

/** The value of a LEN field as bytes; throws when the field has another wire type. */
export function fieldBytes (field: Field, code: string, what?: string): Uint8Array {
  if (field.wireType !== WireType.LEN) {
    throw malformed(code, what, `field ${field.number} has wire type ${field.wireType}, expected 2 (length-delimited)`)
  }
  return field.value
}

/** The value of a LEN field as a UTF-8 string; invalid UTF-8 is rejected. */
export function fieldString (field: Field, code: string, what?: string): string {
  const bytes = fieldBytes(field, code, what)
  try {
    return utf8Decoder.decode(bytes)
  } catch (err) {
    throw malformed(code, what, `field ${field.number} is not valid UTF-8`, err)
  }
}

/** The value of a VARINT field; throws when the field has another wire type. */
export function fieldVarint (field: Field, code: string, what?: string): bigint {
  if (field.wireType !== WireType.VARINT) {
    throw malformed(code, what, `field ${field.number} has wire type ${field.wireType}, expected 0 (varint)`)
  }
  return field.value
}

/**
 * The key of a field: field_number << 3 | wire_type, computed as number * 8
 * + wire_type because field numbers reach 2^29 - 1 and a 32-bit shift would
 * overflow into the sign bit (the key stays below 2^32, exact in a double).
 */
function tag (number: number, wireType: WireTypeCode): number {
  if (!Number.isInteger(number) || number < 1 || number > MAX_FIELD_NUMBER) {
    throw new P2PError('ERR_INVALID_PARAMETERS', `field number ${number} is outside 1..${MAX_FIELD_NUMBER}`)
  }
  return number * 8 + wireType
}

/**
 * Accumulates fields and produces the encoded message. Keys and lengths are
 * kept as numbers and written straight into the one output array by
 * finish(), not encoded into an array each first.
 */
export class FieldWriter {
  /** In order: a number is a varint still to write, an array bytes to copy. */
  private readonly parts: Array<number | Uint8Array> = []
  private length = 0

  private push (part: Uint8Array): void {
    this.parts.push(part)
    this.length += part.length
  }

  /** Keys and lengths come as numbers (the common case, no BigInt arithmetic); uint64 values as bigint. */
  private varint (value: number | bigint): void {
    if (typeof value === 'number') {
      this.parts.push(value)
      this.length += uvarintLength(value)
      return
    }
    const out: number[] = []
    while (value >= 0x80n) {
      out.push(Number(value & 0x7fn) | 0x80)
      value >>= 7n
    }
    out.push(Number(value))
    this.push(Uint8Array.from(out))
  }

  uint64 (number: number, value: bigint): this {
    if (value < 0n || value >= 1n << 64n) throw new P2PError('ERR_INVALID_PARAMETERS', `field ${number}: ${value} is not a uint64`)
    this.varint(tag(number, WireType.VARINT))
    this.varint(value)
    return this
  }

  bytes (number: number, value: Uint8Array): this {
    this.varint(tag(number, WireType.LEN))
    this.varint(value.length)
    this.push(value)
    return this
  }

  string (number: number, value: string): this {
    return this.bytes(number, utf8Encoder.encode(value))
  }

  finish (): Uint8Array {
    const out = new Uint8Array(this.length)
    let offset = 0
    for (const part of this.parts) {
      if (typeof part === 'number') {
        offset = writeUvarint(part, out, offset)
      } else {
        out.set(part, offset)
        offset += part.length
      }
    }
    return out
  }
}
