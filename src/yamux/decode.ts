// Yamux frame decoder over a ByteQueue (sans-I/O).
//
// Spec: hashicorp/yamux spec.md "Framing", "Version Field", "Type Field".
// Short input is not an error: both functions return undefined until enough
// bytes are queued, and consume nothing in that case. A header that breaks the
// protocol (a version other than 0, a type the spec does not define) throws a
// P2PError with `remote: true`; the session answers it with
// Go Away (Protocol error) and closes.
//
// `decodeHeader` is what the session uses: it takes only the 12 header bytes,
// so a Data payload can be passed on in pieces as it arrives, as views into
// the received chunks. `decodeFrame` waits for the whole frame and is for
// tests, vectors and tools.

import type { ByteQueue } from '../util/byte-queue.js'
import { P2PError } from '../util/errors.js'
import { FrameType, HEADER_LENGTH, YAMUX_VERSION, type FrameTypeCode } from './constants.js'
import type { Frame, FrameHeader } from './frame.js'

/** Parses a header from 12 bytes (a view); throws on a wrong version or unknown type. */
export function parseHeader (bytes: Uint8Array): FrameHeader {
  const version = bytes[0]
  // "At the current time, the field is always set to 0, to indicate the initial version."
  if (version !== YAMUX_VERSION) {
    throw new P2PError('ERR_YAMUX_INVALID_VERSION', `expected yamux version ${YAMUX_VERSION}, received ${version}`, { remote: true })
  }
  const type = bytes[1]
  if (type > FrameType.GoAway) {
    throw new P2PError('ERR_YAMUX_INVALID_TYPE', `expected a frame type 0-3 (Data, Window Update, Ping, Go Away), received ${type}`, { remote: true })
  }
  return {
    type: type as FrameTypeCode,
    flags: (bytes[2] << 8) | bytes[3],
    streamId: ((bytes[4] << 24) | (bytes[5] << 16) | (bytes[6] << 8) | bytes[7]) >>> 0,
    length: ((bytes[8] << 24) | (bytes[9] << 16) | (bytes[10] << 8) | bytes[11]) >>> 0
  }
}

/** Consumes and returns the next header, or undefined when fewer than 12 bytes are queued. */
export function decodeHeader (queue: ByteQueue): FrameHeader | undefined {
  const bytes = queue.peek(HEADER_LENGTH)
  if (bytes === undefined) return undefined
  const header = parseHeader(bytes)
  queue.skip(HEADER_LENGTH)
  return header
}

/** Consumes and returns the next whole frame, or undefined (nothing consumed) when it is incomplete. */
export function decodeFrame (queue: ByteQueue): Frame | undefined {
  const bytes = queue.peek(HEADER_LENGTH)
  if (bytes === undefined) return undefined
  const header = parseHeader(bytes)
  if (header.type === FrameType.Data) {
    if (queue.length < HEADER_LENGTH + header.length) return undefined
    queue.skip(HEADER_LENGTH)
    const data = queue.take(header.length) ?? new Uint8Array(0)
    return { type: 'data', flags: header.flags, streamId: header.streamId, data }
  }
  queue.skip(HEADER_LENGTH)
  return frameFromHeader(header)
}

/** The frame a header-only type stands for (Window Update, Ping, Go Away). */
export function frameFromHeader (header: FrameHeader): Exclude<Frame, { type: 'data' }> {
  const { flags, streamId, length } = header
  switch (header.type) {
    case FrameType.WindowUpdate: return { type: 'windowUpdate', flags, streamId, delta: length }
    case FrameType.Ping: return { type: 'ping', flags, streamId, opaque: length }
    case FrameType.GoAway: return { type: 'goAway', flags, streamId, errorCode: length }
    case FrameType.Data: throw new TypeError('a Data frame has a payload; use decodeFrame')
    default: {
      const never: never = header.type
      throw new TypeError(`unknown frame type ${String(never)}`)
    }
  }
}
