// The client side of perf (libp2p/specs perf/perf.md "Protocol"):
//
//   2. Tell the server how many bytes we want the server to send us as a
//      single big-endian uint64 number.
//   3. Write some amount of data to the stream.
//   4. Close the write side of our stream.
//   5. Read from the read side of the stream. This should be the same number
//      of bytes as we told the server in step 2.
//
// perf.md "Single connection throughput": "The measurements are gathered and
// reported by the client by measuring how many bytes were transferred by the
// total time it took from stream open to stream close" -- so the clock runs
// from the call (the stream is open) to the server's EOF.
//
// Progress: `onProgress` is called at most every `progressIntervalMs` with
// the cumulative byte counts so far and the seconds since the start, and
// once more at the end of each phase. The clock is checked once per chunk,
// never through a timer, so an idle stream costs nothing.

import type { Duplex } from 'node:stream'
import { performance } from 'node:perf_hooks'
import { P2PError } from '../../util/errors.js'
import { abortError, endStream, guardStreamErrors, readChunks, resetStream, writeChunk } from '../stream-io.js'
import { encodePerfRequest } from './codec.js'
import { PERF_PROGRESS_INTERVAL_MS } from './constants.js'
import { sendZeroes } from './zeroes.js'

export interface PerfProgress {
  phase: 'upload' | 'download'
  /** Bytes uploaded so far (cumulative, excluding the 8-byte request). */
  uploadBytes: number
  /** Bytes downloaded so far (cumulative). */
  downloadBytes: number
  /** Seconds since perfClient was called. */
  timeSeconds: number
}

export interface PerfClientOptions {
  uploadBytes: number
  downloadBytes: number
  onProgress?: (progress: PerfProgress) => void
  progressIntervalMs?: number
  signal?: AbortSignal
  /** A monotonic clock in milliseconds (default performance.now). */
  now?: () => number
}

export interface PerfResult {
  /** From the call (stream open) to the server's EOF. */
  timeSeconds: number
  uploadBytes: number
  downloadBytes: number
}

export async function perfClient (stream: Duplex, options: PerfClientOptions): Promise<PerfResult> {
  for (const name of ['uploadBytes', 'downloadBytes'] as const) {
    const value = options[name]
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new P2PError('ERR_INVALID_PARAMETERS', `perf ${name} must be a non-negative safe integer, got ${value}`)
    }
  }
  const now = options.now ?? (() => performance.now())
  guardStreamErrors(stream)
  const interval = options.progressIntervalMs ?? PERF_PROGRESS_INTERVAL_MS
  const start = now()
  let lastReport = start
  const progress: PerfProgress = { phase: 'upload', uploadBytes: 0, downloadBytes: 0, timeSeconds: 0 }
  const report = (force: boolean): void => {
    if (options.onProgress === undefined) return
    const t = now()
    if (!force && t - lastReport < interval) return
    lastReport = t
    options.onProgress({ ...progress, timeSeconds: (t - start) / 1000 })
  }

  try {
    options.signal?.throwIfAborted()
    const onAbort = (): void => { resetStream(stream) }
    options.signal?.addEventListener('abort', onAbort, { once: true })
    try {
      await writeChunk(stream, encodePerfRequest(BigInt(options.downloadBytes)))
      await sendZeroes(stream, options.uploadBytes, n => {
        progress.uploadBytes += n
        report(false)
      })
      await endStream(stream)
      report(true)
      progress.phase = 'download'
      for await (const chunk of readChunks(stream)) {
        progress.downloadBytes += chunk.length
        // a server sending more than asked is wrong already: do not read on for ever
        if (progress.downloadBytes > options.downloadBytes) {
          throw new P2PError('ERR_PERF_DOWNLOAD_MISMATCH', `asked the server for ${options.downloadBytes} bytes, received more (${progress.downloadBytes} so far)`, { remote: true })
        }
        report(false)
      }
    } finally {
      options.signal?.removeEventListener('abort', onAbort)
    }
    report(true)
    // perf.md: "This should be the same number of bytes as we told the server"
    if (progress.downloadBytes !== options.downloadBytes) {
      throw new P2PError('ERR_PERF_DOWNLOAD_MISMATCH', `asked the server for ${options.downloadBytes} bytes, received ${progress.downloadBytes}`, { remote: true })
    }
  } catch (err) {
    resetStream(stream)
    throw options.signal?.aborted === true ? abortError(options.signal) : err
  }
  return { timeSeconds: (now() - start) / 1000, uploadBytes: progress.uploadBytes, downloadBytes: progress.downloadBytes }
}
