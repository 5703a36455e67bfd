// Protocol IDs (libp2p/specs connections/README.md, "Protocol Negotiation").
//
// "Each protocol supported by a peer is identified using a unique string
// called a protocol id. While any string can be used, the conventional format
// is a path-like structure containing a short name and a version number,
// separated by `/` characters."
//
// We require the conventional form for the IDs we register or propose: a
// leading `/` (which also keeps `na` and `ls` from ever being protocol IDs),
// no newline (the message terminator), not the multistream header itself,
// and a length that fits in one message.
// `validateProtocolId` checks this once and brands the string as `ProtocolId`.

import { P2PError } from '../util/errors.js'
import { MAX_MESSAGE_LENGTH, MULTISTREAM_PROTOCOL_ID } from './constants.js'

/** A protocol ID that passed `validateProtocolId`. */
export type ProtocolId = string & { readonly __brand: 'ProtocolId' }

/** The message is the ID plus its newline, so the ID gets one byte less. */
export const MAX_PROTOCOL_ID_LENGTH = MAX_MESSAGE_LENGTH - 1

/** Throws ERR_INVALID_PROTOCOL_ID unless `id` is a usable protocol ID. */
export function validateProtocolId (id: string): ProtocolId {
  const reason = invalidReason(id)
  if (reason !== undefined) {
    throw new P2PError('ERR_INVALID_PROTOCOL_ID', `invalid protocol id ${JSON.stringify(id)}: ${reason}`)
  }
  return id as ProtocolId
}

/** True when `id` is a usable protocol ID (no exception, for remote input). */
export function isProtocolId (id: string): id is ProtocolId {
  return invalidReason(id) === undefined
}

function invalidReason (id: unknown): string | undefined {
  if (typeof id !== 'string') return `expected a string, got ${typeof id}`
  if (id.length === 0) return 'expected a non-empty string'
  if (!id.startsWith('/')) return "expected it to start with '/'"
  if (id.includes('\n')) return 'expected no newline (it ends a multistream message)'
  // a message with this text is always the header: as a protocol it could never be agreed
  if (id === MULTISTREAM_PROTOCOL_ID) return `expected a protocol, not the multistream header ${MULTISTREAM_PROTOCOL_ID}`
  const bytes = Buffer.byteLength(id, 'utf8')
  if (bytes > MAX_PROTOCOL_ID_LENGTH) return `expected at most ${MAX_PROTOCOL_ID_LENGTH} UTF-8 bytes, got ${bytes}`
  return undefined
}
