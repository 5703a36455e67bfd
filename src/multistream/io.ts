// What the multistream drivers share: reading one message with StreamReader,
// writing messages, and the time limit of one negotiation.
//
// Reading goes through StreamReader, which takes exactly the bytes of each
// message from the stream and never more, so whatever follows the agreed
// protocol's echo stays in the stream for the next layer.

import type { Duplex } from 'node:stream'
import { P2PError } from '../util/errors.js'
import { readTimeLimit, type ReadTimeLimit, type StreamReader, type Taken } from '../util/stream-reader.js'
import { concatBytes } from '../util/bytes.js'
import { stripNewline } from './codec.js'
import { DEFAULT_NEGOTIATION_TIMEOUT_MS, MAX_MESSAGE_LENGTH } from './constants.js'
import { messageText, serializeMessage, type Message } from './message.js'

/** Called for every message sent ('out') or received ('in'), for wire traces. */
export type MessageHook = (direction: 'in' | 'out', message: string) => void

export interface NegotiationOptions {
  /** Aborts the negotiation; it rejects with the signal's reason. */
  signal?: AbortSignal
  /** Milliseconds until ERR_NEGOTIATION_TIMEOUT (default DEFAULT_NEGOTIATION_TIMEOUT_MS). */
  timeoutMs?: number
  onMessage?: MessageHook
}

/**
 * Reads one framed message and returns its body without the newline: at
 * once when the stream holds all of it, else as a promise (`Taken`). The
 * length prefix is checked against `maxLength` before the body is read.
 */
export function readMessageBody (reader: StreamReader, maxLength = MAX_MESSAGE_LENGTH): Taken<Uint8Array> {
  const message = reader.takeLengthPrefixed(maxLength, 'ERR_MESSAGE_TOO_LONG')
  return message instanceof Uint8Array ? stripNewline(message) : message.then(stripNewline)
}

/** Writes `messages` in one write (so a header and a proposal share a packet). */
export function writeMessages (stream: Duplex, messages: Message[], hook?: MessageHook): void {
  if (messages.length === 0) return
  if (!stream.writable) {
    throw new P2PError('ERR_STREAM_CLOSED', `cannot send ${JSON.stringify(messageText(messages[0]))}: the stream is closed for writing`)
  }
  if (hook !== undefined) for (const message of messages) hook('out', messageText(message))
  stream.write(concatBytes(messages.map(serializeMessage)))
}

/** The time limit of one negotiation's reads (the caller's signal goes to the StreamReader beside it). */
export function negotiationTimeLimit (options: NegotiationOptions = {}): ReadTimeLimit {
  const timeoutMs = options.timeoutMs ?? DEFAULT_NEGOTIATION_TIMEOUT_MS
  return readTimeLimit(timeoutMs, () => new P2PError('ERR_NEGOTIATION_TIMEOUT', `expected the negotiation to finish within ${timeoutMs} ms`))
}

/** Reports a received message to the hook. */
export function traceReceived (hook: MessageHook | undefined, received: Message | undefined): void {
  if (hook !== undefined && received !== undefined) hook('in', messageText(received))
}

/** The error for a dialer whose every proposal was answered with `na`. */
export function notSupported (tried: string[]): P2PError {
  return new P2PError('ERR_PROTOCOL_NOT_SUPPORTED', `expected the listener to accept one of ${tried.map(p => JSON.stringify(p)).join(', ')}; it answered "na" to each`, { remote: true })
}
