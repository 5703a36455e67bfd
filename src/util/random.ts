// Random bytes for small, frequent needs (a ping's payload, a Noise
// ephemeral key), cut from a pool that node:crypto's CSPRNG fills.
//
// Why a pool: in Node 20 each randomBytes(32) call costs ~2-7 µs (a
// native job per call), a cut from the pool ~0.2 µs, and every connection
// asks for a few. Each byte is handed out once, as a copy, so no two callers
// ever share one; what a caller does with its copy cannot touch the pool.

import crypto from 'node:crypto'

const POOL_BYTES = 4096
/** Larger requests bypass the pool (they would empty it for little gain). */
const POOLED_MAX = 256

let pool = new Uint8Array(0)
let used = 0

/** `n` fresh random bytes from the CSPRNG. */
export function randomBytes (n: number): Uint8Array {
  if (n > POOLED_MAX) return new Uint8Array(crypto.randomBytes(n))
  if (used + n > pool.length) {
    pool = crypto.randomFillSync(new Uint8Array(POOL_BYTES))
    used = 0
  }
  const out = pool.slice(used, used + n)
  used += n
  return out
}
