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
// one message, or two when the signed peer record does not fit.
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
import { MAX_IDENTIFY_MESSAGE_SIZE, MAX_IDENTIFY_MESSAGES } from './constants.js'
import { decodeIdentify, encodeIdentify, mergeIdentify, type IdentifyMessage } from './message.js'

export interface ReadIdentifyOptions {
  signal?: AbortSignal
  /** Largest accepted message in bytes (default MAX_IDENTIFY_MESSAGE_SIZE). */
  maxSize?: number
}

/**
 * Writes `message` length-prefixed, then half-closes; resolves once the
 * half-close is flushed. The readable side is drained and discarded (the
 * remote sends nothing on identify) so the stream can finish.
 */
export async function writeIdentify (stream: Duplex, message: IdentifyMessage, options: { maxSize?: number } = {}): Promise<void> {
  const maxSize = options.maxSize ?? MAX_IDENTIFY_MESSAGE_SIZE
  const frames = encodeForSize(message, maxSize)
  guardStreamErrors(stream)
  try {
    // each message and its length prefix in one write (one muxer frame)
    for (const frame of frames) stream.write(concatBytes([encodeUvarint(frame.length), frame]))
    stream.resume()
    await endStream(stream)
  } catch (err) {
    resetStream(stream)
    throw err
  }
}

/** The encoded message when it fits; else the record goes alone in a second one. */
function encodeForSize (message: IdentifyMessage, maxSize: number): Uint8Array[] {
  const whole = encodeIdentify(message)
  if (whole.length <= maxSize) return [whole]
  const { signedPeerRecord, ...rest } = message
  const parts: IdentifyMessage[] = [rest]
  if (signedPeerRecord !== undefined) parts.push({ listenAddrs: [], protocols: [], signedPeerRecord })
  const frames = parts.map(encodeIdentify)
  for (const frame of frames) {
    if (frame.length > maxSize) {
      throw new P2PError('ERR_IDENTIFY_MESSAGE_TOO_LARGE', `our Identify message is ${frame.length} bytes, the limit peers accept is ${maxSize}`)
    }
  }
  return frames
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
