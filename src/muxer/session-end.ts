// What the end of a session (yamux, mplex) leaves of a stream whose remote
// half was already complete.
//
// Once the remote's FIN (yamux) or Close (mplex) has arrived, every byte it
// sent on that stream is here. mplex/README.md "Closing a stream": "Reading
// from a remote-closed stream should return all data send before closing the
// stream and then EOF thereafter"; go-yamux likewise keeps a half-closed
// stream's data readable when its session closes. So the end of the
// session, even with the connection gone under it, does not take that data
// away from a stream its user already has: the reader gets it and then EOF,
// and the stream closes. Our half is gone, though: a write or end() fails,
// and, as any failed write does in Node, destroys the stream (with whatever
// was still unread). A stream nobody reads to its end is reset after
// KEPT_STREAM_LINGER_MS: it holds memory its connection no longer counts,
// and the switch's per-peer and per-protocol stream slots until it closes.

import type { Duplex } from 'node:stream'
import { P2PError } from '../util/errors.js'

/** How long a stream kept for reading may wait for its reader to reach EOF. */
export const KEPT_STREAM_LINGER_MS = 10_000

/**
 * What a session's end does with `stream` when its remote half is complete
 * (above): keeps it for its reader (closeWhenRead) and returns true, if
 * its user was told of it (`announced`) and no write of ours is under way
 * (`writing`) or queued. A write that can no longer be sent fails and takes
 * the stream with it anyway; an unannounced stream has no reader. False:
 * the session resets the stream.
 */
export function keepForReading (stream: Duplex, remoteHalfComplete: boolean, announced: boolean, writing: boolean): boolean {
  if (!remoteHalfComplete || !announced || writing || stream.writableLength > 0) return false
  closeWhenRead(stream)
  return true
}

/** Closes `stream` (without an error) once its reader has had everything and EOF; resets it after `lingerMs`. */
export function closeWhenRead (stream: Duplex, lingerMs = KEPT_STREAM_LINGER_MS): void {
  if (stream.readableEnded) {
    stream.destroy()
    return
  }
  const timer = setTimeout(() => {
    stream.destroy(new P2PError('ERR_STREAM_RESET', `stream reset: its session ended ${lingerMs} ms ago and it was not read to its end`))
  }, lingerMs)
  // a stream left unread does not keep the process alive
  timer.unref()
  stream.once('end', () => { stream.destroy() })
  stream.once('close', () => { clearTimeout(timer) })
}
