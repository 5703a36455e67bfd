// Constants of the perf protocol (libp2p/specs perf/perf.md "Protocol").

export const PERF_PROTOCOL = '/perf/1.0.0'

/**
 * perf.md: "Tell the server how many bytes we want the server to send us as
 * a single big-endian uint64 number."
 */
export const PERF_HEADER_LENGTH = 8

/**
 * The largest download a server answers by default: 1 TiB, more than any
 * benchmark run sends (10 Gbit/s for 10 minutes is 750 GB) yet a bound on
 * the work one request can demand. perf.md says "Zero is a valid number, so
 * is the max uint64 value" (for timer-based downloads, where the client
 * resets the stream when its timer ends) and also that perf "SHOULD NOT be
 * enabled by default ... on publicly reachable nodes": we refuse larger
 * requests with ERR_PERF_REQUEST_TOO_LARGE unless the operator raises the
 * limit (handlePerf's `maxDownloadBytes`, up to 2^64 - 1).
 */
export const MAX_PERF_DOWNLOAD_BYTES = 2n ** 40n

/**
 * Size of the writes both sides make: large enough that per-write overhead
 * vanishes, small enough to fit under a yamux window (256 KiB) several
 * times. All writes are views of one zeroed buffer, never a new allocation.
 */
export const PERF_WRITE_CHUNK = 64 * 1024

/** Default interval between progress reports of the client, in ms. */
export const PERF_PROGRESS_INTERVAL_MS = 1000
