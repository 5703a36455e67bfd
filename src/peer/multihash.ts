// The two multihashes a peer ID can be (multiformats/multihash; libp2p/specs
// peer-ids/peer-ids.md, "Peer Ids").
//
//   <varint hash function code> <varint digest length> <digest>
//
// "identity" (0x00) carries its input verbatim; "sha2-256" (0x12) carries a
// 32-byte SHA-256 digest. Codes are from multiformats/multicodec table.csv.

import { createHash } from 'node:crypto'
import { P2PError } from '../util/errors.js'
import { decodeUvarint, uvarintLength, writeUvarint } from '../util/varint.js'

export const MultihashCode = {
  identity: 0x00,
  'sha2-256': 0x12
} as const
export type MultihashName = keyof typeof MultihashCode

/** SHA-256 digests are 32 bytes. */
export const SHA2_256_DIGEST_BYTES = 32

export interface Multihash {
  readonly name: MultihashName
  readonly digest: Uint8Array
}

export function encodeMultihash (name: MultihashName, digest: Uint8Array): Uint8Array {
  const code = MultihashCode[name]
  const out = new Uint8Array(uvarintLength(code) + uvarintLength(digest.length) + digest.length)
  let offset = writeUvarint(code, out, 0)
  offset = writeUvarint(digest.length, out, offset)
  out.set(digest, offset)
  return out
}

export function sha256Multihash (input: Uint8Array): Uint8Array {
  return encodeMultihash('sha2-256', createHash('sha256').update(input).digest())
}

function invalid (message: string, cause?: unknown): P2PError {
  return new P2PError('ERR_INVALID_MULTIHASH', message, { cause })
}

/**
 * Decodes a multihash that must fill `bytes` exactly. Only identity and
 * sha2-256 are known; any other function code is an error (a peer ID is never
 * anything else).
 */
export function decodeMultihash (bytes: Uint8Array): Multihash {
  let code, length
  try {
    code = decodeUvarint(bytes, 0)
    length = code === undefined ? undefined : decodeUvarint(bytes, code.bytes)
  } catch (err) {
    throw invalid('multihash has a malformed varint', err)
  }
  if (code === undefined || length === undefined) throw invalid(`multihash of ${bytes.length} bytes is truncated inside its header`)
  const start = code.bytes + length.bytes
  if (bytes.length - start !== length.value) {
    throw invalid(`multihash declares a ${length.value}-byte digest but ${bytes.length - start} bytes follow the header`)
  }
  const digest = bytes.subarray(start)
  switch (code.value) {
    case MultihashCode.identity:
      return { name: 'identity', digest }
    case MultihashCode['sha2-256']:
      if (digest.length !== SHA2_256_DIGEST_BYTES) {
        throw invalid(`sha2-256 multihash digest must be ${SHA2_256_DIGEST_BYTES} bytes, got ${digest.length}`)
      }
      return { name: 'sha2-256', digest }
    default:
      throw invalid(`unsupported multihash function 0x${code.value.toString(16)}; expected identity (0x00) or sha2-256 (0x12)`)
  }
}
