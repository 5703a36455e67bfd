// Sends `total` bytes of zeroes as views of one shared zeroed buffer, with
// backpressure: no allocation per chunk, memory bounded by the stream's
// highWaterMark. Used by the client's upload and the server's download.
//
// Sharing one buffer between all writes is safe because nobody writes into
// it: streams below us only read (and the Noise layer encrypts into its own
// output buffers).

import type { Duplex } from 'node:stream'
import { writeChunk } from '../stream-io.js'
import { PERF_WRITE_CHUNK } from './constants.js'

const ZEROES = new Uint8Array(PERF_WRITE_CHUNK)

/**
 * Writes `total` zero bytes; `onChunk(n)` is told after each write. Pass
 * Infinity to write until the stream is closed or reset by the other side.
 */
export async function sendZeroes (stream: Duplex, total: number, onChunk?: (n: number) => void): Promise<void> {
  let left = total
  while (left > 0) {
    const size = Math.min(left, PERF_WRITE_CHUNK)
    const chunk = size === PERF_WRITE_CHUNK ? ZEROES : ZEROES.subarray(0, size)
    await writeChunk(stream, chunk)
    left -= size
    onChunk?.(size)
  }
}
