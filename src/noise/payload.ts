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
// The decoder is strict about structure (a truncated field, a bad varint, a
// group or reserved wire type all fail with ERR_NOISE_INVALID_PAYLOAD) and
// skips unknown fields, as protobuf requires (field 3, the legacy early
// `data`, among them).

import { P2PError } from '../util/errors.js'
import { decodeUvarint, uvarintLength, writeUvarint } from '../util/varint.js'

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

/** Protobuf wire types (protobuf encoding guide). */
const WireType = {
  VARINT: 0,
  I64: 1,
  LEN: 2,
  SGROUP: 3,
  EGROUP: 4,
  I32: 5
} as const

const PayloadField = { identityKey: 1, identitySig: 2, extensions: 4 } as const
const ExtensionsField = { webtransportCerthashes: 1, streamMuxers: 2 } as const

const utf8Encoder = new TextEncoder()
const utf8Decoder = new TextDecoder('utf-8', { fatal: true })

// ---------------------------------------------------------------- encoding

class Writer {
  private readonly parts: Uint8Array[] = []
  length = 0

  bytesField (field: number, value: Uint8Array): void {
    const header = new Uint8Array(uvarintLength(field << 3 | WireType.LEN) + uvarintLength(value.length))
    writeUvarint(value.length, header, writeUvarint(field << 3 | WireType.LEN, header, 0))
    this.parts.push(header, value)
    this.length += header.length + value.length
  }

  finish (): Uint8Array {
    const out = new Uint8Array(this.length)
    let offset = 0
    for (const part of this.parts) {
      out.set(part, offset)
      offset += part.length
    }
    return out
  }
}

export function encodeNoiseExtensions (extensions: NoiseExtensions): Uint8Array {
  const w = new Writer()
  for (const hash of extensions.webtransportCerthashes) w.bytesField(ExtensionsField.webtransportCerthashes, hash)
  for (const muxer of extensions.streamMuxers) w.bytesField(ExtensionsField.streamMuxers, utf8Encoder.encode(muxer))
  return w.finish()
}

/** Encodes fields in number order; extensions only when given. */
export function encodeNoiseHandshakePayload (payload: NoiseHandshakePayload): Uint8Array {
  const w = new Writer()
  w.bytesField(PayloadField.identityKey, payload.identityKey)
  w.bytesField(PayloadField.identitySig, payload.identitySig)
  if (payload.extensions !== undefined) w.bytesField(PayloadField.extensions, encodeNoiseExtensions(payload.extensions))
  return w.finish()
}

// ---------------------------------------------------------------- decoding

function invalid (message: string): P2PError {
  return new P2PError('ERR_NOISE_INVALID_PAYLOAD', `invalid NoiseHandshakePayload: ${message}`, { remote: true })
}

/** Calls `onField` for each (field number, wire type, value) of a protobuf message. */
function readFields (buf: Uint8Array, what: string, onField: (field: number, wireType: number, value: Uint8Array) => void): void {
  let offset = 0
  while (offset < buf.length) {
    const key = varintAt(buf, offset, `${what} field key`)
    offset += key.bytes
    const field = Math.floor(key.value / 8)
    const wireType = key.value % 8
    if (field === 0) throw invalid(`${what} has field number 0 at offset ${offset - key.bytes}`)
    let end: number
    switch (wireType) {
      case WireType.VARINT: end = offset + varintAt(buf, offset, `${what} field ${field}`).bytes; break
      case WireType.I64: end = offset + 8; break
      case WireType.I32: end = offset + 4; break
      case WireType.LEN: {
        const length = varintAt(buf, offset, `${what} field ${field} length`)
        offset += length.bytes
        end = offset + length.value
        break
      }
      default:
        throw invalid(`${what} field ${field} has unsupported wire type ${wireType} (expected 0, 1, 2 or 5)`)
    }
    if (end > buf.length) throw invalid(`${what} field ${field} runs past the end: needs ${end} bytes, have ${buf.length}`)
    onField(field, wireType, buf.subarray(offset, end))
    offset = end
  }
}

function varintAt (buf: Uint8Array, offset: number, what: string): { value: number, bytes: number } {
  let decoded
  try {
    decoded = decodeUvarint(buf, offset, 10)
  } catch (err) {
    throw new P2PError('ERR_NOISE_INVALID_PAYLOAD', `invalid NoiseHandshakePayload: bad varint in ${what}`, { cause: err, remote: true })
  }
  if (decoded === undefined) throw invalid(`${what} is truncated at offset ${offset}`)
  return decoded
}

function expectLen (what: string, field: number, wireType: number): void {
  if (wireType !== WireType.LEN) throw invalid(`${what} field ${field} must be length-delimited (wire type 2), got wire type ${wireType}`)
}

export function decodeNoiseExtensions (buf: Uint8Array): NoiseExtensions {
  const out: NoiseExtensions = { webtransportCerthashes: [], streamMuxers: [] }
  readFields(buf, 'NoiseExtensions', (field, wireType, value) => {
    switch (field) {
      case ExtensionsField.webtransportCerthashes:
        expectLen('NoiseExtensions', field, wireType)
        out.webtransportCerthashes.push(new Uint8Array(value))
        break
      case ExtensionsField.streamMuxers:
        expectLen('NoiseExtensions', field, wireType)
        try {
          out.streamMuxers.push(utf8Decoder.decode(value))
        } catch (err) {
          throw new P2PError('ERR_NOISE_INVALID_PAYLOAD', 'invalid NoiseExtensions: stream_muxers entry is not valid UTF-8', { cause: err, remote: true })
        }
        break
      default:
        // unknown fields are skipped
    }
  })
  return out
}

export function decodeNoiseHandshakePayload (buf: Uint8Array): NoiseHandshakePayload {
  let identityKey: Uint8Array | undefined
  let identitySig: Uint8Array | undefined
  let extensions: NoiseExtensions | undefined
  readFields(buf, 'NoiseHandshakePayload', (field, wireType, value) => {
    switch (field) {
      case PayloadField.identityKey:
        expectLen('NoiseHandshakePayload', field, wireType)
        identityKey = new Uint8Array(value)
        break
      case PayloadField.identitySig:
        expectLen('NoiseHandshakePayload', field, wireType)
        identitySig = new Uint8Array(value)
        break
      case PayloadField.extensions:
        expectLen('NoiseHandshakePayload', field, wireType)
        extensions = decodeNoiseExtensions(value)
        break
      default:
        // unknown fields (e.g. the legacy `data = 3`) are skipped
    }
  })
  if (identityKey === undefined || identityKey.length === 0) throw invalid('identity_key (field 1) is missing')
  if (identitySig === undefined || identitySig.length === 0) throw invalid('identity_sig (field 2) is missing')
  return extensions === undefined ? { identityKey, identitySig } : { identityKey, identitySig, extensions }
}
