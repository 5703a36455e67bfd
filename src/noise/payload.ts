// The libp2p Noise handshake payload (libp2p/specs noise/README.md "The
// libp2p Handshake Payload"), a hand-written protobuf codec:
//
//   message NoiseExtensions {
//     repeated bytes webtransport_certhashes = 1;
//     repeated string stream_muxers = 2;
//   }
//   message NoiseHandshakePayload {
//     bytes identity_key = 1;
//     bytes identity_sig = 2;
//     NoiseExtensions extensions = 4;
//   }
//
// The protobuf wire format itself is ../util/protobuf-wire.ts. The decoder is
// strict about structure (a truncated field, a bad varint, a group or
// reserved wire type all fail with ERR_NOISE_INVALID_PAYLOAD) and skips
// unknown fields, as protobuf requires (field 3, the legacy early `data`,
// among them).

import { P2PError } from '../util/errors.js'
import { FieldWriter, fieldBytes, fieldString, readFields } from '../util/protobuf-wire.js'

export interface NoiseExtensions {
  webtransportCerthashes: Uint8Array[]
  streamMuxers: string[]
}

export interface NoiseHandshakePayload {
  /** A serialized PublicKey protobuf (libp2p/specs peer-ids). */
  identityKey: Uint8Array
  /** Signature over "noise-libp2p-static-key:" || the static X25519 public key. */
  identitySig: Uint8Array
  extensions?: NoiseExtensions
}

const PayloadField = { identityKey: 1, identitySig: 2, extensions: 4 } as const
const ExtensionsField = { webtransportCerthashes: 1, streamMuxers: 2 } as const

/** The error code of every malformed payload (a remote peer's fault). */
const INVALID_PAYLOAD = 'ERR_NOISE_INVALID_PAYLOAD'

// ---------------------------------------------------------------- encoding

export function encodeNoiseExtensions (extensions: NoiseExtensions): Uint8Array {
  const w = new FieldWriter()
  for (const hash of extensions.webtransportCerthashes) w.bytes(ExtensionsField.webtransportCerthashes, hash)
  for (const muxer of extensions.streamMuxers) w.string(ExtensionsField.streamMuxers, muxer)
  return w.finish()
}

/** Encodes fields in number order; extensions only when given. */
export function encodeNoiseHandshakePayload (payload: NoiseHandshakePayload): Uint8Array {
  const w = new FieldWriter()
  w.bytes(PayloadField.identityKey, payload.identityKey)
  w.bytes(PayloadField.identitySig, payload.identitySig)
  if (payload.extensions !== undefined) w.bytes(PayloadField.extensions, encodeNoiseExtensions(payload.extensions))
  return w.finish()
}

// ---------------------------------------------------------------- decoding

/**
 * Decodes one NoiseExtensions message, adding its repeated fields to `out`
 * when given: protobuf merges an embedded message that appears again into
 * the first, its repeated fields concatenated.
 */
export function decodeNoiseExtensions (buf: Uint8Array, out: NoiseExtensions = { webtransportCerthashes: [], streamMuxers: [] }): NoiseExtensions {
  const what = 'NoiseExtensions'
  for (const field of readFields(buf, INVALID_PAYLOAD, what)) {
    switch (field.number) {
      case ExtensionsField.webtransportCerthashes:
        out.webtransportCerthashes.push(new Uint8Array(fieldBytes(field, INVALID_PAYLOAD, what)))
        break
      case ExtensionsField.streamMuxers:
        out.streamMuxers.push(fieldString(field, INVALID_PAYLOAD, what))
        break
      default:
        // unknown fields are skipped
    }
  }
  return out
}

export function decodeNoiseHandshakePayload (buf: Uint8Array): NoiseHandshakePayload {
  const what = 'NoiseHandshakePayload'
  let identityKey: Uint8Array | undefined
  let identitySig: Uint8Array | undefined
  let extensions: NoiseExtensions | undefined
  for (const field of readFields(buf, INVALID_PAYLOAD, what)) {
    switch (field.number) {
      case PayloadField.identityKey:
        identityKey = new Uint8Array(fieldBytes(field, INVALID_PAYLOAD, what))
        break
      case PayloadField.identitySig:
        identitySig = new Uint8Array(fieldBytes(field, INVALID_PAYLOAD, what))
        break
      case PayloadField.extensions:
        // a second one is merged into the first, in place (this runs before
        // the signature is checked: copying at each record would be quadratic)
        extensions = decodeNoiseExtensions(fieldBytes(field, INVALID_PAYLOAD, what), extensions)
        break
      default:
        // unknown fields (e.g. the legacy `data = 3`) are skipped
    }
  }
  if (identityKey === undefined || identityKey.length === 0) throw missing('identity_key (field 1)')
  if (identitySig === undefined || identitySig.length === 0) throw missing('identity_sig (field 2)')
  return extensions === undefined ? { identityKey, identitySig } : { identityKey, identitySig, extensions }
}

function missing (field: string): P2PError {
  return new P2PError(INVALID_PAYLOAD, `invalid NoiseHandshakePayload: ${field} is missing`, { remote: true })
}
