// The echo protocol `/echo/1.0.0` (this project's DESIGN.md "The `p2p`
// command": "echoes every byte until the remote half-closes, then
// half-closes"). It has no spec of its own; it is the simplest possible test
// that a stream carries bytes faithfully in both directions.
//
// Theory of operation: every received chunk is written back as it arrives;
// when the stream's write buffer is full we stop reading until 'drain', so a
// peer that writes faster than it reads is slowed down instead of growing our
// memory. The remote's half-close ends the loop and we half-close in turn.

import type { Duplex } from 'node:stream'
import { endStream, guardStreamErrors, readChunks, resetStream, writeChunk } from '../stream-io.js'

export const ECHO_PROTOCOL = '/echo/1.0.0'

export async function handleEcho (stream: Duplex, options: { signal?: AbortSignal } = {}): Promise<void> {
  guardStreamErrors(stream)
  try {
    for await (const chunk of readChunks(stream, options.signal)) {
      await writeChunk(stream, chunk)
    }
    await endStream(stream)
  } catch (err) {
    resetStream(stream)
    throw err
  }
}
