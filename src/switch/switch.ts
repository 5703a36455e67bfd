// The switch: listens, dials, keeps connections, and dispatches streams
// (libp2p/specs connections/README.md; ../shared/DESIGN.md "src/switch").
//
// Theory of operation:
// - Every TCP connection, dialled or accepted, goes through the Upgrader and
//   becomes a Connection registered under its remote peer ID.
// - dial() reuses an open connection to the peer; otherwise it joins the dial
//   in flight for that peer (DialQueue) or starts one.
// - A stream the remote opens is negotiated with multistream-select against
//   the registry; the handler registered for the agreed protocol gets it.
// - Limits refuse work at the cheapest point: an inbound socket over a limit
//   is closed before the Noise handshake, a stream over its protocol's limit
//   is reset right after negotiation.

import { EventEmitter } from 'node:events'
import type net from 'node:net'
import { PeerId } from '../peer/index.js'
import type { PrivateKey } from '../peer/index.js'
import { Multiaddr, CODE_P2P } from '../multiaddr/index.js'
import type { MuxedStream, StreamMuxerFactory } from '../muxer/types.js'
import { yamux } from '../yamux/index.js'
import { mplex } from '../mplex/index.js'
import { handleProtocols } from '../multistream/index.js'
import { dialTcp, isTcpAddr, socketMultiaddr, TcpListener } from '../tcp/index.js'
import { Upgrader } from '../upgrader/index.js'
import type { Connection, NewStreamOptions, ProtocolStream, UpgradeTrace } from '../upgrader/index.js'
import { P2PError, isP2PError } from '../util/errors.js'
import { DialQueue } from './dial-queue.js'
import { ProtocolRegistry } from './registry.js'
import type { HandlerOptions, StreamHandler } from './registry.js'
import { DEFAULT_CONNECTION_LIMITS } from './limits.js'
import type { ConnectionLimits } from './limits.js'

/** A stream must agree on its protocol within this time or it is reset. */
export const DEFAULT_STREAM_NEGOTIATION_TIMEOUT_MS = 10_000

export interface SwitchInit {
  privateKey: PrivateKey
  listenAddrs?: Array<Multiaddr | string>
  /** In order of preference. Default: yamux, then mplex. */
  muxers?: StreamMuxerFactory[]
  limits?: Partial<ConnectionLimits>
  dialTimeoutMs?: number
  upgradeTimeoutMs?: number
  /** Where dial(peerId) finds addresses (the node wires the peer store in). */
  peerAddresses?: (peer: PeerId) => Multiaddr[]
  trace?: UpgradeTrace
}

export type DialTarget = PeerId | Multiaddr | string

export interface SwitchMetrics {
  /** Inbound sockets closed before the handshake because a limit was reached. */
  refusedConnections: number
  /** Inbound streams reset because their protocol's limit was reached. */
  refusedStreams: number
  /** Upgrades (either direction) that failed. */
  failedUpgrades: number
}

/**
 * Events: 'connection:open' (Connection), 'connection:close' (Connection),
 * 'peer:connect' (PeerId), 'peer:disconnect' (PeerId),
 * 'protocols:change' (string[]), 'upgrade:error' (Error).
 */
export class Switch extends EventEmitter {
  readonly peerId: PeerId
  readonly metrics: SwitchMetrics = { refusedConnections: 0, refusedStreams: 0, failedUpgrades: 0 }
  private readonly registry = new ProtocolRegistry()
  private readonly limits: ConnectionLimits
  private readonly upgrader: Upgrader
  private readonly dialQueue: DialQueue
  private readonly connections = new Map<string, Set<Connection>>()
  private readonly inboundStreamCounts = new WeakMap<Connection, Map<string, number>>()
  private readonly tcpListeners: TcpListener[] = []
  private readonly pendingSockets = new Set<net.Socket>()
  private pendingInbound = 0
  private status: 'idle' | 'started' | 'stopping' | 'stopped' = 'idle'

  constructor (private readonly init: SwitchInit) {
    super()
    this.peerId = PeerId.fromPublicKey(init.privateKey.publicKey)
    this.limits = { ...DEFAULT_CONNECTION_LIMITS, ...init.limits }
    this.dialQueue = new DialQueue(this.limits.maxParallelDialsPerPeer)
    this.upgrader = new Upgrader({
      privateKey: init.privateKey,
      muxers: init.muxers ?? [yamux, mplex],
      timeoutMs: init.upgradeTimeoutMs,
      trace: init.trace,
      onStream: (stream, connection) => { this.onInboundStream(stream, connection) }
    })
  }

  /** Starts listening on the configured addresses. */
  async start (): Promise<void> {
    if (this.status !== 'idle') return
    this.status = 'started'
    for (const addr of this.init.listenAddrs ?? []) {
      const ma = typeof addr === 'string' ? Multiaddr.fromString(addr) : addr
      this.tcpListeners.push(await TcpListener.listen(ma, { onConnection: socket => { this.onInboundSocket(socket) } }))
    }
  }

