// The resource manager: one place that counts connections and streams and
// says yes or no to each new one (issue 9 "Limits").
//
// Theory of operation. Nothing here touches a socket or a clock: the switch
// asks before it spends anything —
//
//   inbound socket accepted ──reserveInboundUpgrade(ip)──> handshake ──admitConnection()──> open
//   outbound dial          ──reserveOutboundDial()──────> handshake ──admitConnection()──> open
//   inbound stream opened  ──reserveInboundStream(peer)──> negotiation ──reserveProtocolStream()──> handler
//   outbound stream        ──reserveOutboundStream(peer)──> negotiation
//   connection upgraded    ──openConnectionMemory()──> its muxer reserves buffer bytes (./memory.ts)
//
// Each yes is a Reservation whose release() gives the resource back (it is
// idempotent, so "release on every path" is safe); each no is a Refusal
// naming the limit, counted in `metrics`. A pending reservation turns into
// an admitted connection by releasing the pending one and admitting the new.

import { P2PError } from '../util/errors.js'
import { ip6FromText, ip6ToText } from '../multiaddr/ip.js'
import { ip6Scope } from '../multiaddr/scope.js'
import { resolveLimits, type ResourceLimits } from './limits.js'
import { emptyMetrics, type LimitName, type ResourceMetrics, type ResourceUsage } from './metrics.js'
import { MemoryTotal, type ConnectionMemory } from './memory.js'

export interface Reservation {
  readonly ok: true
  /** Gives the resource back; calling it again does nothing. */
  release: () => void
}

export interface Refusal {
  readonly ok: false
  readonly limit: LimitName
  /** ERR_RESOURCE_LIMIT_EXCEEDED, saying which limit and its value. */
  readonly error: P2PError
}

export type Admission = Reservation | Refusal

export interface ResourceManagerInit {
  limits?: Partial<ResourceLimits>
  /**
   * Loopback peers do not count against maxConnectionsPerIp (default true):
   * tests, benchmarks and local tools all share 127.0.0.1.
   */
  exemptLoopbackFromIpLimit?: boolean
}

export type Direction = 'inbound' | 'outbound'

/** One key an inbound connection counts under, and its limits when open and while handshaking. */
interface IpCount {
  readonly key: string
  readonly limit: 'maxConnectionsPerIp' | IpPrefixTier['limit']
  readonly pendingLimit: 'maxInboundPendingUpgradesPerIp' | IpPrefixTier['pendingLimit']
}

/** The IPv6 prefixes a global address is also counted by, narrowest first. */
const IPV6_PREFIX_TIERS = [
  { bits: 64, limit: 'maxConnectionsPerIpv6Subnet', pendingLimit: 'maxInboundPendingUpgradesPerIpv6Subnet' },
  { bits: 56, limit: 'maxConnectionsPerIpv6Prefix56', pendingLimit: 'maxInboundPendingUpgradesPerIpv6Prefix56' },
  { bits: 48, limit: 'maxConnectionsPerIpv6Prefix48', pendingLimit: 'maxInboundPendingUpgradesPerIpv6Prefix48' }
] as const
type IpPrefixTier = typeof IPV6_PREFIX_TIERS[number]

export class ResourceManager {
  readonly limits: Readonly<ResourceLimits>
  readonly metrics: ResourceMetrics = emptyMetrics()
  private readonly exemptLoopback: boolean

  private pendingInbound = 0
  private pendingOutbound = 0
  private readonly open = { inbound: 0, outbound: 0 }
  /** Open connections per peer ID. */
  private readonly byPeer = new Map<string, number>()
  /** Open or pending connections per remote IP. */
  private readonly byIp = new Map<string, number>()
  /** Inbound handshakes in progress per address and per IPv6 prefix (the same keys as byIp). */
  private readonly pendingByIp = new Map<string, number>()
  private readonly inboundStreamsByPeer = new Map<string, number>()
  private readonly outboundStreamsByPeer = new Map<string, number>()
  /** Inbound streams per (connection ID, protocol). */
  private readonly byProtocol = new Map<string, number>()
  /** Buffer bytes over all connections (maxBufferBytes); each connection has an account in it. */
  private readonly memory: MemoryTotal
  private stopping = false

  constructor (init: ResourceManagerInit = {}) {
    this.limits = resolveLimits(init.limits)
    this.exemptLoopback = init.exemptLoopbackFromIpLimit ?? true
    this.memory = new MemoryTotal(this.limits.maxBufferBytes, limit => { this.metrics.refused[limit]++ })
  }

  /** From now on every new connection and stream is refused (the node is stopping). */
  refuseAll (): void {
    this.stopping = true
  }

