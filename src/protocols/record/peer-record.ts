// Peer records in signed envelopes (libp2p/specs RFC/0003-routing-records.md
// "Address Record Format" and "Certification / Verification").
//
//   message PeerRecord {                 // proto3
//     message AddressInfo { bytes multiaddr = 1; }
//     bytes peer_id = 1;                 // the peer ID's multihash bytes
//     uint64 seq = 2;                    // "MUST increase monotonically"
//     repeated AddressInfo addresses = 3;
//   }
//
// Domain and type hint. The RFC, written before deployment, names the domain
// `libp2p-routing-state` and the type hint "/libp2p/routing-state-record";
// go-libp2p (core/peer/record.go) and js-libp2p (@libp2p/peer-record) use
// the domain `libp2p-peer-record` and the multicodec `libp2p-peer-record`
// (0x0301) written as the two bytes 0x03 0x01 -- not as a varint (which would
// be 0x81 0x06). We create records in the go/js form, and open both forms:
// the type hint selects the domain the signature must verify for.
//
// Opening: decode the envelope, pick the domain from its type hint, verify
// the signature (the RFC: "a peer MUST validate the signature before
// deserializing"), decode the record, and require "that the `peer_id`
// contained in the `RoutingState` matches the `public_key` from the
// envelope". Addresses that are not valid multiaddrs are skipped (the record
// is still authentic). A peer sends the same record on every connection and
// identify push until its addresses change, so the last records opened are
// remembered by their exact bytes: the same bytes open to the same record
// without a second signature check.

import type { Multiaddr } from '../../multiaddr/index.js'
import { PeerId, type PrivateKey, type PublicKey } from '../../peer/index.js'
import { equalBytes } from '../../util/bytes.js'
import { P2PError } from '../../util/errors.js'
import { RecentMap } from '../../util/recent-map.js'
import { parseMultiaddr } from '../parse-multiaddr.js'
import { FieldWriter, fieldBytes, fieldVarint, readFields } from '../../util/protobuf-wire.js'
import { decodeEnvelope, sealEnvelope, verifyEnvelope } from './envelope.js'

/** The signature domain of peer records, as deployed (see header). */
export const PEER_RECORD_DOMAIN = 'libp2p-peer-record'

/** Multicodec libp2p-peer-record (0x0301) as deployed: two raw bytes. */
export const PEER_RECORD_PAYLOAD_TYPE = Uint8Array.of(0x03, 0x01)

/** RFC 0003 "Signed Envelope Domain", as written (see header). */
export const ROUTING_STATE_DOMAIN = 'libp2p-routing-state'

/** RFC 0003 "Signed Envelope Payload Type", as written (see header). */
export const ROUTING_STATE_PAYLOAD_TYPE = new TextEncoder().encode('/libp2p/routing-state-record')

export const PeerRecordField = { peerId: 1, seq: 2, addresses: 3 } as const
export const AddressInfoField = { multiaddr: 1 } as const

export interface PeerRecord {
  peerId: PeerId
  seq: bigint
  addresses: Multiaddr[]
}

export interface OpenedPeerRecord extends PeerRecord {
  /** The key that signed the envelope (it derives `peerId`). */
  publicKey: PublicKey
}

const INVALID = 'ERR_PEER_RECORD_INVALID'
const MAX_UINT64 = 2n ** 64n - 1n

export function encodePeerRecord (record: PeerRecord): Uint8Array {
  const w = new FieldWriter()
  w.bytes(PeerRecordField.peerId, record.peerId.bytes)
  if (record.seq !== 0n) w.uint64(PeerRecordField.seq, record.seq)
  for (const addr of record.addresses) {
    w.bytes(PeerRecordField.addresses, new FieldWriter().bytes(AddressInfoField.multiaddr, addr.bytes).finish())
  }
  return w.finish()
}

