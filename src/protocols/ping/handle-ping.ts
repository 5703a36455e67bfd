// The listening side of ping (libp2p/specs ping/ping.md "Protocol").
//
// Theory of operation: the dialer writes 32-byte payloads one after another
// on one stream; the transport may deliver them split or merged in any way,
// so incoming chunks go into a ByteQueue and every complete 32 bytes are
// written straight back (waiting for 'drain' when the stream is full, which
// also stops us reading: backpressure end to end). When the dialer
// half-closes, we finish writing and half-close too:
//
//   "the listening peer SHOULD finish writing the echoed payload and then
//    exit the loop and close the stream."
//
// A half-close in the middle of a payload breaks the framing; the handler then
// resets the stream and rejects with ERR_PING_TRUNCATED. Each payload must
// arrive, and its echo be written, within `timeoutMs` of the previous echo
// (of the stream's start, for the first): past it the stream is reset with
// ERR_PING_TIMEOUT, as go-libp2p's handler does after 60 s.

import type { Duplex } from 'node:stream'
import { ByteQueue } from '../../util/byte-queue.js'
import { checkTimerMs } from '../../util/deadline.js'
import { P2PError } from '../../util/errors.js'
import { endStream, guardStreamErrors, readChunks, resetStream, resetWhenIdle, writeChunk } from '../stream-io.js'
import { PING_LENGTH, PING_LISTENER_TIMEOUT_MS } from './constants.js'

export interface HandlePingOptions {
  signal?: AbortSignal
  /** Time for each payload to arrive and be echoed (default PING_LISTENER_TIMEOUT_MS, 60 s). */
  timeoutMs?: number
}

export async function handlePing (stream: Duplex, options: HandlePingOptions = {}): Promise<void> {
  const timeoutMs = checkTimerMs('ping timeoutMs', options.timeoutMs ?? PING_LISTENER_TIMEOUT_MS, 1)
  const queue = new ByteQueue()
  guardStreamErrors(stream)
  const idle = resetWhenIdle(stream, timeoutMs, () => new P2PError('ERR_PING_TIMEOUT', `no complete ${PING_LENGTH}-byte ping payload echoed within ${timeoutMs} ms`, { remote: true }))
  try {
    for await (const chunk of readChunks(stream, options.signal)) {
      queue.push(chunk)
      while (queue.length >= PING_LENGTH) {
        // take() may return a view of a received chunk: we never modify it
        await writeChunk(stream, queue.take(PING_LENGTH) as Uint8Array)
        idle.progress()
      }
    }
    if (queue.length !== 0) {
      throw new P2PError('ERR_PING_TRUNCATED', `the dialer half-closed after ${queue.length} bytes of a ${PING_LENGTH}-byte ping payload`, { remote: true })
    }
    await endStream(stream)
  } catch (err) {
    resetStream(stream)
    throw err
  } finally {
    idle.clear()
  }
}
