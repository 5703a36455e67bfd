// Bytes <-> mplex frames, nothing else: no sockets, no timers, no state.
//
// Spec: libp2p/specs mplex/README.md "Message format".
//
// Theory of operation. `decodeFrame` looks at the head of a ByteQueue: it
// reads the header varint and the length varint, rejects a length over the
// limit at once (before the body arrives, so a hostile length cannot make us
// buffer), and returns undefined ("need more bytes") until the whole data
// segment is queued. Only then does it consume the frame; payloads come out
// as views of the queued chunks. `writeFrameHeader` and `frameHeaderLength`
// serve the session's hot path, which writes header and payload without
// building Frame objects; `encodeFrame` builds one buffer from a Frame.

import { ByteQueue } from '../util/byte-queue.js'
import { P2PError } from '../util/errors.js'
import { decodeUvarint, PROTOBUF_MAX_VARINT_BYTES, uvarintLength, writeUvarint } from '../util/varint.js'
import { MAX_FRAME_PREFIX_BYTES, MAX_MESSAGE_SIZE, MAX_STREAM_ID } from './constants.js'
import { MplexErrorCode } from './errors.js'
import { FLAG_NAMES, Flag, type FlagValue, type Frame } from './frame.js'

/** Bytes taken by the header and length varints of a frame. */
export function frameHeaderLength (flag: FlagValue, streamId: number, length: number): number {
  return uvarintLength(streamId * 8 + flag) + uvarintLength(length)
}

/** Writes header and length varints into `buf` at `offset`; returns the offset after them. */
export function writeFrameHeader (buf: Uint8Array, offset: number, flag: FlagValue, streamId: number, length: number): number {
  // header = (id << 3) | flag, in doubles: ids go beyond 32 bits
  offset = writeUvarint(streamId * 8 + flag, buf, offset)
  return writeUvarint(length, buf, offset)
}

function checkStreamId (streamId: number): void {
  if (!Number.isInteger(streamId) || streamId < 0 || streamId > MAX_STREAM_ID) {
    throw new P2PError(MplexErrorCode.INVALID_PARAMETERS, `stream ID must be an integer in [0, ${MAX_STREAM_ID}], got ${streamId}`)
  }
}

/** The data segment of a frame, as chunks. */
function segmentOf (frame: Frame): readonly Uint8Array[] {
  switch (frame.type) {
    case 'NewStream':
      return [frame.name]
    case 'MessageReceiver':
    case 'MessageInitiator':
      return frame.data
    case 'CloseReceiver':
    case 'CloseInitiator':
    case 'ResetReceiver':
    case 'ResetInitiator':
      // "send a message with a zero length body"
      return []
    default: {
      const unreachable: never = frame
      throw new Error(`unknown frame ${String(unreachable)}`)
    }
  }
}

/** One buffer holding the whole frame. */
export function encodeFrame (frame: Frame): Uint8Array {
  checkStreamId(frame.streamId)
  const segment = segmentOf(frame)
  let length = 0
  for (const chunk of segment) length += chunk.length
  if (length > MAX_MESSAGE_SIZE) {
    throw new P2PError(MplexErrorCode.MESSAGE_TOO_LARGE, `cannot send a ${length}-byte data segment: the limit is ${MAX_MESSAGE_SIZE}`)
  }
  const flag = Flag[frame.type]
  const out = new Uint8Array(frameHeaderLength(flag, frame.streamId, length) + length)
  let offset = writeFrameHeader(out, 0, flag, frame.streamId, length)
  for (const chunk of segment) {
    out.set(chunk, offset)
    offset += chunk.length
  }
  return out
}

/**
 * Consumes the next complete frame from `queue`, or returns undefined (and
 * consumes nothing) when the frame is not all there yet. Throws P2PError
 * (remote: true) when the bytes break the protocol; the connection is then
 * unusable, since framing is lost.
 */
export function decodeFrame (queue: ByteQueue, maxMessageSize: number = MAX_MESSAGE_SIZE): Frame | undefined {
  const available = queue.length
  if (available === 0) return undefined
  const prefix = queue.peek(Math.min(available, MAX_FRAME_PREFIX_BYTES))
  if (prefix === undefined) return undefined
  // "an unsigned base128 varint, as defined in the protocol buffers spec": padding allowed
  const header = decodeUvarint(prefix, 0, PROTOBUF_MAX_VARINT_BYTES, false)
  if (header === undefined) return undefined
  // flag = header & 0x07; id = header >> 3 (in doubles: the header can exceed 32 bits)
  const flag = header.value % 8
  const streamId = (header.value - flag) / 8
  const type = FLAG_NAMES[flag]
  if (type === undefined) {
    throw new P2PError(MplexErrorCode.INVALID_FLAG, `expected a flag from 0 to 6, got ${flag} (stream ${streamId})`, { remote: true })
  }
  const lengthVarint = decodeUvarint(prefix, header.bytes, PROTOBUF_MAX_VARINT_BYTES, false)
  if (lengthVarint === undefined) return undefined
  const length = lengthVarint.value
  if (length > maxMessageSize) {
    throw new P2PError(MplexErrorCode.MESSAGE_TOO_LARGE, `expected a data segment of at most ${maxMessageSize} bytes, got a length prefix of ${length} (${type}, stream ${streamId})`, { remote: true })
  }
  const prefixBytes = header.bytes + lengthVarint.bytes
  if (available < prefixBytes + length) return undefined
  queue.skip(prefixBytes)
  switch (type) {
    case 'NewStream':
      return { type, streamId, name: queue.take(length) ?? new Uint8Array(0) }
    case 'MessageReceiver':
    case 'MessageInitiator':
      return { type, streamId, data: queue.takeChunks(length) ?? [] }
    case 'CloseReceiver':
    case 'CloseInitiator':
    case 'ResetReceiver':
    case 'ResetInitiator':
      // The spec sends these "with a zero length body" but does not make a
      // body an error; we skip one if it comes.
      queue.skip(length)
      return { type, streamId }
    default: {
      const unreachable: never = type
      throw new Error(`unknown flag ${String(unreachable)}`)
    }
  }
}
