// multistream-select as the prober speaks it: messages parsed straight from a
// ByteQueue, so a case can also send what a correct dialer never would.
//
// Spec: multiformats/multistream-select README.md "Protocol"; libp2p/specs
// connections/README.md "multistream-select". Framing: uvarint length
// (newline included), UTF-8 text, "\n".

import type { ByteQueue } from '../util/byte-queue.js'
import { decodeUvarint } from '../util/varint.js'
import { MULTISTREAM_PROTOCOL_ID, MAX_LS_ANSWER_LENGTH, checkLength, decodeText, encodeMessages, stripNewline } from '../multistream/index.js'
import { P2PError } from '../util/errors.js'

/** Bytes enough for any uvarint length prefix we accept. */
const PREFIX_PEEK = 9

/** One message's text from the queue, or undefined when it is not all there. */
export function takeMessage (queue: ByteQueue, maxLength = MAX_LS_ANSWER_LENGTH): string | undefined {
  const body = takeMessageBody(queue, maxLength)
  return body === undefined ? undefined : decodeText(body)
}

/** One message's body (newline removed), or undefined when it is not all there. */
export function takeMessageBody (queue: ByteQueue, maxLength = MAX_LS_ANSWER_LENGTH): Uint8Array | undefined {
  const head = queue.peek(Math.min(queue.length, PREFIX_PEEK))
  if (head === undefined || head.length === 0) return undefined
  const prefix = decodeUvarint(head, 0)
  if (prefix === undefined) return undefined
  checkLength(prefix.value, maxLength)
  if (queue.length < prefix.bytes + prefix.value) return undefined
  queue.skip(prefix.bytes)
  return stripNewline((queue.take(prefix.value) ?? new Uint8Array(0)).slice())
}

/** The header followed by proposals, as one buffer. */
export function proposal (...protocols: string[]): Uint8Array {
  return encodeMessages([MULTISTREAM_PROTOCOL_ID, ...protocols])
}

/** Reads the remote header and throws unless it is /multistream/1.0.0. */
export function expectHeader (text: string): void {
  if (text !== MULTISTREAM_PROTOCOL_ID) {
    throw new P2PError('ERR_CONFORM_UNEXPECTED', `expected the header "${MULTISTREAM_PROTOCOL_ID}", got "${text}"`)
  }
}
