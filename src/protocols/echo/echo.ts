// The echo protocol `/echo/1.0.0` (this project's DESIGN.md "The `p2p`
// command": "echoes every byte until the remote half-closes, then
// half-closes"). It has no spec of its own; it is the simplest possible test
// that a stream carries bytes faithfully in both directions.
//
// Theory of operation: every received chunk is written back as it arrives;
// when the stream's write buffer is full we stop reading until 'drain', so a
// peer that writes faster than it reads is slowed down instead of growing our
// memory. The remote's half-close ends the loop and we half-close in turn.
// A stream that does not move for `idleTimeoutMs` (nothing arrives, or an
// echo is not taken) is reset with ERR_ECHO_TIMEOUT: a peer cannot park
// streams here for good.

import type { Duplex } from 'node:stream'
import { checkTimerMs } from '../../util/deadline.js'
import { P2PError } from '../../util/errors.js'
import { endStream, guardStreamErrors, readChunks, resetStream, resetWhenIdle, writeChunk } from '../stream-io.js'

export const ECHO_PROTOCOL = '/echo/1.0.0'

/** How long an echo stream may stand still before it is reset (as ping's listener allows a payload, 60 s). */
export const ECHO_IDLE_TIMEOUT_MS = 60_000

export interface HandleEchoOptions {
  signal?: AbortSignal
  /** Time the stream may stand still (default ECHO_IDLE_TIMEOUT_MS). */
  idleTimeoutMs?: number
}

export async function handleEcho (stream: Duplex, options: HandleEchoOptions = {}): Promise<void> {
  const idleTimeoutMs = checkTimerMs('echo idleTimeoutMs', options.idleTimeoutMs ?? ECHO_IDLE_TIMEOUT_MS, 1)
  guardStreamErrors(stream)
  const idle = resetWhenIdle(stream, idleTimeoutMs, () => new P2PError('ERR_ECHO_TIMEOUT', `the echo stream did not move for ${idleTimeoutMs} ms`, { remote: true }))
  try {
    for await (const chunk of readChunks(stream, options.signal)) {
      idle.progress()
      await writeChunk(stream, chunk)
      idle.progress()
    }
    await endStream(stream)
  } catch (err) {
    resetStream(stream)
    throw err
  } finally {
    idle.clear()
  }
}
