// The PublicKey / PrivateKey protobuf envelope (libp2p/specs
// peer-ids/peer-ids.md, "Keys"):
//
//   message PublicKey  { required KeyType Type = 1; required bytes Data = 2; }
//   message PrivateKey { required KeyType Type = 1; required bytes Data = 2; }
//
// Theory of operation. The spec asks for a *deterministic* encoding, so the
// bytes of a public key (and therefore the peer ID hashed from them) are a
// function of the key alone. With two fields that encoding is fixed:
//
//   0x08 <varint Type>  0x12 <varint len(Data)> <Data>
//   (tag 1, wire type 0)  (tag 2, wire type 2)
//
// It is written by hand rather than with protobufjs because the whole message
// fits on one line above, and because a general protobuf decoder is lenient
// in exactly the ways the spec forbids (fields in any order, repeated fields,
// unknown fields). Our decoder accepts only the canonical form, so a key has
// exactly one encoding and decode(encode(k)) === k byte for byte. This codec
// knows nothing about what is inside Data; ./keys.ts interprets it per type.

import { P2PError } from '../util/errors.js'
import { decodeUvarint, uvarintLength, writeUvarint } from '../util/varint.js'
import { KeyType, type KeyTypeName } from './types.js'

/** Field keys: (field number << 3) | wire type. */
const TAG_TYPE = (1 << 3) | 0 // Type, varint
const TAG_DATA = (2 << 3) | 2 // Data, length-delimited

/**
 * Largest Data we decode. Why: an 8192-bit RSA private key (the largest key
 * we accept, see ./rsa.ts) is about 4.7 KB of PKCS#1 DER; anything larger is
 * not a key, and refusing it early bounds the work a hostile peer can cause.
 */
export const MAX_KEY_DATA_BYTES = 8192

/** A decoded envelope: the key type and the still-uninterpreted Data. */
export interface KeyEnvelope {
  readonly type: KeyTypeName
  readonly data: Uint8Array
}

const KEY_TYPE_NAMES = new Map<number, KeyTypeName>(
  (Object.entries(KeyType) as Array<[KeyTypeName, number]>).map(([name, code]) => [code, name])
)

/** Encodes {Type, Data} canonically: fields in tag order, minimal varints, nothing else. */
export function encodeKeyEnvelope (type: KeyTypeName, data: Uint8Array): Uint8Array {
  const code = KeyType[type]
  const out = new Uint8Array(1 + uvarintLength(code) + 1 + uvarintLength(data.length) + data.length)
  let offset = 0
  out[offset++] = TAG_TYPE
  offset = writeUvarint(code, out, offset)
  out[offset++] = TAG_DATA
  offset = writeUvarint(data.length, out, offset)
  out.set(data, offset)
  return out
}

// Errors here leave `remote` false: this codec cannot know whether the bytes
// came from a peer (Noise) or from disk (key files). Callers that decode
// network input wrap the error with remote: true and their own code.
function invalid (what: string, message: string, cause?: unknown): P2PError {
  return new P2PError('ERR_INVALID_PROTOBUF', `invalid ${what} protobuf: ${message}`, { cause })
}

/**
 * Reads a varint that must be complete inside `bytes`. decodeUvarint enforces
 * "Fields must be minimally encoded. That is, varints must use the minimal
 * representation".
 */
function readVarint (bytes: Uint8Array, offset: number, what: string, field: string): { value: number, bytes: number } {
  let decoded
  try {
    decoded = decodeUvarint(bytes, offset)
  } catch (err) {
    throw invalid(what, `bad varint in ${field} at offset ${offset}`, err)
  }
  if (decoded === undefined) throw invalid(what, `truncated: ${field} varint at offset ${offset} runs past the end (${bytes.length} bytes)`)
  return decoded
}

/**
 * Decodes the canonical envelope. `what` ('PublicKey' or 'PrivateKey') only
 * names the message in errors. Throws ERR_INVALID_PROTOBUF for any byte that
 * is not the canonical encoding, ERR_UNKNOWN_KEY_TYPE for a Type outside the
 * enum.
 */
export function decodeKeyEnvelope (bytes: Uint8Array, what: 'PublicKey' | 'PrivateKey'): KeyEnvelope {
  let offset = 0
  // "Fields must be encoded in tag order (i.e., key type, then the key data)."
  // "All fields must be included."
  if (bytes.length === 0) throw invalid(what, 'empty message; expected field 1 (Type)')
  if (bytes[offset] !== TAG_TYPE) {
    throw invalid(what, `expected field 1 (Type) key 0x08 at offset 0, got 0x${bytes[offset].toString(16).padStart(2, '0')}`)
  }
  offset += 1
  const typeCode = readVarint(bytes, offset, what, 'Type')
  offset += typeCode.bytes
  if (offset >= bytes.length) throw invalid(what, 'truncated: missing field 2 (Data)')
  if (bytes[offset] !== TAG_DATA) {
    throw invalid(what, `expected field 2 (Data) key 0x12 at offset ${offset}, got 0x${bytes[offset].toString(16).padStart(2, '0')}`)
  }
  offset += 1
  const length = readVarint(bytes, offset, what, 'Data length')
  offset += length.bytes
  if (length.value > MAX_KEY_DATA_BYTES) {
    throw invalid(what, `Data is ${length.value} bytes; at most ${MAX_KEY_DATA_BYTES} allowed`)
  }
  if (offset + length.value > bytes.length) {
    throw invalid(what, `truncated: Data declares ${length.value} bytes but only ${bytes.length - offset} follow`)
  }
  const data = bytes.subarray(offset, offset + length.value)
  offset += length.value
  // "No additional fields may be defined."
  if (offset !== bytes.length) {
    throw invalid(what, `${bytes.length - offset} unexpected bytes after field 2 (Data)`)
  }
  const type = KEY_TYPE_NAMES.get(typeCode.value)
  if (type === undefined) {
    throw new P2PError('ERR_UNKNOWN_KEY_TYPE', `unknown ${what} Type ${typeCode.value}; expected one of ${[...KEY_TYPE_NAMES].map(([c, n]) => `${c} (${n})`).join(', ')}`)
  }
  return { type, data }
}
