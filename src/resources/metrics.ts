// What the resource manager counts: each refusal by the limit that caused it,
// and the resources in use right now.

/** The limits a refusal can name; the keys of `ResourceMetrics.refused`. */
export const LIMIT_NAMES = [
  'maxConnections',
  'maxInboundConnections',
  'maxOutboundConnections',
  'maxConnectionsPerPeer',
  'maxConnectionsPerIp',
  'maxConnectionsPerIpv6Subnet',
  'maxConnectionsPerIpv6Prefix56',
  'maxConnectionsPerIpv6Prefix48',
  'maxInboundPendingUpgrades',
  'maxInboundPendingUpgradesPerIp',
  'maxInboundPendingUpgradesPerIpv6Subnet',
  'maxInboundPendingUpgradesPerIpv6Prefix56',
  'maxInboundPendingUpgradesPerIpv6Prefix48',
  'maxInboundStreamsPerPeer',
  'maxOutboundStreamsPerPeer',
  'maxInboundStreamsPerProtocol',
  'maxConnectionBufferBytes',
  'maxBufferBytes',
  'stopping'
] as const
export type LimitName = typeof LIMIT_NAMES[number]

export interface ResourceMetrics {
  /** Inbound sockets closed before the handshake (or connections aborted after it) because a limit was reached. */
  refusedConnections: number
  /** Inbound streams reset and outbound streams refused because a limit was reached. */
  refusedStreams: number
  /**
   * Upgrades (either direction) that failed: timeouts, protocol violations,
   * refusals. Not those abandoned: a dial whose every caller aborted it, or
   * a handshake under way when stop() was called.
   */
  failedUpgrades: number
  /**
   * Refusals by the limit that caused them. For the two memory limits each
   * refused reservation counts: a stream refused (yamux RST, mplex Reset, a
   * local newStream that throws) or a yamux window that was not grown.
   */
  refused: Record<LimitName, number>
}

/** A snapshot of what is in use. */
export interface ResourceUsage {
  connections: number
  inboundConnections: number
  outboundConnections: number
  pendingInboundUpgrades: number
  pendingOutboundDials: number
  inboundStreams: number
  outboundStreams: number
  peers: number
  /** Buffer bytes reserved over all connections (yamux windows granted, mplex bytes unread). */
  bufferBytes: number
}

export function emptyMetrics (): ResourceMetrics {
  const refused = Object.fromEntries(LIMIT_NAMES.map(name => [name, 0])) as Record<LimitName, number>
  return { refusedConnections: 0, refusedStreams: 0, failedUpgrades: 0, refused }
}
