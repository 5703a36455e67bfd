// The Identify message and its protobuf codec (libp2p/specs
// identify/README.md "The Identify Message"):
//
//   message Identify {
//     optional string protocolVersion = 5;
//     optional string agentVersion = 6;
//     optional bytes publicKey = 1;
//     repeated bytes listenAddrs = 2;
//     optional bytes observedAddr = 4;
//     repeated string protocols = 3;
//     optional bytes signedPeerRecord = 8;
//   }
//
// `IdentifyMessage` keeps the wire's raw bytes (keys, multiaddrs, the
// envelope); `interpretIdentify` turns them into typed values. The encoder
// writes fields in the order the spec declares them (5, 6, 1, 2, 4, 3, 8), as
// js-libp2p's generator (protons) does; an encoder that writes in
// field-number order (protobuf-go's generated code, in go-libp2p) sends the
// same fields in another order. The decoder accepts any order, as protobuf requires;
// for an optional field that appears twice the last value wins (protobuf
// "Last One Wins"); unknown fields are skipped.

import { P2PError } from '../../util/errors.js'
import { FieldWriter, fieldBytes, fieldString, readFields } from '../../util/protobuf-wire.js'

export interface IdentifyMessage {
  protocolVersion?: string
  agentVersion?: string
  /** A PublicKey protobuf (libp2p/specs peer-ids). */
  publicKey?: Uint8Array
  /** Binary multiaddrs. */
  listenAddrs: Uint8Array[]
  /** Binary multiaddr. */
  observedAddr?: Uint8Array
  protocols: string[]
  /** A serialized signed envelope holding a peer record (RFC 0002, 0003). */
  signedPeerRecord?: Uint8Array
}

/** Field numbers of the spec's Identify protobuf. */
export const IdentifyField = {
  publicKey: 1,
  listenAddrs: 2,
  protocols: 3,
  observedAddr: 4,
  protocolVersion: 5,
  agentVersion: 6,
  signedPeerRecord: 8
} as const

const INVALID = 'ERR_IDENTIFY_INVALID_MESSAGE'

export function encodeIdentify (message: IdentifyMessage): Uint8Array {
  const w = new FieldWriter()
  if (message.protocolVersion !== undefined) w.string(IdentifyField.protocolVersion, message.protocolVersion)
  if (message.agentVersion !== undefined) w.string(IdentifyField.agentVersion, message.agentVersion)
  if (message.publicKey !== undefined) w.bytes(IdentifyField.publicKey, message.publicKey)
  for (const addr of message.listenAddrs) w.bytes(IdentifyField.listenAddrs, addr)
  if (message.observedAddr !== undefined) w.bytes(IdentifyField.observedAddr, message.observedAddr)
  for (const protocol of message.protocols) w.string(IdentifyField.protocols, protocol)
  if (message.signedPeerRecord !== undefined) w.bytes(IdentifyField.signedPeerRecord, message.signedPeerRecord)
  return w.finish()
}

/** Decodes one Identify protobuf; throws ERR_IDENTIFY_INVALID_MESSAGE. */
export function decodeIdentify (bytes: Uint8Array): IdentifyMessage {
  const message: IdentifyMessage = { listenAddrs: [], protocols: [] }
  for (const field of readFields(bytes, INVALID)) {
    switch (field.number) {
      case IdentifyField.protocolVersion: message.protocolVersion = fieldString(field, INVALID); break
      case IdentifyField.agentVersion: message.agentVersion = fieldString(field, INVALID); break
      case IdentifyField.publicKey: message.publicKey = copy(fieldBytes(field, INVALID)); break
      case IdentifyField.listenAddrs: message.listenAddrs.push(copy(fieldBytes(field, INVALID))); break
      case IdentifyField.observedAddr: message.observedAddr = copy(fieldBytes(field, INVALID)); break
      case IdentifyField.protocols: message.protocols.push(fieldString(field, INVALID)); break
      case IdentifyField.signedPeerRecord: message.signedPeerRecord = copy(fieldBytes(field, INVALID)); break
      default: break // unknown field: skipped
    }
  }
  return message
}

/**
 * Merges the messages read from one stream, in order: later optional fields
 * replace earlier ones, repeated fields are concatenated (protocols without
 * duplicates). This is what the protobuf encoding guide says concatenated
 * messages mean, and what go-libp2p and js-libp2p do with split messages.
 */
export function mergeIdentify (messages: readonly IdentifyMessage[]): IdentifyMessage {
  const merged: IdentifyMessage = { listenAddrs: [], protocols: [] }
  // a Set, not includes(): ten 8 KiB messages can hold ~20,000 short
  // protocol IDs, and a quadratic search over them blocked the process for
  // half a second per stream
  const seen = new Set<string>()
  for (const m of messages) {
    if (m.protocolVersion !== undefined) merged.protocolVersion = m.protocolVersion
    if (m.agentVersion !== undefined) merged.agentVersion = m.agentVersion
    if (m.publicKey !== undefined) merged.publicKey = m.publicKey
    if (m.observedAddr !== undefined) merged.observedAddr = m.observedAddr
    if (m.signedPeerRecord !== undefined) merged.signedPeerRecord = m.signedPeerRecord
    merged.listenAddrs.push(...m.listenAddrs)
    for (const p of m.protocols) {
      if (seen.has(p)) continue
      seen.add(p)
      merged.protocols.push(p)
    }
  }
  return merged
}

/**
 * Decoded fields own their bytes (plain Uint8Arrays), so the received chunk
 * can be released. Not `view.slice()`: on a Buffer that is a view, no copy.
 */
function copy (view: Uint8Array): Uint8Array {
  return new Uint8Array(view)
}
