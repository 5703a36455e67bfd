// Constants of the perf protocol (libp2p/specs perf/perf.md "Protocol").

export const PERF_PROTOCOL = '/perf/1.0.0'

/**
 * perf.md: "Tell the server how many bytes we want the server to send us as
 * a single big-endian uint64 number."
 */
export const PERF_HEADER_LENGTH = 8

/**
 * The largest download a server answers by default: any the 8-byte request
 * can carry. perf.md: "Zero is a valid number, so is the max uint64 value",
 * and its timer-based download asks for exactly that ("the client should
 * request a response size of max uint64, then close the stream after the
 * timer ends"); a smaller cap would refuse a conforming client. The spec's
 * answer to the work a client may ask for is elsewhere: perf "SHOULD NOT be
 * enabled by default" (a Libp2pNode serves it only with `perf: true`). An
 * operator may still set a cap (handlePerf's `maxDownloadBytes`).
 */
export const MAX_PERF_DOWNLOAD_BYTES = 2n ** 64n - 1n

/**
 * Size of the writes both sides make: large enough that per-write overhead
 * vanishes, small enough to fit under a yamux window (256 KiB) several
 * times. All writes are views of one zeroed buffer, never a new allocation.
 */
export const PERF_WRITE_CHUNK = 64 * 1024

/** Default interval between progress reports of the client, in ms. */
export const PERF_PROGRESS_INTERVAL_MS = 1000

/**
 * How long the server waits for its stream to move (the request's 8 bytes,
 * an upload chunk, a download write taken) before it resets the stream. The
 * spec sets no deadline; without one a client that opened a stream and went
 * silent would hold it for good. A working client never pauses this long:
 * it sends or reads all the time.
 */
export const PERF_SERVER_IDLE_TIMEOUT_MS = 60_000
