// Every limit of a node in one place, with its default and the reason for it
// (issue 9 "Limits"; in the spirit of go-libp2p's resource manager).
//
// Theory of operation: the ResourceManager (./manager.ts) enforces the
// connection and stream counts below at the cheapest point — an inbound socket
// over a limit is closed before the Noise handshake, an inbound stream over
// its peer's limit is reset before its protocol negotiation, one over its
// protocol's limit right after it. The per-connection limits (streams per
// connection, buffered bytes per stream) live inside the muxers; the switch
// hands them over through the upgrader (./muxer-options.ts). Buffered bytes
// per connection and in total are memory accounts (./memory.ts) the muxers
// reserve from as they grant windows (yamux) or buffer data (mplex). Timeouts are
// enforced by the layer that waits: TCP connect (src/tcp), the whole upgrade
// (src/upgrader), each stream's negotiation and idle connections (src/switch).

import { P2PError } from '../util/errors.js'
import { MAX_TIMER_MS } from '../util/deadline.js'

export interface ResourceLimits {
  // --- connections ---
  /** All open connections plus inbound handshakes in progress, both directions. */
  maxConnections: number
  /** Open inbound connections. */
  maxInboundConnections: number
  /** Open outbound connections. */
  maxOutboundConnections: number
  /** Open connections to one peer (a simultaneous dial can make two). */
  maxConnectionsPerPeer: number
  /** Open or handshaking connections from one remote IP address. */
  maxConnectionsPerIp: number
  /** The same from one IPv6 /64 (global addresses: one host often holds a whole /64). */
  maxConnectionsPerIpv6Subnet: number
  /** The same from one IPv6 /56 (what an ISP commonly delegates to one customer). */
  maxConnectionsPerIpv6Prefix56: number
  /** The same from one IPv6 /48 (one site). */
  maxConnectionsPerIpv6Prefix48: number
  /** Inbound connections still in their upgrade (handshake) at once. */
  maxInboundPendingUpgrades: number
  /** The same from one remote IP address: one host cannot hold every handshake slot. */
  maxInboundPendingUpgradesPerIp: number
  /** The same from one IPv6 /64. */
  maxInboundPendingUpgradesPerIpv6Subnet: number
  /** The same from one IPv6 /56. */
  maxInboundPendingUpgradesPerIpv6Prefix56: number
  /** The same from one IPv6 /48. */
  maxInboundPendingUpgradesPerIpv6Prefix48: number
  /** Addresses of one peer dialled in parallel. */
  maxParallelDialsPerPeer: number

  // --- streams ---
  /** Open streams (both directions) on one connection; enforced by the muxer. */
  maxStreamsPerConnection: number
  /** Open inbound streams from one peer over all its connections. */
  maxInboundStreamsPerPeer: number
  /** Open outbound streams to one peer over all its connections. */
  maxOutboundStreamsPerPeer: number
  /** Open inbound streams of one protocol on one connection, unless the handler sets its own. */
  maxInboundStreamsPerProtocol: number

  // --- memory ---
  /** Unread bytes one stream may buffer: yamux window ceiling, mplex reset threshold. */
  maxStreamBufferBytes: number
  /** Bytes the remote may make one connection buffer: yamux windows granted, mplex bytes unread. */
  maxConnectionBufferBytes: number
  /** The same over all connections of the node. */
  maxBufferBytes: number

  // --- timeouts (ms) ---
  /** TCP connect. */
  dialTimeoutMs: number
  /** The whole upgrade: multistream /noise, the Noise handshake, the muxer choice. */
  upgradeTimeoutMs: number
  /** One stream's multistream-select negotiation. */
  streamNegotiationTimeoutMs: number
  /** A connection with no open stream for this long is closed; 0 disables. */
  connectionIdleTimeoutMs: number
  /** After a connection closed, how long its socket waits for the remote's end before it is destroyed. */
  socketCloseTimeoutMs: number
  /** yamux: ping after this long with nothing received from the remote; 0 disables keepalive. */
  keepAliveIntervalMs: number
  /** yamux: close the connection when nothing arrives this long after a keepalive ping; 0: never. */
  keepAliveTimeoutMs: number
}

