// From the raw Identify message to typed values (libp2p/specs
// identify/README.md "The Identify Message").
//
//   publicKey         decoded from its PublicKey protobuf; it must derive the
//                     peer ID the secure channel authenticated, else the
//                     message lies about who sent it: ERR_IDENTIFY_PEER_MISMATCH
//   listenAddrs,      parsed as multiaddrs; invalid ones are skipped (listed
//   observedAddr      in `invalidAddrs`), never an error
//   signedPeerRecord  "If the `signedPeerRecord` is present and the
//                     implementation supports SignedEnvelope, it MUST use the
//                     data contained within it and ignore duplicated fields
//                     present in the main identify message" -- so when a
//                     valid record for the remote peer is present,
//                     `listenAddrs` are the record's addresses. A record that
//                     fails verification, or is for another peer, is set
//                     aside (`rejectedSignedPeerRecord` says why) and the
//                     message's own fields count, as go-libp2p and
//                     rust-libp2p do (js-libp2p fails the whole identify):
//                     a peer could as well have sent no record, so refusing
//                     the rest protects nothing and loses its protocols.
//
// Missing fields stay undefined / empty: identify/push "partial updates"
// omit what did not change.

import type { Multiaddr } from '../../multiaddr/index.js'
import { PeerId, publicKeyFromProtobuf, type PublicKey } from '../../peer/index.js'
import { P2PError } from '../../util/errors.js'
import { parseMultiaddr } from '../parse-multiaddr.js'
import { openSignedPeerRecord, type OpenedPeerRecord } from '../record/peer-record.js'
import type { IdentifyMessage } from './message.js'

export interface IdentifyResult {
  peerId: PeerId
  publicKey?: PublicKey
  protocolVersion?: string
  agentVersion?: string
  /** The record's addresses when a signed peer record came, else listenAddrs. */
  listenAddrs: Multiaddr[]
  observedAddr?: Multiaddr
  protocols: string[]
  /** The verified signed peer record, when one was sent. */
  signedPeerRecord?: OpenedPeerRecord
  /** Its signed envelope, byte for byte (RFC 0003: "SHOULD retain the original signed envelope"). */
  signedPeerRecordEnvelope?: Uint8Array
  /** How many listen/observed addresses were not valid multiaddrs and were skipped. */
  invalidAddrs: number
  /** Why a signed peer record that came was not used (a bad envelope or signature, or another peer's record). */
  rejectedSignedPeerRecord?: P2PError
}

export function interpretIdentify (message: IdentifyMessage, remotePeer: PeerId): IdentifyResult {
  const result: IdentifyResult = {
    peerId: remotePeer,
    listenAddrs: [],
    protocols: [...message.protocols],
    invalidAddrs: 0
  }
  if (message.protocolVersion !== undefined) result.protocolVersion = message.protocolVersion
  if (message.agentVersion !== undefined) result.agentVersion = message.agentVersion

  if (message.publicKey !== undefined) {
    let publicKey: PublicKey
    try {
      publicKey = publicKeyFromProtobuf(message.publicKey)
    } catch (err) {
      throw new P2PError('ERR_IDENTIFY_INVALID_MESSAGE', `Identify publicKey is not a valid PublicKey protobuf: ${(err as Error).message}`, { remote: true, cause: err })
    }
    if (!remotePeer.matchesPublicKey(publicKey)) {
      throw new P2PError('ERR_IDENTIFY_PEER_MISMATCH', `Identify publicKey belongs to ${PeerId.fromPublicKey(publicKey).toString()}, but the connection is with ${remotePeer.toString()}`, { remote: true })
    }
    result.publicKey = publicKey
  }

  for (const bytes of message.listenAddrs) {
    const addr = parseMultiaddr(bytes)
    if (addr === undefined) result.invalidAddrs++
    else result.listenAddrs.push(addr)
  }
  if (message.observedAddr !== undefined) {
    const addr = parseMultiaddr(message.observedAddr)
    if (addr === undefined) result.invalidAddrs++
    else result.observedAddr = addr
  }

  if (message.signedPeerRecord !== undefined) {
    const record = openRemoteRecord(message.signedPeerRecord, remotePeer)
    if (record instanceof P2PError) {
      result.rejectedSignedPeerRecord = record
    } else {
      result.signedPeerRecord = record
      result.signedPeerRecordEnvelope = message.signedPeerRecord
      result.listenAddrs = [...record.addresses]
      result.publicKey ??= record.publicKey
    }
  }
  return result
}

/** The remote's verified record, or the typed error that says why it cannot be used. */
function openRemoteRecord (envelope: Uint8Array, remotePeer: PeerId): OpenedPeerRecord | P2PError {
  let record: OpenedPeerRecord
  try {
    record = openSignedPeerRecord(envelope)
  } catch (err) {
    if (err instanceof P2PError) return err
    throw err
  }
  if (!record.peerId.equals(remotePeer)) {
    return new P2PError('ERR_IDENTIFY_PEER_MISMATCH', `Identify signedPeerRecord is for ${record.peerId.toString()}, but the connection is with ${remotePeer.toString()}`, { remote: true })
  }
  return record
}
