// Static key authentication (libp2p/specs noise/README.md "Static Key
// Authentication", "The libp2p Handshake Payload"): the pure part of the
// libp2p layer, no I/O.
//
// Theory of operation: the Noise static key is a fresh X25519 key, unrelated
// to the peer's identity. Each side proves that its identity key vouches for
// its static key by signing "noise-libp2p-static-key:" || static public key
// with the identity private key, and sends identity key + signature as the
// encrypted payload of its first message that guarantees secrecy (message 2
// for the responder, message 3 for the initiator). The receiver decodes the
// identity key, verifies the signature against the static key the handshake
// delivered, and derives the remote peer ID from the identity key.
//
// A node keeps its static key for its lifetime (the spec: implementations
// "may generate new static Noise keys when initializing the noise-libp2p
// module"), so the same payload is signed once and, on the receiving side,
// the same (identity key, static key, signature) is checked once, and the
// identity it proved (key and peer ID) is kept with it: both are remembered,
// bounded, by their exact bytes.

import { P2PError, isP2PError } from '../util/errors.js'
import { RecentMap } from '../util/recent-map.js'
import { PeerId, publicKeyFromProtobufVerifying, publicKeyToProtobuf, type PrivateKey, type PublicKey, type KeyVerification } from '../peer/index.js'
import { STATIC_KEY_SIGNATURE_PREFIX } from './constants.js'
import { decodeNoiseHandshakePayload, encodeNoiseHandshakePayload, type NoiseExtensions } from './payload.js'

const PREFIX = new TextEncoder().encode(STATIC_KEY_SIGNATURE_PREFIX)

/** What the remote proved about itself, available once the handshake succeeded. */
export interface RemoteIdentity {
  remotePeer: PeerId
  remotePublicKey: PublicKey
  remoteExtensions: NoiseExtensions
}

/** The signed bytes: "the UTF-8 string `noise-libp2p-static-key:`, followed by the Noise static public key". */
export function staticKeySignedData (staticPublicKey: Uint8Array): Uint8Array {
  const out = new Uint8Array(PREFIX.length + staticPublicKey.length)
  out.set(PREFIX, 0)
  out.set(staticPublicKey, PREFIX.length)
  return out
}

/** At most this many payloads (per identity) and verified signatures are remembered. */
const REMEMBERED_MAX = 256

/** Payloads made, per identity key, by static key and muxer list. */
const madePayloads = new WeakMap<PrivateKey, RecentMap<string, Uint8Array>>()
/** (identity key, static key, signature) triples already verified, as one string of their bytes, with what they proved. */
const verifiedSignatures = new RecentMap<string, { remotePeer: PeerId, remotePublicKey: PublicKey }>(REMEMBERED_MAX)

/** The encoded NoiseHandshakePayload proving that `privateKey` owns `staticPublicKey`. */
export function createHandshakePayload (privateKey: PrivateKey, staticPublicKey: Uint8Array, streamMuxers?: string[]): Uint8Array {
  let made = madePayloads.get(privateKey)
  if (made === undefined) {
    made = new RecentMap(REMEMBERED_MAX)
    madePayloads.set(privateKey, made)
  }
  // JSON, not a join: ['/a /b'] and ['/a', '/b'] are different lists
  const id = JSON.stringify([Buffer.from(staticPublicKey).toString('hex'), ...(streamMuxers ?? [])])
  return made.remember(id, () => encodeNoiseHandshakePayload({
    identityKey: publicKeyToProtobuf(privateKey.publicKey),
    identitySig: privateKey.sign(staticKeySignedData(staticPublicKey)),
    ...(streamMuxers !== undefined && streamMuxers.length > 0
      ? { extensions: { streamMuxers, webtransportCerthashes: [] } }
      : {})
  }))
}

/**
 * Decodes and checks a remote NoiseHandshakePayload against the static key
 * the handshake delivered, and against the expected peer (dialer only).
 */
export function verifyHandshakePayload (payload: Uint8Array, remoteStaticKey: Uint8Array, expectedPeer?: PeerId): RemoteIdentity {
  const decoded = decodeNoiseHandshakePayload(payload)
  // the two lengths make the concatenation unambiguous
  const triple = `${decoded.identityKey.length} ${remoteStaticKey.length} ` +
    [decoded.identityKey, remoteStaticKey, decoded.identitySig].map(b => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1')).join('')
  // a triple checked before proves the same identity again: its key and peer
  // ID are the objects made then (immutable, computed from the key alone);
  // only a valid signature is remembered: a bad one is checked (and refused) every time
  const { remotePeer, remotePublicKey } = verifiedSignatures.remember(triple, () => proveIdentity(decoded.identityKey, decoded.identitySig, remoteStaticKey))
  // "The `remotePeer` PeerId argument MUST be validated against the libp2p
  // public identity sent by the remote peer during the handshake. If a remote
  // peer sends a public key that is not capable of deriving their expected
  // peer id, the connection MUST be aborted."
  if (expectedPeer !== undefined && !expectedPeer.equals(remotePeer)) {
    throw new P2PError('ERR_UNEXPECTED_PEER', `expected to reach peer ${expectedPeer.toString()}, the remote proved to be ${remotePeer.toString()}`, { remote: true })
  }
  return {
    remotePeer,
    remotePublicKey,
    remoteExtensions: decoded.extensions ?? { streamMuxers: [], webtransportCerthashes: [] }
  }
}

/** The identity that `identitySig` proves for `remoteStaticKey`, or the spec's error. */
function proveIdentity (identityKey: Uint8Array, identitySig: Uint8Array, remoteStaticKey: Uint8Array): { remotePeer: PeerId, remotePublicKey: PublicKey } {
  // "peers MUST decode the public key from the `identity_key` field into a
  // usable form. The key MUST then be used to validate the `identity_sig`
  // field against the static Noise key received in the handshake."
  let verified: KeyVerification
  try {
    verified = publicKeyFromProtobufVerifying(identityKey, staticKeySignedData(remoteStaticKey), identitySig)
  } catch (err) {
    const code = isP2PError(err, 'ERR_UNKNOWN_KEY_TYPE') ? 'ERR_UNKNOWN_KEY_TYPE' : 'ERR_NOISE_INVALID_PUBLIC_KEY'
    throw new P2PError(code, `the remote identity_key is not a usable public key: ${(err as Error).message}`, { cause: err, remote: true })
  }
  const { publicKey: remotePublicKey, valid } = verified
  // "If the signature is invalid, the connection MUST be terminated immediately."
  if (!valid) {
    throw new P2PError('ERR_NOISE_BAD_SIGNATURE',
      `the ${remotePublicKey.type} identity_sig does not sign the remote static key ${Buffer.from(remoteStaticKey).toString('hex')}`, { remote: true })
  }
  return { remotePeer: PeerId.fromPublicKey(remotePublicKey), remotePublicKey }
}
