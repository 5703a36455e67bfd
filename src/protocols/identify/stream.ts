// Identify on a stream (libp2p/specs identify/README.md "Overview"):
//
//   "The peer being identified responds by returning an `Identify` message
//    and closes the stream."   (and the same for identify/push: "the local
//    peer will send an `Identify` message and close the stream.")
//
// Framing: the spec does not say how the message is delimited. Every
// implementation (go-libp2p, rust-libp2p, js-libp2p 3.x) prefixes it with its
// length as an unsigned varint, and go-libp2p may send a second such message
// carrying only the signed peer record when one message would exceed the
// size limit. So the reader accepts 1..MAX_IDENTIFY_MESSAGES length-prefixed
// messages up to the sender's half-close and merges them; the writer sends
// one message, or two when the whole would exceed IDENTIFY_SEND_LIMIT
// (what rust-libp2p accepts), trimming listen addresses to fit.
//
// Theory of operation of the reader: chunks go into a ByteQueue; after each
// chunk every complete frame is decoded. A length prefix above the limit is
// refused as soon as it is seen, before its body arrives. At EOF the queue
// must be empty (a partial frame is a truncated message).

import type { Duplex } from 'node:stream'
import { ByteQueue } from '../../util/byte-queue.js'
import { concatBytes } from '../../util/bytes.js'
import { P2PError } from '../../util/errors.js'
import { decodeUvarint, encodeUvarint, MAX_VARINT_BYTES } from '../../util/varint.js'
import { endStream, guardStreamErrors, readChunks, resetStream } from '../stream-io.js'
import { IDENTIFY_SEND_LIMIT, MAX_IDENTIFY_MESSAGE_SIZE, MAX_IDENTIFY_MESSAGES } from './constants.js'
import { decodeIdentify, encodeIdentify, mergeIdentify, type IdentifyMessage } from './message.js'

export interface ReadIdentifyOptions {
  signal?: AbortSignal
  /** Largest accepted message in bytes (default MAX_IDENTIFY_MESSAGE_SIZE). */
  maxSize?: number
}

export interface WriteIdentifyOptions {
  /** The size to keep each message under where it can be done (default IDENTIFY_SEND_LIMIT). */
  sendLimit?: number
  /** No message above this is ever sent (default MAX_IDENTIFY_MESSAGE_SIZE). */
  maxSize?: number
}

/**
 * Writes `message` length-prefixed (as `identifyFrames` cuts it), then
 * half-closes; resolves once the half-close is flushed. The readable side is
 * drained and discarded (the remote sends nothing on identify) so the stream
 * can finish. `message.listenAddrs` should come best first: when they do not
 * all fit, the last ones are left out.
 */
export async function writeIdentify (stream: Duplex, message: IdentifyMessage, options: WriteIdentifyOptions = {}): Promise<void> {
  guardStreamErrors(stream)
  try {
    // inside the try: a message too large to send at all resets the stream too
    const frames = identifyFrames(message, options.sendLimit ?? IDENTIFY_SEND_LIMIT, options.maxSize ?? MAX_IDENTIFY_MESSAGE_SIZE)
    // each message and its length prefix in one write (one muxer frame)
    for (const frame of frames) stream.write(concatBytes([encodeUvarint(frame.length), frame]))
    stream.resume()
    await endStream(stream)
  } catch (err) {
    resetStream(stream)
    throw err
  }
}

/**
 * The messages `message` goes out as:
 * - the whole, when it fits in `sendLimit`;
 * - else, as go-libp2p splits it, first the message without its signed peer
 *   record, with as many listen addresses as fit in `sendLimit` (the first
 *   ones), then the record alone. go-libp2p and js-libp2p read both and
 *   merge them; rust-libp2p reads the first only, and refuses it above
 *   `sendLimit`.
 * Nothing above `maxSize` (what go-libp2p and js-libp2p accept) is sent: a
 * record alone that is larger stays home, and a message larger than that
 * without any listen address is refused with ERR_IDENTIFY_MESSAGE_TOO_LARGE
 * (only its protocols or agent version can make it so large). Between the
 * two limits it goes as it is: no smaller form keeps what it says.
 */
