// The server side of perf (libp2p/specs perf/perf.md "Protocol"):
//
//   1. Read the big-endian uint64 number. This is how many bytes we'll send
//      back in step 3.
//   2. Read from the stream until we get an `EOF` (client's write side was
//      closed).
//   3. Send the number of bytes defined in step 1 back to the client.
//   5. Close the stream.
//
// Step 2 counts and discards; step 3 writes views of one zeroed buffer. A
// request above `maxDownloadBytes` is refused before any work is done: the
// stream is reset and the handler rejects with ERR_PERF_REQUEST_TOO_LARGE.
// A stream that does not move for `idleTimeoutMs` (nothing arrives while we
// read, nothing is taken while we write) is reset with ERR_PERF_TIMEOUT.

import type { Duplex } from 'node:stream'
import { P2PError } from '../../util/errors.js'
import { StreamReader } from '../../util/stream-reader.js'
import { checkTimerMs } from '../../util/deadline.js'
import { abortError, endStream, guardStreamErrors, readChunks, resetStream, resetWhenIdle } from '../stream-io.js'
import { decodePerfRequest } from './codec.js'
import { MAX_PERF_DOWNLOAD_BYTES, PERF_HEADER_LENGTH, PERF_SERVER_IDLE_TIMEOUT_MS } from './constants.js'
import { sendZeroes } from './zeroes.js'

export interface PerfServerOptions {
  /** Largest download answered (default MAX_PERF_DOWNLOAD_BYTES: any, 2^64 - 1). */
  maxDownloadBytes?: bigint
  /** Time the stream may stand still before it is reset (default PERF_SERVER_IDLE_TIMEOUT_MS, 60 s). */
  idleTimeoutMs?: number
  signal?: AbortSignal
}

export interface PerfServerResult {
  /** Bytes the client uploaded (after the 8-byte request). */
  uploadBytes: number
  /** Bytes sent back. */
  downloadBytes: number
}

export async function handlePerf (stream: Duplex, options: PerfServerOptions = {}): Promise<PerfServerResult> {
  const maxDownloadBytes = options.maxDownloadBytes ?? MAX_PERF_DOWNLOAD_BYTES
  const idleTimeoutMs = checkTimerMs('perf idleTimeoutMs', options.idleTimeoutMs ?? PERF_SERVER_IDLE_TIMEOUT_MS, 1)
  guardStreamErrors(stream)
  options.signal?.throwIfAborted()
  const idle = resetWhenIdle(stream, idleTimeoutMs, () => new P2PError('ERR_PERF_TIMEOUT', `the perf stream did not move for ${idleTimeoutMs} ms`, { remote: true }))
  // the signal ends every step, the download too: sendZeroes has no signal
  // of its own, but a reset stream fails its next write
  const onAbort = (): void => { resetStream(stream) }
  options.signal?.addEventListener('abort', onAbort, { once: true })
  try {
    const requested = decodePerfRequest(await new StreamReader(stream, options.signal).readExactly(PERF_HEADER_LENGTH))
    if (requested > maxDownloadBytes) {
      throw new P2PError('ERR_PERF_REQUEST_TOO_LARGE', `perf client asked for ${requested} bytes, this server sends at most ${maxDownloadBytes}`, { remote: true })
    }
    idle.progress()
    let uploadBytes = 0
    for await (const chunk of readChunks(stream, options.signal)) {
      uploadBytes += chunk.length
      idle.progress()
    }
    // perf.md: "This MUST NOT be run concurrently with step 2." The loop
    // above only ends at the client's EOF, so sending starts strictly after.
    // Above 2^53 a count is no longer exact; such a request is "until reset".
    const downloadBytes = requested > BigInt(Number.MAX_SAFE_INTEGER) ? Infinity : Number(requested)
    await sendZeroes(stream, downloadBytes, idle.progress)
    await endStream(stream)
    return { uploadBytes, downloadBytes }
  } catch (err) {
    resetStream(stream)
    throw options.signal?.aborted === true ? abortError(options.signal) : err
  } finally {
    idle.clear()
    options.signal?.removeEventListener('abort', onAbort)
  }
}