/** Decodes a PeerRecord payload; invalid multiaddrs are skipped. */
export function decodePeerRecord (bytes: Uint8Array): PeerRecord {
  let peerIdBytes: Uint8Array | undefined
  let seq = 0n
  const addresses: Multiaddr[] = []
  for (const field of readFields(bytes, INVALID)) {
    switch (field.number) {
      case PeerRecordField.peerId: peerIdBytes = fieldBytes(field, INVALID); break
      case PeerRecordField.seq: seq = fieldVarint(field, INVALID); break
      case PeerRecordField.addresses: {
        let addr: Uint8Array | undefined
        for (const inner of readFields(fieldBytes(field, INVALID), INVALID)) {
          if (inner.number === AddressInfoField.multiaddr) addr = fieldBytes(inner, INVALID)
        }
        const parsed = addr === undefined ? undefined : parseMultiaddr(addr)
        if (parsed !== undefined) addresses.push(parsed)
        break
      }
      default: break // unknown field: skipped
    }
  }
  if (peerIdBytes === undefined) throw new P2PError(INVALID, 'peer record has no peer_id', { remote: true })
  let peerId: PeerId
  try {
    peerId = PeerId.fromBytes(peerIdBytes)
  } catch (err) {
    throw new P2PError(INVALID, `peer record's peer_id is invalid: ${(err as Error).message}`, { remote: true, cause: err })
  }
  return { peerId, seq, addresses }
}

/**
 * Signs a peer record for `peerId` with its private key; returns the encoded
 * envelope (what identify's signedPeerRecord field carries).
 */
export function createSignedPeerRecord (privateKey: PrivateKey, peerId: PeerId, addrs: readonly Multiaddr[], seq: bigint | number): Uint8Array {
  const seqValue = BigInt(seq)
  if (seqValue < 0n || seqValue > MAX_UINT64) {
    throw new P2PError('ERR_INVALID_PARAMETERS', `peer record seq must be a uint64, got ${seqValue}`)
  }
  // RFC 0003: the envelope's key "MUST be consistent with the peer id"
  if (!peerId.matchesPublicKey(privateKey.publicKey)) {
    throw new P2PError('ERR_INVALID_PARAMETERS', `the private key does not belong to peer ${peerId.toString()}`)
  }
  const payload = encodePeerRecord({ peerId, seq: seqValue, addresses: [...addrs] })
  return sealEnvelope(privateKey, PEER_RECORD_DOMAIN, PEER_RECORD_PAYLOAD_TYPE, payload)
}

/**
 * Verifies and decodes a signed peer record (either form, see the header).
 * Throws ERR_ENVELOPE_INVALID,
 * ERR_ENVELOPE_INVALID_SIGNATURE, ERR_PEER_RECORD_WRONG_TYPE,
 * ERR_PEER_RECORD_INVALID or ERR_PEER_RECORD_PEER_MISMATCH.
 */
export function openSignedPeerRecord (bytes: Uint8Array): OpenedPeerRecord {
  const id = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1')
  const record = openedRecords.remember(id, () => openUncached(bytes))
  return { ...record, addresses: [...record.addresses] }
}

/** Records already opened, by their envelope bytes. */
const openedRecords = new RecentMap<string, OpenedPeerRecord>(256)

function openUncached (bytes: Uint8Array): OpenedPeerRecord {
  const envelope = decodeEnvelope(bytes)
  let domain: string
  if (equalBytes(envelope.payloadType, PEER_RECORD_PAYLOAD_TYPE)) domain = PEER_RECORD_DOMAIN
  else if (equalBytes(envelope.payloadType, ROUTING_STATE_PAYLOAD_TYPE)) domain = ROUTING_STATE_DOMAIN
  else {
    throw new P2PError('ERR_PEER_RECORD_WRONG_TYPE', `envelope payload type is 0x${Buffer.from(envelope.payloadType).toString('hex')}, expected 0x0301 (libp2p-peer-record) or "/libp2p/routing-state-record"`, { remote: true })
  }
  verifyEnvelope(envelope, domain)
  const record = decodePeerRecord(envelope.payload)
  // RFC 0003: "If the public key in the envelope cannot derive the peer id
  // contained in the routing state record, the RoutingState MUST be discarded."
  if (!record.peerId.matchesPublicKey(envelope.publicKey)) {
    throw new P2PError('ERR_PEER_RECORD_PEER_MISMATCH', `peer record is for ${record.peerId.toString()} but signed by ${PeerId.fromPublicKey(envelope.publicKey).toString()}`, { remote: true })
  }
  return { ...record, publicKey: envelope.publicKey }
}
