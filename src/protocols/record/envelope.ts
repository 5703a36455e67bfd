// Signed envelopes (libp2p/specs RFC/0002-signed-envelopes.md).
//
// Theory of operation: an envelope carries a payload, a type hint for it, the
// signer's public key and a signature. What is signed is not the payload
// alone but, "Signature Production / Verification":
//
//   varint(len(domain)) || domain || varint(len(typeHint)) || typeHint
//     || varint(len(contents)) || contents
//
// so a signature made for one purpose (the domain, e.g. peer records) "MUST
// NOT be considered valid for a different purpose" ("Domain Separation").
//
// Wire format. The RFC's protobuf numbers the signature field 4; every
// deployed implementation (go-libp2p core/record/pb/envelope.proto,
// js-libp2p @libp2p/peer-record, rust-libp2p) uses 5, so we do too:
//
//   message Envelope {
//     PublicKey public_key = 1;   // the PublicKey protobuf of peer-ids
//     bytes payload_type = 2;     // the RFC's typeHint
//     bytes payload = 3;          // the RFC's contents
//     bytes signature = 5;
//   }
//
// It is proto3: empty fields are not written, and missing ones read as empty.

import type { PrivateKey, PublicKey } from '../../peer/index.js'
import { publicKeyFromProtobuf, publicKeyToProtobuf } from '../../peer/index.js'
import { P2PError } from '../../util/errors.js'
import { encodeUvarint } from '../../util/varint.js'
import { FieldWriter, fieldBytes, readFields } from '../../util/protobuf-wire.js'

export const EnvelopeField = {
  publicKey: 1,
  payloadType: 2,
  payload: 3,
  signature: 5
} as const

export interface OpenedEnvelope {
  publicKey: PublicKey
  payloadType: Uint8Array
  payload: Uint8Array
}

const INVALID = 'ERR_ENVELOPE_INVALID'
const utf8 = new TextEncoder()

/** The bytes that are signed: "Signature Production / Verification". */
export function envelopeSignedData (domain: string, payloadType: Uint8Array, payload: Uint8Array): Uint8Array {
  const domainBytes = utf8.encode(domain)
  const parts = [
    encodeUvarint(domainBytes.length), domainBytes,
    encodeUvarint(payloadType.length), payloadType,
    encodeUvarint(payload.length), payload
  ]
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let offset = 0
  for (const part of parts) {
    out.set(part, offset)
    offset += part.length
  }
  return out
}

/** Signs `payload` for `domain` and returns the encoded envelope. */
export function sealEnvelope (privateKey: PrivateKey, domain: string, payloadType: Uint8Array, payload: Uint8Array): Uint8Array {
  const signature = privateKey.sign(envelopeSignedData(domain, payloadType, payload))
  const w = new FieldWriter()
  w.bytes(EnvelopeField.publicKey, publicKeyToProtobuf(privateKey.publicKey))
  if (payloadType.length > 0) w.bytes(EnvelopeField.payloadType, payloadType)
  if (payload.length > 0) w.bytes(EnvelopeField.payload, payload)
  w.bytes(EnvelopeField.signature, signature)
  return w.finish()
}

export interface DecodedEnvelope extends OpenedEnvelope {
  signature: Uint8Array
}

/**
 * Decodes an envelope's fields without checking the signature (so a caller
 * can pick the domain from the payload type first). Throws
 * ERR_ENVELOPE_INVALID for malformed bytes or an invalid public key.
 */
export function decodeEnvelope (bytes: Uint8Array): DecodedEnvelope {
  let publicKeyBytes: Uint8Array | undefined
  let payloadType: Uint8Array = new Uint8Array(0)
  let payload: Uint8Array = new Uint8Array(0)
  let signature: Uint8Array = new Uint8Array(0)
  for (const field of readFields(bytes, INVALID)) {
    switch (field.number) {
      case EnvelopeField.publicKey: publicKeyBytes = fieldBytes(field, INVALID); break
      case EnvelopeField.payloadType: payloadType = new Uint8Array(fieldBytes(field, INVALID)); break
      case EnvelopeField.payload: payload = new Uint8Array(fieldBytes(field, INVALID)); break
      case EnvelopeField.signature: signature = new Uint8Array(fieldBytes(field, INVALID)); break
      default: break // unknown field: skipped
    }
  }
  if (publicKeyBytes === undefined) {
    throw new P2PError(INVALID, 'signed envelope has no public key', { remote: true })
  }
  let publicKey: PublicKey
  try {
    publicKey = publicKeyFromProtobuf(publicKeyBytes)
  } catch (err) {
    throw new P2PError(INVALID, `signed envelope's public key is invalid: ${(err as Error).message}`, { remote: true, cause: err })
  }
  return { publicKey, payloadType, payload, signature }
}

/** Throws ERR_ENVELOPE_INVALID_SIGNATURE unless the signature verifies for `domain`. */
export function verifyEnvelope (envelope: DecodedEnvelope, domain: string): void {
  let valid = false
  try {
    valid = envelope.publicKey.verify(envelopeSignedData(domain, envelope.payloadType, envelope.payload), envelope.signature)
  } catch {
    valid = false
  }
  if (!valid) {
    throw new P2PError('ERR_ENVELOPE_INVALID_SIGNATURE', `signed envelope's ${envelope.signature.length}-byte signature does not verify for domain "${domain}"`, { remote: true })
  }
}

/**
 * Decodes an envelope and verifies its signature for `domain`. Throws
 * ERR_ENVELOPE_INVALID for malformed bytes or key, and
 * ERR_ENVELOPE_INVALID_SIGNATURE when the signature does not verify.
 */
export function openEnvelope (bytes: Uint8Array, domain: string): OpenedEnvelope {
  const envelope = decodeEnvelope(bytes)
  verifyEnvelope(envelope, domain)
  const { publicKey, payloadType, payload } = envelope
  return { publicKey, payloadType, payload }
}