  /** A socket was accepted: may its handshake start? */
  reserveInboundUpgrade (ip: string): Admission {
    const l = this.limits
    if (this.stopping) return this.refuse('stopping', 'connection', 'the node is stopping')
    if (this.pendingInbound >= l.maxInboundPendingUpgrades) {
      return this.refuse('maxInboundPendingUpgrades', 'connection', `already ${this.pendingInbound} inbound handshakes in progress`)
    }
    if (this.totalConnections() >= l.maxConnections) {
      return this.refuse('maxConnections', 'connection', `already ${this.totalConnections()} connections open or handshaking`)
    }
    if (this.open.inbound + this.pendingInbound >= l.maxInboundConnections) {
      return this.refuse('maxInboundConnections', 'connection', `already ${this.open.inbound + this.pendingInbound} inbound connections`)
    }
    const counts = this.ipCounts(ip)
    for (const { key, limit } of counts) {
      if ((this.byIp.get(key) ?? 0) >= l[limit]) return this.refuse(limit, 'connection', `already ${l[limit]} connections from ${key}`)
    }
    for (const { key, pendingLimit } of counts) {
      if ((this.pendingByIp.get(key) ?? 0) >= l[pendingLimit]) return this.refuse(pendingLimit, 'connection', `already ${l[pendingLimit]} inbound handshakes from ${key}`)
    }
    this.pendingInbound++
    for (const { key } of counts) {
      increment(this.byIp, key)
      increment(this.pendingByIp, key)
    }
    return this.reservation(() => {
      this.pendingInbound--
      for (const { key } of counts) {
        decrement(this.byIp, key)
        decrement(this.pendingByIp, key)
      }
    })
  }

  /** May we dial out? Held until the dial has failed or been admitted. */
  reserveOutboundDial (): Admission {
    const l = this.limits
    if (this.stopping) return this.refuse('stopping', 'connection', 'the node is stopping')
    if (this.totalConnections() >= l.maxConnections) {
      return this.refuse('maxConnections', 'connection', `already ${this.totalConnections()} connections open or handshaking`)
    }
    if (this.open.outbound + this.pendingOutbound >= l.maxOutboundConnections) {
      return this.refuse('maxOutboundConnections', 'connection', `already ${this.open.outbound + this.pendingOutbound} outbound connections`)
    }
    this.pendingOutbound++
    return this.reservation(() => { this.pendingOutbound-- })
  }

  /**
   * An upgrade finished: may the connection stay open? The caller releases
   * its pending reservation first. Release the result when the connection closes.
   */
  admitConnection (peer: string, direction: Direction, ip: string): Admission {
    const l = this.limits
    if (this.stopping) return this.refuse('stopping', 'connection', 'the node is stopping')
    const perPeer = this.byPeer.get(peer) ?? 0
    if (perPeer >= l.maxConnectionsPerPeer) {
      return this.refuse('maxConnectionsPerPeer', 'connection', `already ${perPeer} connections to ${peer}`)
    }
    const counts = direction === 'inbound' ? this.ipCounts(ip) : []
    this.open[direction]++
    increment(this.byPeer, peer)
    for (const { key } of counts) increment(this.byIp, key)
    return this.reservation(() => {
      this.open[direction]--
      decrement(this.byPeer, peer)
      for (const { key } of counts) decrement(this.byIp, key)
    })
  }

  /**
   * What an inbound connection from `ip` counts against: its address
   * (maxConnectionsPerIp, and maxInboundPendingUpgradesPerIp while it
   * handshakes) and, for a global IPv6 one, its /64, /56 and /48 (the
   * ...Ipv6Subnet and ...Ipv6Prefix limits); nothing for loopback when it
   * is exempt.
   */
  private ipCounts (ip: string): IpCount[] {
    const key = ipLimitKey(ip)
    if (this.exemptLoopback && isLoopback(key)) return []
    const counts: IpCount[] = [{ key, limit: 'maxConnectionsPerIp', pendingLimit: 'maxInboundPendingUpgradesPerIp' }]
    for (const tier of IPV6_PREFIX_TIERS) {
      const prefix = ipv6SubnetKey(key, tier.bits)
      if (prefix === undefined) break
      counts.push({ key: prefix, limit: tier.limit, pendingLimit: tier.pendingLimit })
    }
    return counts
  }

  /** The remote opened a stream: may it negotiate? Release when the stream closes. */
  reserveInboundStream (peer: string): Admission {
    if (this.stopping) return this.refuse('stopping', 'stream', 'the node is stopping')
    const active = this.inboundStreamsByPeer.get(peer) ?? 0
    if (active >= this.limits.maxInboundStreamsPerPeer) {
      return this.refuse('maxInboundStreamsPerPeer', 'stream', `already ${active} inbound streams from ${peer}`)
    }
    increment(this.inboundStreamsByPeer, peer)
    return this.reservation(() => { decrement(this.inboundStreamsByPeer, peer) })
  }

  /** We open a stream: is there room? Release when the stream closes. */
  reserveOutboundStream (peer: string): Admission {
    if (this.stopping) return this.refuse('stopping', 'stream', 'the node is stopping')
    const active = this.outboundStreamsByPeer.get(peer) ?? 0
    if (active >= this.limits.maxOutboundStreamsPerPeer) {
      return this.refuse('maxOutboundStreamsPerPeer', 'stream', `already ${active} outbound streams to ${peer}`)
    }
    increment(this.outboundStreamsByPeer, peer)
    return this.reservation(() => { decrement(this.outboundStreamsByPeer, peer) })
  }