export const DEFAULT_RESOURCE_LIMITS: Readonly<ResourceLimits> = Object.freeze({
  // js-libp2p's default maxConnections; go-libp2p's "system" scope allows a few hundred too
  maxConnections: 300,
  // most of the budget may be inbound, but outbound dials always keep some room
  maxInboundConnections: 256,
  // what we dial is under our own control; bounded anyway so a bug cannot exhaust descriptors
  maxOutboundConnections: 256,
  // one for each direction of a simultaneous dial
  maxConnectionsPerPeer: 2,
  // go-libp2p's connection limiter allows 8 connections per IPv4 address by default
  maxConnectionsPerIp: 8,
  // a /64 is one host's (SLAAC, privacy addresses) or one LAN's: more than
  // one address's worth, fewer than its 2^64 addresses would allow
  maxConnectionsPerIpv6Subnet: 32,
  // wider prefixes, as go-libp2p's connection limiter counts IPv6 (by /56 and /48): a customer's
  // delegated /56 holds 256 /64s, a site's /48 65,536, so without these one customer could fill
  // every inbound slot 32 at a time. Each tier allows twice the one inside it
  maxConnectionsPerIpv6Prefix56: 64,
  maxConnectionsPerIpv6Prefix48: 128,
  // js-libp2p: maxIncomingPendingConnections = 10; a little more for bursts on loopback.
  // Each pending handshake costs a DH and a signature check, so this bounds the CPU an attacker buys
  maxInboundPendingUpgrades: 32,
  // a handshake takes a round trip and a few ms: one host rarely has more than a few at once, and
  // with these one host (an address, a /64) holds at most a quarter of the slots above, so silent
  // sockets from it cannot keep everyone else's handshakes out until the upgrade timeout
  maxInboundPendingUpgradesPerIp: 4,
  maxInboundPendingUpgradesPerIpv6Subnet: 8,
  // a /56 or a /48 holds at most half of the handshake slots
  maxInboundPendingUpgradesPerIpv6Prefix56: 16,
  maxInboundPendingUpgradesPerIpv6Prefix48: 16,
  // js-libp2p: maxParallelDialsPerPeer = 1..4; go-libp2p dials addresses with staggered delays
  maxParallelDialsPerPeer: 4,
  // yamux and mplex defaults of this stack (go-yamux: 1000 by default as well)
  maxStreamsPerConnection: 1024,
  // go-libp2p's default peer scope: 256 inbound streams
  maxInboundStreamsPerPeer: 256,
  // go-libp2p's default peer scope: 512 outbound streams
  maxOutboundStreamsPerPeer: 512,
  // go-libp2p and js-libp2p both default to 32 concurrent inbound streams per protocol and connection
  maxInboundStreamsPerProtocol: 32,
  // yamux grows a window up to this: go-yamux's and js-libp2p's default ceiling, and enough to ride
  // out a reader's pauses (a GC) at loopback speed, where a 4 MiB ceiling stalled the sender for a
  // fifth of a 256 MiB transfer. mplex has no flow control: a stream whose reader lags this far is reset
  maxStreamBufferBytes: 16 * 1024 * 1024,
  // 1024 streams (maxStreamsPerConnection) × yamux's 256 KiB initial window: the default never
  // refuses a stream at its initial window, but stops windows growing once a connection holds this
  // much (maxStreamsPerConnection × maxStreamBufferBytes would be 4 GiB)
  maxConnectionBufferBytes: 256 * 1024 * 1024,
  // four connections at their full budget; go-libp2p's default system-scope memory is a fraction of
  // the machine's RAM too. What one remote can make us hold is bounded, so is what all of them can
  maxBufferBytes: 1024 * 1024 * 1024,
  // go-libp2p and js-libp2p dial TCP with a 5 s timeout
  dialTimeoutMs: 5_000,
  // go-libp2p allows 15 s for a whole upgrade and js-libp2p 10 s; a slowloris is dropped when it runs out
  upgradeTimeoutMs: 10_000,
  // js-libp2p's protocol negotiation timeout is 10 s
  streamNegotiationTimeoutMs: 10_000,
  // go-libp2p's connection manager trims idle connections after a grace period of minutes; ours
  // closes a connection with no stream for 10 minutes (keeps descriptors for peers we still talk to)
  connectionIdleTimeoutMs: 10 * 60_000,
  // js-libp2p's TCP transport destroys a socket 500 ms into its close. Without a bound, a remote that
  // never sends its end would hold the socket (and its descriptor) forever, after the connection
  // above it has left every count
  socketCloseTimeoutMs: 500,
  // go-yamux and js-libp2p's yamux ping after 30 s. TCP keepalive alone finds a vanished peer only
  // after ~12 minutes on Linux (9 probes 75 s apart), while a stream waits on it
  keepAliveIntervalMs: 30_000,
  // go-yamux gives up on a keepalive ping after its 10 s write timeout (js-libp2p never does)
  keepAliveTimeoutMs: 10_000
})

/**
 * The muxers need room for at least one legal mplex message (1 MiB) per
 * stream, and so does each connection's and the node's buffer budget.
 */
export const MIN_STREAM_BUFFER_BYTES = 1024 * 1024

/** Limits that must leave room for one mplex message. */
const BUFFER_LIMITS = ['maxStreamBufferBytes', 'maxConnectionBufferBytes', 'maxBufferBytes'] as const

/** Merges `overrides` onto the defaults and checks each value; throws ERR_INVALID_PARAMETERS. */
export function resolveLimits (overrides: Partial<ResourceLimits> = {}): Readonly<ResourceLimits> {
  const limits: ResourceLimits = { ...DEFAULT_RESOURCE_LIMITS }
  for (const [name, value] of Object.entries(overrides) as Array<[keyof ResourceLimits, number | undefined]>) {
    if (value === undefined) continue
    // own names only: `in` would take "toString" or "constructor" too
    if (!Object.hasOwn(DEFAULT_RESOURCE_LIMITS, name)) {
      throw new P2PError('ERR_INVALID_PARAMETERS', `unknown resource limit "${String(name)}"`)
    }
    const timeout = name.endsWith('Ms')
    if (typeof value !== 'number' || !Number.isInteger(value) || value < (timeout ? 0 : 1)) {
      throw new P2PError('ERR_INVALID_PARAMETERS', `resource limit ${name} must be an integer ≥ ${timeout ? 0 : 1}, got ${String(value)}`)
    }
    // setTimeout fires a longer delay at once (with a warning) rather than never
    if (timeout && value > MAX_TIMER_MS) {
      throw new P2PError('ERR_INVALID_PARAMETERS', `resource limit ${name} must be ≤ ${MAX_TIMER_MS} ms (setTimeout's largest delay), got ${value}`)
    }
    limits[name] = value
  }
  for (const name of BUFFER_LIMITS) {
    if (limits[name] < MIN_STREAM_BUFFER_BYTES) {
      throw new P2PError('ERR_INVALID_PARAMETERS', `${name} must be ≥ ${MIN_STREAM_BUFFER_BYTES} (one mplex message), got ${limits[name]}`)
    }
  }
  return Object.freeze(limits)
}