  /** Stops listening and closes every connection; leaves no sockets or timers. */
  async stop (): Promise<void> {
    if (this.status === 'stopping' || this.status === 'stopped') return
    this.status = 'stopping'
    await Promise.all(this.tcpListeners.map(async l => { await l.close() }))
    for (const socket of this.pendingSockets) socket.destroy()
    await Promise.all(this.getConnections().map(async connection => { await closeWithin(connection, 2_000) }))
    this.status = 'stopped'
  }

  /** Our dialable addresses, each ending in /p2p/<our peer ID>. */
  get multiaddrs (): Multiaddr[] {
    const p2p = Multiaddr.fromString(`/p2p/${this.peerId.toString()}`)
    return this.tcpListeners.flatMap(l => l.multiaddrs()).map(a => a.encapsulate(p2p))
  }

  handle (protocol: string, handler: StreamHandler, options?: HandlerOptions): void {
    this.registry.handle(protocol, handler, options)
    this.emit('protocols:change', this.protocols)
  }

  unhandle (protocol: string): void {
    if (this.registry.unhandle(protocol)) this.emit('protocols:change', this.protocols)
  }

  /** The protocol IDs we serve. */
  get protocols (): string[] {
    return this.registry.protocols
  }

  getConnections (peer?: PeerId): Connection[] {
    if (peer !== undefined) return [...this.connections.get(peer.toString()) ?? []]
    return [...this.connections.values()].flatMap(set => [...set])
  }

  /**
   * Returns an open connection to the target, reusing one when it exists and
   * joining a dial already in flight to the same peer.
   */
  async dial (target: DialTarget, options: { signal?: AbortSignal } = {}): Promise<Connection> {
    if (this.status === 'stopping' || this.status === 'stopped') {
      throw new P2PError('ERR_SWITCH_STOPPED', 'the switch is stopped')
    }
    const { peer, addrs } = this.resolveTarget(target)
    if (peer !== undefined) {
      if (peer.equals(this.peerId)) throw new P2PError('ERR_DIALED_SELF', 'refusing to dial our own peer ID')
      const open = this.openConnection(peer)
      if (open !== undefined) return open
    }
    const key = peer?.toString() ?? addrs.map(a => a.toString()).join(',')
    const connection = await this.dialQueue.dial(key, addrs, async (addr, signal) => {
      return await this.dialAddress(addr, peer, signal)
    }, options.signal)
    return connection
  }

  /** Opens a stream to the target (dialling it if needed) and agrees on a protocol. */
  async newStream (target: DialTarget, protocols: string | string[], options: NewStreamOptions = {}): Promise<ProtocolStream> {
    const connection = await this.dial(target, { signal: options.signal })
    return await connection.newStream(protocols, options)
  }

  /** Closes every connection to `peer`. */
  async hangUp (peer: PeerId): Promise<void> {
    await Promise.all(this.getConnections(peer).map(async c => { await c.close() }))
  }

  private resolveTarget (target: DialTarget): { peer?: PeerId, addrs: Multiaddr[] } {
    if (target instanceof PeerId) {
      const addrs = this.init.peerAddresses?.(target) ?? []
      if (addrs.length === 0 && this.openConnection(target) === undefined) {
        throw new P2PError('ERR_NO_VALID_ADDRESSES', `no known addresses for ${target.toString()}`)
      }
      return { peer: target, addrs }
    }
    const addr = typeof target === 'string' ? Multiaddr.fromString(target) : target
    const id = addr.getPeerId()
    const transportAddr = id === undefined ? addr : addr.decapsulateCode(CODE_P2P)
    if (!isTcpAddr(transportAddr)) {
      throw new P2PError('ERR_TRANSPORT_UNSUPPORTED_ADDR', `no transport can dial ${addr.toString()}`)
    }
    return { peer: id === undefined ? undefined : PeerId.parse(id), addrs: [transportAddr] }
  }

  private openConnection (peer: PeerId): Connection | undefined {
    for (const connection of this.connections.get(peer.toString()) ?? []) {
      if (connection.status === 'open') return connection
    }
    return undefined
  }

  private async dialAddress (addr: Multiaddr, peer: PeerId | undefined, signal: AbortSignal): Promise<Connection> {
    if (this.getConnections().length >= this.limits.maxConnections) {
      throw new P2PError('ERR_CONNECTION_LIMIT', `already ${this.limits.maxConnections} connections open`)
    }
    const socket = await dialTcp(addr, { signal, timeoutMs: this.init.dialTimeoutMs })
    let connection: Connection
    try {
      connection = await this.upgrader.upgradeOutbound(socket, {
        remoteAddr: addr,
        localAddr: socketMultiaddr(socket, 'local'),
        remotePeer: peer,
        signal
      })
    } catch (err) {
      this.metrics.failedUpgrades++
      throw err
    }
    // a dial by address alone may reach a peer we are already connected to
    const existing = this.openConnection(connection.remotePeer)
    if (peer === undefined && existing !== undefined) {
      connection.abort(new P2PError('ERR_ABORTED', 'already connected to this peer'))
      return existing
    }
    this.register(connection)
    return connection
  }

