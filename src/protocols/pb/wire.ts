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
// ERR_..._INVALID_MESSAGE), since a malformed field means a malformed message.

import { P2PError } from '../../util/errors.js'

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

export type Field =
  | { readonly wireType: typeof WireType.VARINT, readonly number: number, readonly value: bigint }
  | { readonly wireType: typeof WireType.I64, readonly number: number, readonly value: Uint8Array }
  | { readonly wireType: typeof WireType.LEN, readonly number: number, readonly value: Uint8Array }
  | { readonly wireType: typeof WireType.I32, readonly number: number, readonly value: Uint8Array }

function readVarint (buf: Uint8Array, offset: number, code: string): { value: bigint, next: number } {
  let value = 0n
  for (let i = 0; i < MAX_PROTOBUF_VARINT_BYTES; i++) {
    if (offset + i >= buf.length) {
      throw new P2PError(code, `protobuf varint at offset ${offset} runs past the end of the ${buf.length}-byte message`, { remote: true })
    }
    const byte = buf[offset + i]
    value |= BigInt(byte & 0x7f) << BigInt(7 * i)
    if ((byte & 0x80) === 0) {
      if (value >= 1n << 64n) {
        throw new P2PError(code, `protobuf varint at offset ${offset} exceeds 64 bits`, { remote: true })
      }
      return { value, next: offset + i + 1 }
    }
  }
  throw new P2PError(code, `protobuf varint at offset ${offset} is longer than ${MAX_PROTOBUF_VARINT_BYTES} bytes`, { remote: true })
}

/** Decodes every field of `buf`; throws a P2PError with `code` on malformed input. */
export function readFields (buf: Uint8Array, code: string): Field[] {
  const fields: Field[] = []
  let offset = 0
  while (offset < buf.length) {
    const key = readVarint(buf, offset, code)
    offset = key.next
    const number = Number(key.value >> 3n)
    const wireType = Number(key.value & 7n)
    // protobuf.dev: "field numbers ... 1 to 536,870,911"; 0 is never valid
    if (number < 1 || number > 0x1fffffff) {
      throw new P2PError(code, `protobuf field number ${number} is outside 1..536870911`, { remote: true })
    }
    switch (wireType) {
      case WireType.VARINT: {
        const v = readVarint(buf, offset, code)
        offset = v.next
        fields.push({ wireType, number, value: v.value })
        break
      }
      case WireType.I64:
      case WireType.I32: {
        const size = wireType === WireType.I64 ? 8 : 4
        if (offset + size > buf.length) {
          throw new P2PError(code, `field ${number} needs ${size} bytes, ${buf.length - offset} remain`, { remote: true })
        }
        fields.push({ wireType, number, value: buf.subarray(offset, offset + size) })
        offset += size
        break
      }
      case WireType.LEN: {
        const length = readVarint(buf, offset, code)
        offset = length.next
        if (length.value > BigInt(buf.length - offset)) {
          throw new P2PError(code, `field ${number} claims ${length.value} bytes, ${buf.length - offset} remain`, { remote: true })
        }
        const end = offset + Number(length.value)
        fields.push({ wireType, number, value: buf.subarray(offset, end) })
        offset = end
        break
      }
      default:
        throw new P2PError(code, `field ${number} has wire type ${wireType}; expected 0, 1, 2 or 5 (groups are not used by libp2p)`, { remote: true })
    }
  }
  return fields
}

const utf8Decoder = new TextDecoder('utf-8', { fatal: true })
const utf8Encoder = new TextEncoder()

/** The value of a LEN field as bytes; throws when the field has another wire type. */
export function fieldBytes (field: Field, code: string): Uint8Array {
  if (field.wireType !== WireType.LEN) {
    throw new P2PError(code, `field ${field.number} has wire type ${field.wireType}, expected 2 (length-delimited)`, { remote: true })
  }
  return field.value
}

/** The value of a LEN field as a UTF-8 string; invalid UTF-8 is rejected. */
export function fieldString (field: Field, code: string): string {
  const bytes = fieldBytes(field, code)
  try {
    return utf8Decoder.decode(bytes)
  } catch (err) {
    throw new P2PError(code, `field ${field.number} is not valid UTF-8`, { remote: true, cause: err })
  }
}

/** The value of a VARINT field; throws when the field has another wire type. */
export function fieldVarint (field: Field, code: string): bigint {
  if (field.wireType !== WireType.VARINT) {
    throw new P2PError(code, `field ${field.number} has wire type ${field.wireType}, expected 0 (varint)`, { remote: true })
  }
  return field.value
}

/** Accumulates fields and produces the encoded message. */
export class FieldWriter {
  private readonly parts: Uint8Array[] = []
  private length = 0

  private push (part: Uint8Array): void {
    this.parts.push(part)
    this.length += part.length
  }

  private varint (value: bigint): void {
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
    this.varint(BigInt((number << 3) | WireType.VARINT))
    this.varint(value)
    return this
  }

  bytes (number: number, value: Uint8Array): this {
    this.varint(BigInt((number << 3) | WireType.LEN))
    this.varint(BigInt(value.length))
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
      out.set(part, offset)
      offset += part.length
    }
    return out
  }
}
