// The text forms of a peer ID (libp2p/specs peer-ids/peer-ids.md, "String
// representation" and "Decoding"), read in one place for the two layers that
// meet them: ../peer/peer-id.ts (PeerId.parse) and ../multiaddr/multihash.ts
// (the /p2p value), which sits below the peer layer and cannot import it.
//
//   legacy  base58btc of the multihash, no multibase prefix ("12D3KooW...", "Qm...")
//   CID     multibase( <varint 1 (CIDv1)> <varint 0x72 (libp2p-key)> <multihash> )
//
// "Implementations MUST support parsing both forms of peer IDs." This module
// only unwraps the text to the multihash bytes; each caller then checks the
// multihash its own way (the peer layer also decodes the key it may hold).

import { P2PError } from './errors.js'
import { base58btc, decodeMultibase } from './multibase.js'
import { decodeUvarint } from './varint.js'

/** CID version of the CID text form ("must be encoded using CIDv1"). */
export const CID_VERSION = 1
/** The libp2p-key multicodec ("must use the libp2p-key multicodec (0x72)"). */
export const LIBP2P_KEY_CODEC = 0x72

function invalid (message: string, cause?: unknown): P2PError {
  return new P2PError('ERR_INVALID_PEER_ID', message, { cause })
}

function shorten (text: string): string {
  return text.length > 64 ? `${text.slice(0, 64)}...` : text
}

/**
 * "If it starts with 1 or Qm, it's a bare base58btc encoded multihash." That
 * form is also the canonical text (base58btc writes a given multihash one way
 * only), so such a text, once decoded, needs no encoding back.
 */
export function isBase58PeerIdText (text: string): boolean {
  return text.startsWith('1') || text.startsWith('Qm')
}

/**
 * The multihash a peer ID text holds, in either form. Throws
 * ERR_INVALID_PEER_ID when the text is neither; the multihash itself is not
 * checked here. Callers bound the text length first (base58 decoding is
 * quadratic in it).
 */
export function peerIdTextToMultihash (text: string): Uint8Array {
  if (isBase58PeerIdText(text)) {
    try {
      return base58btc.decode(text)
    } catch (err) {
      throw invalid(`"${shorten(text)}" is not valid multibase: ${err instanceof Error ? err.message : String(err)}`, err)
    }
  }
  // "If it starts with a multibase prefix, it's a CIDv1 CID."
  let cid
  try {
    cid = decodeMultibase(text)
  } catch (err) {
    throw invalid(`"${shorten(text)}" is neither a base58btc multihash ("1...", "Qm...") nor a multibase CID`, err)
  }
  let version, codec
  try {
    version = decodeUvarint(cid, 0)
    codec = version === undefined ? undefined : decodeUvarint(cid, version.bytes)
  } catch (err) {
    throw invalid(`CID "${shorten(text)}" has a malformed varint`, err)
  }
  if (version === undefined || codec === undefined) throw invalid(`CID "${shorten(text)}" is truncated`)
  if (version.value !== CID_VERSION) {
    throw invalid(`CID "${shorten(text)}" has version ${version.value}; peer IDs "must be encoded using CIDv1"`)
  }
  // "Once decoded, verify that the CIDs multicodec is libp2p-key."
  if (codec.value !== LIBP2P_KEY_CODEC) {
    throw invalid(`CID "${shorten(text)}" has multicodec 0x${codec.value.toString(16)}; expected libp2p-key (0x72)`)
  }
  // "Finally, extract the multihash from the CID. This is the peer ID."
  return cid.subarray(version.bytes + codec.bytes)
}
