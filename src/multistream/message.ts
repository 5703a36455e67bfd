// multistream-select messages as a closed sum type (libp2p/specs
// connections/README.md "multistream-select"; multistream-select README.md).
//
// On the wire every message is a line of text, except the `ls` answer, which
// nests a list of lines. What a line means depends only on its text:
//
//     /multistream/1.0.0   header     "both peers will send the multistream protocol id"
//     na                   na         "the requested protocol is Not Available"
//     ls                   ls         "list the available protocols"
//     anything else        protocol   a proposal (dialer) or its echo (listener)
//
// The `ls` answer cannot be told from a line by its bytes, only by context
// (the dialer asked), so `parseMessage` never returns it; the dialer state
// machine parses it with `parseLsAnswer` when it expects one.

import { LS, MULTISTREAM_PROTOCOL_ID, NA } from './constants.js'
import { decodeText, encodeMessage } from './codec.js'
import { encodeLsAnswer } from './ls.js'

export const MESSAGE_TYPES = ['header', 'na', 'ls', 'protocol', 'protocols'] as const
export type MessageType = typeof MESSAGE_TYPES[number]

export type Message =
  | { type: 'header' }
  | { type: 'na' }
  | { type: 'ls' }
  /** A proposal from the dialer, or the listener's echo that accepts it. */
  | { type: 'protocol', protocol: string }
  /** The listener's answer to `ls`. */
  | { type: 'protocols', protocols: string[] }

export const HEADER: Message = { type: 'header' }
export const NA_MESSAGE: Message = { type: 'na' }
export const LS_MESSAGE: Message = { type: 'ls' }

/** Classifies one line (a message body without its newline). */
export function parseMessage (body: Uint8Array): Message {
  const text = decodeText(body)
  switch (text) {
    case MULTISTREAM_PROTOCOL_ID: return HEADER
    case NA: return NA_MESSAGE
    case LS: return LS_MESSAGE
    default: return { type: 'protocol', protocol: text }
  }
}

/** The framed bytes of a message. */
export function serializeMessage (message: Message): Uint8Array {
  switch (message.type) {
    case 'header': return encodeMessage(MULTISTREAM_PROTOCOL_ID)
    case 'na': return encodeMessage(NA)
    case 'ls': return encodeMessage(LS)
    case 'protocol': return encodeMessage(message.protocol)
    case 'protocols': return encodeLsAnswer(message.protocols)
    default: return unreachable(message)
  }
}

/**
 * The message as one line of text, for wire traces (MessageHook). An `ls`
 * answer is shown as its protocol IDs separated by newlines.
 */
export function messageText (message: Message): string {
  switch (message.type) {
    case 'header': return MULTISTREAM_PROTOCOL_ID
    case 'na': return NA
    case 'ls': return LS
    case 'protocol': return message.protocol
    case 'protocols': return message.protocols.join('\n')
    default: return unreachable(message)
  }
}

export function unreachable (value: never): never {
  throw new Error(`unreachable: ${JSON.stringify(value)}`)
}
