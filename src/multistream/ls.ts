// The answer to `ls` (multiformats/multistream-select README.md, "Listing").
//
// The listener answers `ls` with ONE message whose body is the list of its
// protocol IDs, each of them itself a framed message (varint length, ID, `\n`):
//
//     <len> [ <len1> /proto/1 \n  <len2> /proto/2 \n ... ] \n
//     outer prefix  nested messages                  outer newline
//
// The README's prose also mentions a protocol count ("<varint-number-of-
// protocols>"), but no current implementation sends one: go-multistream
// did until 2019 (go-multistream PR 43; multistream-select PR 19 then
// updated the README's detailed example), and go-multistream, rust-libp2p
// and js-libp2p have used the nested form above since, so we do too (and
// the interop test checks it against js-libp2p's listener).

import { P2PError } from '../util/errors.js'
import { decodeUvarint } from '../util/varint.js'
import { MAX_LS_ANSWER_LENGTH, MAX_MESSAGE_LENGTH } from './constants.js'
import { concatBytes } from '../util/bytes.js'
import { decodeText, encodeFrame, encodeMessage, stripNewline } from './codec.js'

/** The body of the `ls` answer (outer prefix and newline not included). */
export function encodeLsAnswerBody (protocols: string[]): Uint8Array {
  return concatBytes(protocols.map(encodeMessage))
}

/** The complete framed `ls` answer, ready to write. */
export function encodeLsAnswer (protocols: string[]): Uint8Array {
  return encodeFrame(encodeLsAnswerBody(protocols), MAX_LS_ANSWER_LENGTH)
}

/**
 * Parses the body of an `ls` answer (outer prefix and newline already
 * removed) into protocol IDs. Throws ERR_INVALID_LS_ANSWER when a nested
 * message runs past the end, ERR_MISSING_NEWLINE / ERR_MESSAGE_TOO_LONG /
 * ERR_INVALID_VARINT for a broken nested message.
 */
export function parseLsAnswer (body: Uint8Array): string[] {
  const protocols: string[] = []
  let offset = 0
  while (offset < body.length) {
    const prefix = decodeUvarint(body, offset)
    if (prefix === undefined) {
      throw new P2PError('ERR_INVALID_LS_ANSWER', `ls answer ends inside the length prefix of entry ${protocols.length + 1}`, { remote: true })
    }
    if (prefix.value > MAX_MESSAGE_LENGTH) {
      throw new P2PError('ERR_MESSAGE_TOO_LONG', `expected an ls entry of at most ${MAX_MESSAGE_LENGTH} bytes, its length prefix says ${prefix.value}`, { remote: true })
    }
    const start = offset + prefix.bytes
    const end = start + prefix.value
    if (end > body.length) {
      throw new P2PError('ERR_INVALID_LS_ANSWER', `ls entry ${protocols.length + 1} claims ${prefix.value} bytes, only ${body.length - start} remain in the answer`, { remote: true })
    }
    protocols.push(decodeText(stripNewline(body.subarray(start, end))))
    offset = end
  }
  return protocols
}
