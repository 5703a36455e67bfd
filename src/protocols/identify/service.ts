// The two ends of identify and identify/push as one call each, for the
// switch (libp2p/specs identify/README.md "Overview"):
//
//   identify        the dialer opens /ipfs/id/1.0.0 and reads; the listener
//                   answers with its Identify message and closes:
//                   remote side  handleIdentify(stream, local info)
//                   our side     identify(stream, remotePeer)
//   identify/push   the pusher opens /ipfs/id/push/1.0.0 and writes:
//                   our side     pushIdentify(stream, local info)
//                   remote side  handleIdentifyPush(stream, remotePeer)
//
// `LocalIdentifyInfo` holds typed values; `buildIdentifyMessage` turns them
// into the wire message (keys as PublicKey protobufs, addresses as bytes).

import type { Duplex } from 'node:stream'
import { byScope, type Multiaddr } from '../../multiaddr/index.js'
import { publicKeyToProtobuf, type PeerId, type PublicKey } from '../../peer/index.js'
import { interpretIdentify, type IdentifyResult } from './interpret.js'
import type { IdentifyMessage } from './message.js'
import { readIdentify, writeIdentify, type ReadIdentifyOptions } from './stream.js'

/**
 * The protocolVersion js-libp2p and go-libp2p send by default; the spec
 * gives `/my-network/0.1.0` as an example and no longer requires a match.
 */
export const DEFAULT_IDENTIFY_PROTOCOL_VERSION = 'ipfs/0.1.0'

export interface LocalIdentifyInfo {
  publicKey: PublicKey
  listenAddrs: readonly Multiaddr[]
  /** The remote address of this connection as we see it (omit when unknown, e.g. relayed). */
  observedAddr?: Multiaddr
  /** The protocols we accept inbound streams for. */
  protocols: readonly string[]
  agentVersion?: string
  /** Default DEFAULT_IDENTIFY_PROTOCOL_VERSION. */
  protocolVersion?: string
  /** An envelope from createSignedPeerRecord, when we have one. */
  signedPeerRecord?: Uint8Array
}

export function buildIdentifyMessage (info: LocalIdentifyInfo): IdentifyMessage {
  const message: IdentifyMessage = {
    protocolVersion: info.protocolVersion ?? DEFAULT_IDENTIFY_PROTOCOL_VERSION,
    publicKey: publicKeyToProtobuf(info.publicKey),
    // widest reach first: when they do not all fit, writeIdentify keeps the first
    listenAddrs: [...info.listenAddrs].sort(byScope).map(a => a.bytes),
    protocols: [...info.protocols]
  }
  if (info.agentVersion !== undefined) message.agentVersion = info.agentVersion
  if (info.observedAddr !== undefined) message.observedAddr = info.observedAddr.bytes
  if (info.signedPeerRecord !== undefined) message.signedPeerRecord = info.signedPeerRecord
  return message
}

/** Listener side of /ipfs/id/1.0.0: send our Identify message and close. */
export async function handleIdentify (stream: Duplex, info: LocalIdentifyInfo): Promise<void> {
  await writeIdentify(stream, buildIdentifyMessage(info))
}

/** Dialer side of /ipfs/id/1.0.0: read, merge and interpret the remote's message. */
export async function identify (stream: Duplex, remotePeer: PeerId, options: ReadIdentifyOptions = {}): Promise<IdentifyResult> {
  return interpretIdentify(await readIdentify(stream, options), remotePeer)
}

/** Pusher side of /ipfs/id/push/1.0.0 (the same bytes as handleIdentify). */
export const pushIdentify = handleIdentify

/** Receiver side of /ipfs/id/push/1.0.0; missing fields mean "unchanged". */
export const handleIdentifyPush = identify
