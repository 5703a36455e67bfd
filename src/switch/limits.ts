// Connection limits of the switch. Each one is a reason a connection is
// refused before any expensive work (TCP accept → refused before the Noise
// handshake, which costs a DH and a signature).

export interface ConnectionLimits {
  /** All open connections, both directions. */
  maxConnections: number
  /** Open connections to one peer (a simultaneous dial can make two). */
  maxConnectionsPerPeer: number
  /** Inbound connections still in their upgrade (handshake) at once. */
  maxInboundPendingUpgrades: number
  /** Addresses of one peer dialled in parallel. */
  maxParallelDialsPerPeer: number
  /** Open connections from one remote IP address (loopback is exempt: tests and local tools share it). */
  maxConnectionsPerIp: number
}

export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = {
  // js-libp2p's default maxConnections
  maxConnections: 300,
  // one for each direction of a simultaneous dial
  maxConnectionsPerPeer: 2,
  // js-libp2p: maxIncomingPendingConnections = 10; a little more for bursts on loopback
  maxInboundPendingUpgrades: 32,
  // js-libp2p: maxParallelDialsPerPeer = 1..4; go-libp2p dials addresses with staggered delays
  maxParallelDialsPerPeer: 4,
  // go-libp2p's connection limiter allows 8 connections per IPv4 address by default
  maxConnectionsPerIp: 8
}