export function identifyFrames (message: IdentifyMessage, sendLimit: number, maxSize: number): Uint8Array[] {
  const whole = encodeIdentify(message)
  if (whole.length <= sendLimit) return [whole]
  const { signedPeerRecord, ...rest } = message
  const first = encodeIdentify(withAddrsThatFit(rest, sendLimit))
  if (first.length > maxSize) {
    throw new P2PError('ERR_IDENTIFY_MESSAGE_TOO_LARGE', `our Identify message is ${first.length} bytes without any listen address, the limit peers accept is ${maxSize}`)
  }
  if (signedPeerRecord === undefined) return [first]
  const record = encodeIdentify({ listenAddrs: [], protocols: [], signedPeerRecord })
  return record.length <= maxSize ? [first, record] : [first]
}

/** `message` with its listen addresses cut after the last one that keeps it within `limit` (none, if none does). */
function withAddrsThatFit (message: IdentifyMessage, limit: number): IdentifyMessage {
  let size = encodeIdentify({ ...message, listenAddrs: [] }).length
  let count = 0
  for (const addr of message.listenAddrs) {
    // a repeated bytes field: its tag (one byte), the length as a varint, the bytes
    size += 1 + encodeUvarint(addr.length).length + addr.length
    if (size > limit) break
    count++
  }
  return count === message.listenAddrs.length ? message : { ...message, listenAddrs: message.listenAddrs.slice(0, count) }
}

/**
 * Reads the Identify message(s) the remote sends before half-closing, merges
 * them, and half-closes our side (we never send anything on this stream).
 * Rejects with ERR_IDENTIFY_MESSAGE_TOO_LARGE, ERR_IDENTIFY_INVALID_MESSAGE,
 * or the stream's own error; the stream is reset on failure.
 */
export async function readIdentify (stream: Duplex, options: ReadIdentifyOptions = {}): Promise<IdentifyMessage> {
  const maxSize = options.maxSize ?? MAX_IDENTIFY_MESSAGE_SIZE
  const queue = new ByteQueue()
  const messages: IdentifyMessage[] = []
  guardStreamErrors(stream)
  try {
    reading: for await (const chunk of readChunks(stream, options.signal)) {
      queue.push(chunk)
      while (true) {
        const frame = nextFrame(queue, maxSize)
        if (frame === undefined) break
        messages.push(decodeIdentify(frame))
        // stop reading after the limit, like go-libp2p and js-libp2p
        if (messages.length === MAX_IDENTIFY_MESSAGES) break reading
      }
    }
    if (messages.length < MAX_IDENTIFY_MESSAGES && queue.length !== 0) {
      throw new P2PError('ERR_IDENTIFY_INVALID_MESSAGE', `stream ended inside an Identify frame (${queue.length} bytes left over)`, { remote: true })
    }
    if (messages.length === 0) {
      throw new P2PError('ERR_IDENTIFY_INVALID_MESSAGE', 'stream ended before any Identify message arrived', { remote: true })
    }
    // A stream already closed cleanly (our connection closing right after the
    // answer arrived) has nothing left to half-close: we never write on it,
    // and the answer is whole, so it still counts.
    if (!stream.destroyed || stream.errored !== null) {
      await endStream(stream)
      stream.resume()
    }
  } catch (err) {
    resetStream(stream)
    throw err
  }
  return mergeIdentify(messages)
}

/** The next complete frame's body, or undefined when more bytes are needed. */
function nextFrame (queue: ByteQueue, maxSize: number): Uint8Array | undefined {
  const header = queue.peek(Math.min(queue.length, MAX_VARINT_BYTES))
  if (header === undefined) return undefined
  let prefix
  try {
    prefix = decodeUvarint(header)
  } catch (err) {
    throw new P2PError('ERR_IDENTIFY_INVALID_MESSAGE', 'invalid length prefix before an Identify message', { remote: true, cause: err })
  }
  if (prefix === undefined) return undefined
  if (prefix.value > maxSize) {
    throw new P2PError('ERR_IDENTIFY_MESSAGE_TOO_LARGE', `Identify message length prefix says ${prefix.value} bytes, limit is ${maxSize}`, { remote: true })
  }
  if (queue.length < prefix.bytes + prefix.value) return undefined
  queue.skip(prefix.bytes)
  return queue.take(prefix.value)
}
