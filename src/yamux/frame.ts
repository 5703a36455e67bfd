// Yamux frames as a discriminated union, and their encoder.
//
// Spec: hashicorp/yamux spec.md "Framing". Every frame is a 12-byte header
//
//    0       1       2               4                               8                              12
//   +-------+-------+---------------+-------------------------------+-------------------------------+
//   |version| type  |     flags     |           stream ID           |            length             |
//   +-------+-------+---------------+-------------------------------+-------------------------------+
//
// "All fields are encoded in network order (big endian)." Only Data frames
// carry a payload; for the other types `length` is a value: the window delta
// (Window Update), an opaque value echoed back (Ping), an error code (Go Away).
// Flags stay a plain bit set because the spec lets them combine (ACK|FIN on one
// Window Update is legal and real peers send it).

import { FrameType, HEADER_LENGTH, YAMUX_VERSION, type FrameTypeCode } from './constants.js'

/** The decoded 12-byte header. `length` keeps the spec's name for all types. */
export interface FrameHeader {
  readonly type: FrameTypeCode
  readonly flags: number
  readonly streamId: number
  readonly length: number
}

export interface DataFrame {
  readonly type: 'data'
  readonly flags: number
  readonly streamId: number
  readonly data: Uint8Array
}

export interface WindowUpdateFrame {
  readonly type: 'windowUpdate'
  readonly flags: number
  readonly streamId: number
  /** "provides a delta update to the window size" */
  readonly delta: number
}

export interface PingFrame {
  readonly type: 'ping'
  readonly flags: number
  /** "Both Ping and Go Away messages should always use the 0 StreamID." */
  readonly streamId: number
  /** "Contains an opaque value, echoed back" */
  readonly opaque: number
}

export interface GoAwayFrame {
  readonly type: 'goAway'
  readonly flags: number
  readonly streamId: number
  /** "Contains an error code" (GoAwayCode) */
  readonly errorCode: number
}

export type Frame = DataFrame | WindowUpdateFrame | PingFrame | GoAwayFrame

/** The wire type code of each frame kind. */
export const frameTypeCode = {
  data: FrameType.Data,
  windowUpdate: FrameType.WindowUpdate,
  ping: FrameType.Ping,
  goAway: FrameType.GoAway
} as const satisfies Record<Frame['type'], FrameTypeCode>

/** Writes a header into `target` at `offset` (target must have 12 bytes there). */
export function writeHeader (target: Uint8Array, offset: number, type: FrameTypeCode, flags: number, streamId: number, length: number): void {
  target[offset] = YAMUX_VERSION
  target[offset + 1] = type
  target[offset + 2] = (flags >>> 8) & 0xff
  target[offset + 3] = flags & 0xff
  target[offset + 4] = streamId >>> 24
  target[offset + 5] = (streamId >>> 16) & 0xff
  target[offset + 6] = (streamId >>> 8) & 0xff
  target[offset + 7] = streamId & 0xff
  target[offset + 8] = length >>> 24
  target[offset + 9] = (length >>> 16) & 0xff
  target[offset + 10] = (length >>> 8) & 0xff
  target[offset + 11] = length & 0xff
}

/** A frame's header fields (for Data, `length` is the payload length). */
export function headerOf (frame: Frame): FrameHeader {
  const type = frameTypeCode[frame.type]
  switch (frame.type) {
    case 'data': return { type, flags: frame.flags, streamId: frame.streamId, length: frame.data.length }
    case 'windowUpdate': return { type, flags: frame.flags, streamId: frame.streamId, length: frame.delta }
    case 'ping': return { type, flags: frame.flags, streamId: frame.streamId, length: frame.opaque }
    case 'goAway': return { type, flags: frame.flags, streamId: frame.streamId, length: frame.errorCode }
    default: {
      const never: never = frame
      throw new TypeError(`unknown frame ${String(never)}`)
    }
  }
}

/** Encodes one frame (header and, for Data, payload) into a new buffer. */
export function encodeFrame (frame: Frame): Uint8Array {
  const header = headerOf(frame)
  checkUint32('streamId', header.streamId)
  checkUint32('length', header.length)
  if (!Number.isInteger(header.flags) || header.flags < 0 || header.flags > 0xffff) {
    throw new RangeError(`flags must be a uint16, got ${header.flags}`)
  }
  const payload = frame.type === 'data' ? frame.data : undefined
  const out = new Uint8Array(HEADER_LENGTH + (payload?.length ?? 0))
  writeHeader(out, 0, header.type, header.flags, header.streamId, header.length)
  if (payload !== undefined) out.set(payload, HEADER_LENGTH)
  return out
}

function checkUint32 (name: string, value: number): void {
  if (!Number.isInteger(value) || value < 0 || value > 0xffff_ffff) {
    throw new RangeError(`${name} must be a uint32, got ${value}`)
  }
}