  private onInboundSocket (socket: net.Socket): void {
    const remoteAddr = socketMultiaddr(socket, 'remote')
    const refusal = this.inboundRefusal(socket)
    if (refusal !== undefined || remoteAddr === undefined) {
      this.metrics.refusedConnections++
      socket.destroy()
      return
    }
    this.pendingInbound++
    this.pendingSockets.add(socket)
    this.upgrader.upgradeInbound(socket, { remoteAddr, localAddr: socketMultiaddr(socket, 'local') })
      .then(connection => { this.register(connection) })
      .catch((err: Error) => {
        this.metrics.failedUpgrades++
        this.emit('upgrade:error', err)
      })
      .finally(() => {
        this.pendingInbound--
        this.pendingSockets.delete(socket)
      })
  }

  /** Why an inbound socket must be refused before its handshake, if it must. */
  private inboundRefusal (socket: net.Socket): string | undefined {
    if (this.status !== 'started') return 'stopping'
    if (this.pendingInbound >= this.limits.maxInboundPendingUpgrades) return 'too many handshakes in progress'
    if (this.getConnections().length + this.pendingInbound >= this.limits.maxConnections) return 'connection limit'
    const ip = socket.remoteAddress ?? ''
    if (!isLoopback(ip)) {
      const fromIp = this.getConnections().filter(c => c.remoteAddr.toSocketAddress().host === ip).length
      if (fromIp >= this.limits.maxConnectionsPerIp) return 'per-IP limit'
    }
    return undefined
  }

  private register (connection: Connection): void {
    if (this.status !== 'started' && this.status !== 'idle') {
      connection.abort(new P2PError('ERR_SWITCH_STOPPED', 'the switch is stopping'))
      return
    }
    const key = connection.remotePeer.toString()
    let set = this.connections.get(key)
    if (set === undefined) {
      set = new Set()
      this.connections.set(key, set)
    }
    if (set.size >= this.limits.maxConnectionsPerPeer) {
      connection.abort(new P2PError('ERR_CONNECTION_LIMIT', `already ${set.size} connections to ${key}`))
      return
    }
    set.add(connection)
    const first = set.size === 1
    connection.once('close', () => {
      set.delete(connection)
      this.emit('connection:close', connection)
      if (set.size === 0) {
        this.connections.delete(key)
        this.emit('peer:disconnect', connection.remotePeer)
      }
    })
    this.emit('connection:open', connection)
    if (first) this.emit('peer:connect', connection.remotePeer)
  }

  private onInboundStream (stream: MuxedStream, connection: Connection): void {
    handleProtocols(stream, this.registry.protocols, { timeoutMs: DEFAULT_STREAM_NEGOTIATION_TIMEOUT_MS })
      .then(protocol => {
        const entry = this.registry.get(protocol)
        if (entry === undefined) {
          stream.destroy()
          return
        }
        let counts = this.inboundStreamCounts.get(connection)
        if (counts === undefined) {
          counts = new Map()
          this.inboundStreamCounts.set(connection, counts)
        }
        const active = counts.get(protocol) ?? 0
        if (active >= entry.maxInboundStreams) {
          this.metrics.refusedStreams++
          stream.destroy()
          return
        }
        counts.set(protocol, active + 1)
        stream.once('close', () => { counts.set(protocol, (counts.get(protocol) ?? 1) - 1) })
        stream.protocol = protocol
        Promise.resolve()
          .then(async () => { await entry.handler(stream as ProtocolStream, connection) })
          .catch(() => { stream.destroy() })
      })
      .catch((err: unknown) => {
        // a remote that proposed, heard `na` and left is no violation: close gracefully
        if (isP2PError(err, 'ERR_UNEXPECTED_EOF')) stream.end()
        else stream.destroy()
      })
  }
}

function isLoopback (ip: string): boolean {
  return ip.startsWith('127.') || ip === '::1' || ip.startsWith('::ffff:127.')
}

/** Closes gracefully, and resets whatever is still open after `ms`. */
async function closeWithin (connection: Connection, ms: number): Promise<void> {
  const closed = new Promise<void>(resolve => {
    if (connection.status === 'closed') resolve()
    else connection.once('close', () => { resolve() })
  })
  const timer = setTimeout(() => { connection.abort(new P2PError('ERR_CLOSE_TIMEOUT', `graceful close took over ${ms} ms`)) }, ms)
  connection.close().catch(() => { connection.abort(new P2PError('ERR_CLOSE_TIMEOUT', 'graceful close failed')) })
  await closed
  clearTimeout(timer)
}