  /**
   * An inbound stream agreed on `protocol`: may its handler have it?
   * `max` is the handler's own limit (default maxInboundStreamsPerProtocol),
   * counted within `scope`: 'connection <id>', or 'peer <id>' for a handler
   * limited per peer.
   */
  reserveProtocolStream (scope: string, protocol: string, max = this.limits.maxInboundStreamsPerProtocol): Admission {
    const key = `${scope}\n${protocol}`
    const active = this.byProtocol.get(key) ?? 0
    if (active >= max) {
      return this.refuse('maxInboundStreamsPerProtocol', 'stream', `already ${active} inbound ${protocol} streams on ${scope}`)
    }
    increment(this.byProtocol, key)
    return this.reservation(() => { decrement(this.byProtocol, key) })
  }

  /**
   * A memory account for one new connection (maxConnectionBufferBytes of it,
   * within maxBufferBytes over all): hand it to the connection's muxer and
   * close() it when the connection closes. Never refused itself, also while
   * stopping: the account starts empty, and a stream that can reserve nothing
   * is refused by its muxer.
   */
  openConnectionMemory (): ConnectionMemory {
    return this.memory.openAccount(this.limits.maxConnectionBufferBytes)
  }

  /** What is in use now. */
  usage (): ResourceUsage {
    return {
      connections: this.open.inbound + this.open.outbound,
      inboundConnections: this.open.inbound,
      outboundConnections: this.open.outbound,
      pendingInboundUpgrades: this.pendingInbound,
      pendingOutboundDials: this.pendingOutbound,
      inboundStreams: sum(this.inboundStreamsByPeer),
      outboundStreams: sum(this.outboundStreamsByPeer),
      peers: this.byPeer.size,
      bufferBytes: this.memory.reserved
    }
  }

  private totalConnections (): number {
    return this.open.inbound + this.open.outbound + this.pendingInbound + this.pendingOutbound
  }

  private reservation (give: () => void): Reservation {
    let held = true
    return {
      ok: true,
      release: () => {
        if (!held) return
        held = false
        give()
      }
    }
  }

  private refuse (limit: LimitName, kind: 'connection' | 'stream', why: string): Refusal {
    this.metrics.refused[limit]++
    if (kind === 'connection') this.metrics.refusedConnections++
    else this.metrics.refusedStreams++
    const value = limit === 'stopping' ? '' : ` (${limit} = ${this.limits[limit]})`
    return { ok: false, limit, error: new P2PError('ERR_RESOURCE_LIMIT_EXCEEDED', `${kind} refused: ${why}${value}`) }
  }
}

/**
 * What maxConnectionsPerIp counts by: the address, without a zone
 * (`fe80::1%eth0`: the socket's address and the connection's then count
 * alike), and an IPv4-mapped IPv6 address as its IPv4 one.
 */
export function ipLimitKey (ip: string): string {
  const zone = ip.indexOf('%')
  const address = zone === -1 ? ip : ip.slice(0, zone)
  return /^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(address) ? address.slice(7) : address
}

/**
 * What maxConnectionsPerIpv6Subnet counts by: a global IPv6 address's /64
 * (or, given `bits`, its /56 or /48 for the ...Ipv6Prefix limits), e.g.
 * `2001:db8:1:2::/64`. One host commonly holds a whole /64 (SLAAC, privacy
 * addresses), one customer a /56, so that neither can open as many
 * connections as it has addresses. Undefined for IPv4 and for link-local
 * addresses (fe80::/10), whose /64 every host on every link shares.
 */
export function ipv6SubnetKey (address: string, bits: 64 | 56 | 48 = 64): string | undefined {
  if (!address.includes(':')) return undefined
  let bytes: Uint8Array
  try {
    bytes = ip6FromText(address)
  } catch {
    return undefined
  }
  if (ip6Scope(bytes) === 'link-local') return undefined
  const prefix = new Uint8Array(16)
  prefix.set(bytes.subarray(0, bits / 8)) // whole bytes: 64, 56 and 48 are multiples of 8
  return `${ip6ToText(prefix)}/${bits}`
}

/** 127.0.0.0/8, ::1 and their IPv4-mapped form. */
export function isLoopback (ip: string): boolean {
  return ip.startsWith('127.') || ip === '::1' || ip.startsWith('::ffff:127.')
}

function increment (map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1)
}

/** Deletes the key at zero, so maps never grow with peers that have gone. */
function decrement (map: Map<string, number>, key: string): void {
  const n = (map.get(key) ?? 0) - 1
  if (n <= 0) map.delete(key)
  else map.set(key, n)
}

function sum (map: Map<string, number>): number {
  let n = 0
  for (const v of map.values()) n += v
  return n
}
