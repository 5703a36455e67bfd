// The dialing side of ping (libp2p/specs ping/ping.md "Protocol").
//
// Theory of operation: for each round, write 32 random bytes, read exactly 32
// bytes back, compare them byte for byte and record the round-trip time from
// the write to the last byte of the echo. Rounds run one after another on the
// same stream, as the spec allows:
//
//   "The dialing peer MAY repeat the process by sending another payload with
//    random bytes on the same stream"
//
// After the last round we half-close ("The dialing peer SHOULD close the write
// operation of the stream after sending the last payload") and let the
// readable side drain, so the stream finishes once the listener closes too.
// The clock and the randomness are injectable, so tests replay exactly.

import type { Duplex } from 'node:stream'
import { randomBytes as poolRandomBytes } from '../../util/random.js'
import { performance } from 'node:perf_hooks'
import { P2PError } from '../../util/errors.js'
import { StreamReader, readTimeLimit } from '../../util/stream-reader.js'
import { checkTimerMs } from '../../util/deadline.js'
import { guardStreamErrors, resetStream, writeChunk } from '../stream-io.js'
import { DEFAULT_PING_TIMEOUT_MS, PING_LENGTH } from './constants.js'

export interface PingOptions {
  /** How many payloads to send, one after another (default 1). */
  count?: number
  signal?: AbortSignal
  /** How long each echo may take, from its payload's write (default DEFAULT_PING_TIMEOUT_MS, 10 s). */
  timeoutMs?: number
  /** Source of the payloads (default: the CSPRNG, through ../../util/random.ts). */
  randomBytes?: (n: number) => Uint8Array
  /** A monotonic clock in milliseconds (default: performance.now). */
  now?: () => number
}

/** The count and time limit `options` ask for, checked (ERR_INVALID_PARAMETERS). */
export function checkPingOptions (options: Pick<PingOptions, 'count' | 'timeoutMs'>): { count: number, timeoutMs: number } {
  const count = options.count ?? 1
  if (!Number.isSafeInteger(count) || count < 1) {
    throw new P2PError('ERR_INVALID_PARAMETERS', `ping count must be a positive integer, got ${count}`)
  }
  return { count, timeoutMs: checkTimerMs('ping timeoutMs', options.timeoutMs ?? DEFAULT_PING_TIMEOUT_MS, 1) }
}

/**
 * Pings over `stream` (already negotiated to PING_PROTOCOL). Resolves with
 * one round-trip time per payload in milliseconds (sub-millisecond
 * precision). Rejects with ERR_PING_MISMATCH when an echo differs from the
 * payload; on any failure the stream is reset.
 */
export async function ping (stream: Duplex, options: PingOptions = {}): Promise<number[]> {
  let count: number, timeoutMs: number
  try {
    ({ count, timeoutMs } = checkPingOptions(options))
  } catch (err) {
    // the stream is reset on any failure: left open, it would hold the peer's one ping stream
    resetStream(stream)
    throw err
  }
  const randomBytes = options.randomBytes ?? poolRandomBytes
  const now = options.now ?? (() => performance.now())
  guardStreamErrors(stream)
  const rtts: number[] = []
  try {
    for (let i = 0; i < count; i++) {
      const payload = randomBytes(PING_LENGTH)
      if (payload.length !== PING_LENGTH) {
        throw new P2PError('ERR_INVALID_PARAMETERS', `randomBytes(${PING_LENGTH}) returned ${payload.length} bytes`)
      }
      const start = now()
      // a reader keeps no bytes of its own: one per round gives each echo its own time limit
      const round = i + 1
      const reader = new StreamReader(stream, options.signal, readTimeLimit(timeoutMs, () => new P2PError('ERR_PING_TIMEOUT', `ping ${round}: no echo within ${timeoutMs} ms`, { remote: true })))
      await writeChunk(stream, payload)
      const echo = await reader.readExactly(PING_LENGTH)
      const end = now()
      // ping.md: "The listening peer echoes the same 32-byte payload back"
      const at = firstDifference(payload, echo)
      if (at !== -1) {
        throw new P2PError('ERR_PING_MISMATCH', `ping ${i + 1}: echo differs from the payload at byte ${at} (sent 0x${hex(payload[at])}, received 0x${hex(echo[at])})`, { remote: true })
      }
      rtts.push(end - start)
    }
  } catch (err) {
    resetStream(stream)
    throw err
  }
  stream.end()
  // discard whatever else arrives so 'end' can fire and the stream finish
  stream.resume()
  return rtts
}

function firstDifference (a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i
  return -1
}

function hex (byte: number): string {
  return byte.toString(16).padStart(2, '0')
}
