// Multihash values: the /p2p peer ID and the /certhash certificate hash.
//
// Binary form (multiformats/multihash): <varint hash code><varint digest
// length><digest>, the whole of it length-prefixed in the multiaddr.
//
// /p2p text form: libp2p/specs peer-ids/peer-ids.md, "String
// representation": the canonical form is bare base58btc. Newer revisions of
// that spec also accept a CIDv1 in any multibase whose codec is libp2p-key
// (0x72); we tell the two apart as those revisions do: text starting with
// `1` or `Qm` is base58btc, anything else a multibase CID, which is unwrapped
// to its multihash (../util/peer-id-text.ts, shared with the peer layer). A
// peer ID is always printed as bare base58btc. Peer IDs
// are made (peer-ids.md, "Peer Ids") as: "If the length of the serialized
// bytes <= 42, then we compute the "identity" multihash ... If the length is
// >42, then we hash it using it using the SHA256 multihash." So only those
// two hash codes are accepted.
//
// /certhash text form: any multibase string holding a multihash; printed as
// base64url (prefix `u`), as go- and js-multiaddr print it.

import { P2PError } from '../util/errors.js'
import { base58btc, base64url, decodeMultibase, encodeMultibase } from '../util/multibase.js'
import { LIBP2P_KEY_CODEC, peerIdTextToMultihash } from '../util/peer-id-text.js'
import { decodeUvarint } from '../util/varint.js'
import { MultiaddrErrorCode, shown } from './errors.js'

/** multicodec "identity": the digest is the data itself (small public keys). */
export const MULTIHASH_IDENTITY = 0x00
/** multicodec "sha2-256". */
export const MULTIHASH_SHA2_256 = 0x12
const SHA2_256_DIGEST_BYTES = 32
/** multicodec "libp2p-key": the CID codec of a peer ID. */
export const CODEC_LIBP2P_KEY = LIBP2P_KEY_CODEC

/**
 * Longest multihash we accept in /p2p and /certhash. The longest peer ID the
 * peer-ids spec makes is an identity multihash of a 42-byte key (44 bytes);
 * sha2-512 certhashes are 66 bytes. The bound keeps base58 (quadratic in the
 * length) cheap on hostile input.
 */
export const MAX_MULTIHASH_BYTES = 128
/** Longest text we decode for such a value: base36 of 128 bytes plus a CID header fits. */
export const MAX_MULTIHASH_TEXT_CHARS = 256

function invalid (detail: string, cause?: unknown): P2PError {
  return new P2PError(MultiaddrErrorCode.INVALID_VALUE, detail, cause === undefined ? {} : { cause })
}

export interface Multihash {
  code: number
  digest: Uint8Array
}

/**
 * Checks that `bytes` is exactly one well-formed multihash: a varint code, a
 * varint digest length, and a digest of exactly that length.
 */
export function decodeMultihash (bytes: Uint8Array): Multihash {
  if (bytes.length > MAX_MULTIHASH_BYTES) {
    throw invalid(`multihash is ${bytes.length} bytes, more than the ${MAX_MULTIHASH_BYTES} allowed`)
  }
  const code = readVarint(bytes, 0, 'hash function code')
  const length = readVarint(bytes, code.bytes, 'digest length')
  const start = code.bytes + length.bytes
  if (bytes.length - start !== length.value) {
    throw invalid(`multihash declares a ${length.value}-byte digest but ${bytes.length - start} bytes follow`)
  }
  return { code: code.value, digest: bytes.subarray(start) }
}

function readVarint (bytes: Uint8Array, offset: number, what: string): { value: number, bytes: number } {
  let decoded
  try {
    decoded = decodeUvarint(bytes, offset)
  } catch (err) {
    throw invalid(`multihash ${what} is not a valid varint`, err)
  }
  if (decoded === undefined) throw invalid(`multihash ends inside its ${what}`)
  return decoded
}

/** Validates a /p2p value: a multihash of a public key, identity or sha2-256. */
export function validatePeerIdMultihash (bytes: Uint8Array): void {
  const { code, digest } = decodeMultihash(bytes)
  if (code === MULTIHASH_SHA2_256) {
    if (digest.length !== SHA2_256_DIGEST_BYTES) {
      throw invalid(`sha2-256 peer ID digest is ${digest.length} bytes, expected ${SHA2_256_DIGEST_BYTES}`)
    }
  } else if (code !== MULTIHASH_IDENTITY) {
    throw invalid(`peer ID multihash uses hash code 0x${code.toString(16)}, expected identity (0x00) or sha2-256 (0x12)`)
  } else if (digest.length === 0 || digest.length > MAX_INLINE_KEY_BYTES) {
    // peer-ids.md: "keys that serialize to at most 42 bytes must be hashed using the 'identity'
    // multihash codec", longer ones with sha256: no peer ID inlines more, or nothing
    throw invalid(`identity peer ID multihash holds ${digest.length} bytes, expected a serialized key of 1 to ${MAX_INLINE_KEY_BYTES} bytes`)
  }
}

/** peer-ids.md: the longest serialized key a peer ID holds inline (identity multihash). */
const MAX_INLINE_KEY_BYTES = 42

/** Text of a /p2p value → its multihash bytes (both text forms: ../util/peer-id-text.ts). */
export function peerIdFromText (text: string): Uint8Array {
  checkTextLength(text)
  let bytes: Uint8Array
  try {
    bytes = peerIdTextToMultihash(text)
  } catch (err) {
    throw invalid(err instanceof Error ? err.message : String(err), err)
  }
  validatePeerIdMultihash(bytes)
  return bytes
}

export function peerIdToText (bytes: Uint8Array): string {
  validatePeerIdMultihash(bytes)
  return base58btc.encode(bytes)
}

/** Text of a /certhash value → its multihash bytes. */
export function certhashFromText (text: string): Uint8Array {
  checkTextLength(text)
  const bytes = decodeText(() => decodeMultibase(text), text)
  decodeMultihash(bytes)
  return bytes
}

export function certhashToText (bytes: Uint8Array): string {
  decodeMultihash(bytes)
  return encodeMultibase(base64url, bytes)
}

function checkTextLength (text: string): void {
  if (text.length > MAX_MULTIHASH_TEXT_CHARS) {
    throw invalid(`value is ${text.length} characters, more than the ${MAX_MULTIHASH_TEXT_CHARS} allowed`)
  }
}

function decodeText (decode: () => Uint8Array, text: string): Uint8Array {
  try {
    return decode()
  } catch (err) {
    throw invalid(`"${shown(text)}" is not valid multibase: ${err instanceof Error ? err.message : String(err)}`, err)
  }
}
