// A GC ballast for bulk transfer: a V8 heuristic worked around, not a
// protocol rule.
//
// Why it exists. Every sealed or opened Noise message is a new Buffer
// (node:crypto returns one per call) whose 64 KiB live outside V8's heap,
// as "external memory". They die young, but V8 (11.x, Node 20) counts
// external bytes allocated since its last mark-compact against the old
// generation's limit, and computes that limit from the live heap, which in
// a libp2p process is small (~8 MiB). So every few tens of MiB moved, V8
// started incremental marking: ~40 mark-compacts per process for 256 MiB
// each way, with concurrent marking threads and the write barriers of
// marking running alongside. A bigger live heap moves the limit: with a
// ballast of 8–16 MiB the same transfer ran 2 mark-compacts (both at
// start-up) and took 40 % less CPU.
//
// The ballast is one flat string. It holds no pointers, so marking it costs
// the same whatever its size; it only makes the old generation as large as
// V8 needs to see. (An array of doubles would do too, but filling one takes
// 25–40 ms and may leave a copy of itself as garbage; the string is made in
// ~10 ms.) It costs its size in resident memory, so it is laid only once
// one channel has moved BULK_CHANNEL_BYTES (a bulk transfer: a thousand
// idle connections never lay it), and it stays for the life of the
// process, which is likely to move bulk data again.
// setGcBallastBytes(0), or P2P_GC_BALLAST=0 in the environment, turns it off.

import { P2PError } from '../util/errors.js'

/** Bytes one Noise channel seals and opens before it counts as a bulk transfer. */
export const BULK_CHANNEL_BYTES = 4 * 1024 * 1024

/** The default ballast: 8–16 MiB measured alike; the larger end leaves a margin. */
export const DEFAULT_GC_BALLAST_BYTES = 16 * 1024 * 1024

let ballastBytes = process.env.P2P_GC_BALLAST === '0' ? 0 : DEFAULT_GC_BALLAST_BYTES
let ballast: string | undefined

/** Lays the ballast, unless it is laid already or turned off (a channel calls it once it moves bulk data). */
export function layGcBallast (): void {
  if (ballast !== undefined || ballastBytes === 0) return
  // repeat() builds a tree of concatenations, a few objects whatever its
  // length; searching it makes V8 flatten it into one string of ballastBytes
  // Latin-1 characters, one byte each
  ballast = ' '.repeat(ballastBytes)
  ballast.indexOf('.')
}

/**
 * Sets the ballast's size in bytes (0: none). A ballast already laid is
 * dropped; the new one is laid when a channel next moves bulk data.
 */
export function setGcBallastBytes (bytes: number): void {
  // a bound far above any useful ballast, and under V8's longest string (2^29 - 24 characters)
  if (!Number.isSafeInteger(bytes) || bytes < 0 || bytes > 256 * 1024 * 1024) {
    throw new P2PError('ERR_INVALID_PARAMETERS', `the GC ballast must be a whole number of bytes from 0 to 256 MiB, got ${bytes}`)
  }
  ballastBytes = bytes
  ballast = undefined
}

/** Bytes of ballast held now (0 until some channel has moved bulk data). */
export function gcBallastBytes (): number {
  return ballast === undefined ? 0 : ballast.length
}
