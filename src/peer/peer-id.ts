// Peer IDs (libp2p/specs peer-ids/peer-ids.md, "Peer Ids" and "String
// representation").
//
// A peer ID is a multihash of the peer's PublicKey protobuf:
//
//   protobuf = PublicKey{Type, Data}           (./keys.ts, canonical bytes)
//   len(protobuf) <= 42 → identity multihash   0x00 <len> <protobuf>
//   len(protobuf) >  42 → sha2-256 multihash   0x12 0x20 <SHA-256(protobuf)>
//
// So Ed25519 (36-byte protobuf) and secp256k1 (37) peer IDs carry the key
// itself and anyone can check a signature against them; RSA and ECDSA peer
// IDs are hashes, and the key must come from elsewhere (Noise, identify).
//
// Text forms:
//   legacy  base58btc of the multihash, no multibase prefix:
//           "12D3KooW..." (Ed25519), "16U..." (secp256k1), "Qm..." (sha2-256)
//   CID     multibase( <varint 1 (CIDv1)> <varint 0x72 (libp2p-key)> <multihash> ),
//           printed in base32 ("bafz..."); parsed in any multibase that
//           ../util/multibase.ts knows: base32 "b"/"B", base36 "k"/"K"
//           (IPNS and many tools print Ed25519 peer IDs as "k51..."),
//           base58btc "z", base16 "f", base64 "m", base64url "u"
// "Implementations MUST support parsing both forms of peer IDs.
// Implementations SHOULD display peer IDs using the first (raw base58btc
// encoded multihash) format", so toString() is base58btc and toCID() the CID.

import { P2PError } from '../util/errors.js'
import { base32, base58btc, encodeMultibase } from '../util/multibase.js'
import { CID_VERSION, LIBP2P_KEY_CODEC, isBase58PeerIdText, peerIdTextToMultihash } from '../util/peer-id-text.js'
import { equalBytes } from '../util/bytes.js'
import { publicKeyFromProtobuf, publicKeyToProtobuf } from './keys.js'
import { decodeMultihash, encodeMultihash, sha256Multihash } from './multihash.js'
import type { PublicKey } from './types.js'

/**
 * "If the length of the serialized bytes is less than or equal to 42,
 * compute the "identity" multihash [...] If the length is greater than 42,
 * then hash it using the SHA256 multihash."
 */
export const MAX_INLINE_KEY_LENGTH = 42

export { CID_VERSION, LIBP2P_KEY_CODEC }

/**
 * Longest text we try to parse. Why: the longest valid form is a base16 CID
 * of an identity peer ID (1 + 2 × 48 characters); base58 decoding is
 * quadratic in the length, so anything longer is refused before decoding.
 */
export const MAX_PEER_ID_TEXT_LENGTH = 128

function invalid (message: string, cause?: unknown): P2PError {
  return new P2PError('ERR_INVALID_PEER_ID', message, { cause })
}

export class PeerId {
  /** The multihash: identity of the PublicKey protobuf, or its sha2-256. */
  readonly bytes: Uint8Array
  /** The public key, when the multihash holds it (identity); else undefined. */
  readonly publicKey: PublicKey | undefined
  #text: string | undefined

  private constructor (bytes: Uint8Array, publicKey: PublicKey | undefined) {
    this.bytes = bytes
    this.publicKey = publicKey
  }

  /** The peer ID of a public key (spec "Peer Ids", steps 1-5). */
  static fromPublicKey (key: PublicKey): PeerId {
    const protobuf = publicKeyToProtobuf(key)
    if (protobuf.length <= MAX_INLINE_KEY_LENGTH) {
      return new PeerId(encodeMultihash('identity', protobuf), key)
    }
    return new PeerId(sha256Multihash(protobuf), undefined)
  }

  /**
   * A peer ID from its multihash bytes. Accepts a sha2-256 multihash with a
   * 32-byte digest, or an identity multihash of at most 42 bytes that holds a
   * valid PublicKey protobuf. Throws ERR_INVALID_PEER_ID otherwise.
   */
  static fromBytes (multihash: Uint8Array): PeerId {
    let decoded
    try {
      decoded = decodeMultihash(multihash)
    } catch (err) {
      throw invalid(`peer ID bytes are not a valid multihash: ${(err as Error).message}`, err)
    }
    const bytes = new Uint8Array(multihash)
    switch (decoded.name) {
      case 'sha2-256':
        return new PeerId(bytes, undefined)
      case 'identity': {
        // keys longer than 42 bytes "must be hashed using sha256 multihash"
        if (decoded.digest.length > MAX_INLINE_KEY_LENGTH) {
          throw invalid(`identity peer ID holds ${decoded.digest.length} bytes; keys over ${MAX_INLINE_KEY_LENGTH} bytes must be hashed with sha2-256`)
        }
        let key
        try {
          key = publicKeyFromProtobuf(decoded.digest)
        } catch (err) {
          throw invalid(`identity peer ID does not hold a valid public key: ${(err as Error).message}`, err)
        }
        return new PeerId(bytes, key)
      }
      default: {
        const unreachable: never = decoded.name
        throw invalid(`unexpected multihash ${String(unreachable)}`)
      }
    }
  }

  /**
   * Parses either text form (spec "Decoding", ../util/peer-id-text.ts): a
   * bare base58btc multihash starting with "1" or "Qm", or a multibase CIDv1
   * with the libp2p-key codec.
   */
  static parse (text: string): PeerId {
    if (typeof text !== 'string' || text.length === 0) throw invalid('peer ID text is empty')
    if (text.length > MAX_PEER_ID_TEXT_LENGTH) {
      throw invalid(`peer ID text is ${text.length} characters; at most ${MAX_PEER_ID_TEXT_LENGTH} expected`)
    }
    const peer = PeerId.fromBytes(peerIdTextToMultihash(text))
    // the bare base58btc form is the canonical text: no need to encode it again
    if (isBase58PeerIdText(text)) peer.#text = text
    return peer
  }

  /** The canonical text form: base58btc of the multihash, no prefix. */
  toString (): string {
    this.#text ??= base58btc.encode(this.bytes)
    return this.#text
  }

  toJSON (): string {
    return this.toString()
  }

  /** The CID text form: base32 CIDv1 with the libp2p-key codec ("bafz..."). */
  toCID (): string {
    const cid = new Uint8Array(2 + this.bytes.length)
    cid[0] = CID_VERSION
    cid[1] = LIBP2P_KEY_CODEC
    cid.set(this.bytes, 2)
    return encodeMultibase(base32, cid)
  }

  /** Same multihash. A string is parsed first; text that is no peer ID is unequal. */
  equals (other: PeerId | string): boolean {
    if (typeof other === 'string') {
      try {
        other = PeerId.parse(other)
      } catch {
        return false
      }
    }
    return equalBytes(this.bytes, other.bytes)
  }

  /** True when `key` is the key this peer ID was made from. */
  matchesPublicKey (key: PublicKey): boolean {
    return this.equals(PeerId.fromPublicKey(key))
  }

  [Symbol.for('nodejs.util.inspect.custom')] (): string {
    return `PeerId(${this.toString()})`
  }
}
