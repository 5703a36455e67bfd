// The only framing perf has: the client's 8-byte request, "a single
// big-endian uint64 number" (perf.md "Protocol", client step 2).

import { P2PError } from '../../util/errors.js'
import { PERF_HEADER_LENGTH } from './constants.js'

const MAX_UINT64 = 2n ** 64n - 1n

export function encodePerfRequest (downloadBytes: bigint): Uint8Array {
  // perf.md: "Zero is a valid number, so is the max uint64 value."
  if (downloadBytes < 0n || downloadBytes > MAX_UINT64) {
    throw new P2PError('ERR_INVALID_PARAMETERS', `perf download size must be within 0..2^64-1, got ${downloadBytes}`)
  }
  const out = new Uint8Array(PERF_HEADER_LENGTH)
  new DataView(out.buffer).setBigUint64(0, downloadBytes, false)
  return out
}

export function decodePerfRequest (header: Uint8Array): bigint {
  if (header.length !== PERF_HEADER_LENGTH) {
    throw new P2PError('ERR_INVALID_PARAMETERS', `perf request is ${PERF_HEADER_LENGTH} bytes, got ${header.length}`)
  }
  return new DataView(header.buffer, header.byteOffset, header.byteLength).getBigUint64(0, false)
}
