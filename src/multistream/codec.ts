// The multistream-select message codec (libp2p/specs connections/README.md,
// "multistream-select"; multiformats/multistream-select README.md, Notes 1-2).
//
// "Messages are sent encoded as UTF-8 byte strings, and they are always
// followed by a `\n` newline character. Each message is also prefixed with
// its length in bytes (including the newline), encoded as an unsigned
// variable-length integer."
//
//     "na"  ->  03 6e 61 0a
//               ^^ length 3 = 'n' 'a' '\n'
//
// Pure functions only. `decodeMessage` answers "need more bytes" with
// undefined and throws a typed error only when the bytes break the protocol;
// the length prefix is checked against the limit before the body is awaited.

import { concatBytes } from '../util/bytes.js'
import { P2PError } from '../util/errors.js'
import { decodeUvarint, uvarintLength, writeUvarint } from '../util/varint.js'
import { MAX_MESSAGE_LENGTH, NEWLINE } from './constants.js'

const utf8Encoder = new TextEncoder()
// ignoreBOM: a leading U+FEFF is part of the text. Stripped (TextDecoder's
// default), EF BB BF "/noise" would read as "/noise": a proposal we would
// accept, and echo as other bytes than we were sent
const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

/** Frames `body` (bytes without the newline): varint length, body, `\n`. */
export function encodeFrame (body: Uint8Array, maxLength = MAX_MESSAGE_LENGTH): Uint8Array {
  const length = body.length + 1
  if (length > maxLength) {
    throw new P2PError('ERR_MESSAGE_TOO_LONG', `cannot send a ${length}-byte message: the limit is ${maxLength} bytes`)
  }
  const out = new Uint8Array(uvarintLength(length) + length)
  const offset = writeUvarint(length, out, 0)
  out.set(body, offset)
  out[out.length - 1] = NEWLINE
  return out
}

/** Encodes one message: `text` in UTF-8, framed (the newline is added here). */
export function encodeMessage (text: string): Uint8Array {
  return encodeFrame(utf8Encoder.encode(text))
}

/** Several messages in one buffer, for sending them in one write. */
export function encodeMessages (texts: string[]): Uint8Array {
  return concatBytes(texts.map(encodeMessage))
}

export interface DecodedMessage {
  /** The message bytes without the length prefix and without the newline. */
  body: Uint8Array
  /** How many bytes of input the whole framed message took. */
  bytes: number
}

/**
 * Decodes one framed message at `offset`. Returns undefined when `buf` ends
 * before the message does. Throws ERR_MESSAGE_TOO_LONG as soon as the length
 * prefix is over `maxLength` (before any of the body is needed),
 * ERR_MISSING_NEWLINE when the message does not end in `\n`, and
 * ERR_INVALID_VARINT for a broken length prefix.
 */
export function decodeMessage (buf: Uint8Array, offset = 0, maxLength = MAX_MESSAGE_LENGTH): DecodedMessage | undefined {
  const prefix = decodeUvarint(buf, offset)
  if (prefix === undefined) return undefined
  checkLength(prefix.value, maxLength)
  const start = offset + prefix.bytes
  const end = start + prefix.value
  if (end > buf.length) return undefined
  return { body: stripNewline(buf.subarray(start, end)), bytes: prefix.bytes + prefix.value }
}

/** Throws ERR_MESSAGE_TOO_LONG when a length prefix is over the limit. */
export function checkLength (length: number, maxLength = MAX_MESSAGE_LENGTH): void {
  if (length > maxLength) {
    throw new P2PError('ERR_MESSAGE_TOO_LONG', `expected a message of at most ${maxLength} bytes, the length prefix says ${length}`, { remote: true })
  }
}

/**
 * Checks and removes the final newline of a message (length prefix already
 * removed). "Every multistream message is appended by a `\n` character, this
 * character is included in the byte count" - so a message without it,
 * including an empty one, is malformed.
 */
export function stripNewline (message: Uint8Array): Uint8Array {
  if (message.length === 0) {
    throw new P2PError('ERR_MISSING_NEWLINE', 'expected a message ending in \\n, got an empty message', { remote: true })
  }
  const last = message[message.length - 1]
  if (last !== NEWLINE) {
    throw new P2PError('ERR_MISSING_NEWLINE', `expected a message ending in \\n (0x0a), it ends in 0x${last.toString(16).padStart(2, '0')}`, { remote: true })
  }
  return message.subarray(0, message.length - 1)
}

/** The text of a message body. "Messages are sent encoded as UTF-8 byte strings". */
export function decodeText (body: Uint8Array): string {
  try {
    return utf8Decoder.decode(body)
  } catch (err) {
    throw new P2PError('ERR_INVALID_MESSAGE', `expected a UTF-8 message, got ${body.length} bytes that are not valid UTF-8`, { cause: err, remote: true })
  }
}

/** The shared ../util/bytes.ts concatBytes, under the name src/conform still imports from here. */
export { concatBytes as concat }
