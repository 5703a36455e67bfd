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
// - Limits live in one ResourceManager (src/resources) and refuse work at
//   the cheapest point: an inbound socket over a limit is closed before the
//   Noise handshake, an inbound stream over its peer's limit is reset before
//   negotiation, one over its protocol's limit right after it; the muxers get
//   the per-connection limits (streams, buffered bytes) through the upgrader,
//   and each connection a memory account (buffered bytes per connection and
//   in total) and a gate that counts every outbound stream against its peer.
// - A connection with no open stream for connectionIdleTimeoutMs is closed.

import { EventEmitter } from 'node:events'
import type net from 'node:net'
import { PeerId } from '../peer/index.js'
import type { PrivateKey } from '../peer/index.js'
import { Multiaddr, CODE_P2P } from '../multiaddr/index.js'
import type { MuxedStream, StreamMuxerFactory } from '../muxer/types.js'
import { yamux } from '../yamux/index.js'
import { mplex } from '../mplex/index.js'
import { handleProtocolsNow } from '../multistream/index.js'
import type { Taken } from '../util/stream-reader.js'
import { dialTcp, isTcpAddr, socketMultiaddr, TcpListener } from '../tcp/index.js'
import { Upgrader, releaseOnClose } from '../upgrader/index.js'
import type { Connection, NewStreamOptions, ProtocolStream, UpgradeTrace } from '../upgrader/index.js'
import { P2PError, isP2PError } from '../util/errors.js'
import { emitFromIo } from '../util/emit-from-io.js'
import { DialQueue } from './dial-queue.js'
import { ProtocolRegistry } from './registry.js'
import type { HandlerOptions, StreamHandler } from './registry.js'
import { DEFAULT_RESOURCE_LIMITS, ResourceManager, muxerOptionsFor } from '../resources/index.js'
import type { Reservation, ResourceLimits, ResourceMetrics } from '../resources/index.js'

/** How long stop() and hangUp() let streams finish before resetting them. */
export const HANG_UP_GRACE_MS = 2_000

/** A stream must agree on its protocol within this time or it is reset. */
export const DEFAULT_STREAM_NEGOTIATION_TIMEOUT_MS = DEFAULT_RESOURCE_LIMITS.streamNegotiationTimeoutMs

export interface SwitchInit {
  privateKey: PrivateKey
  listenAddrs?: Array<Multiaddr | string>
  /** In order of preference. Default: yamux, then mplex. */
  muxers?: StreamMuxerFactory[]
  /** Overrides of the resource manager's limits (src/resources/limits.ts). */
  limits?: Partial<ResourceLimits>
  /** Shorthand for limits.dialTimeoutMs. */
  dialTimeoutMs?: number
  /** Shorthand for limits.upgradeTimeoutMs. */
  upgradeTimeoutMs?: number
  /** Where dial(peerId) finds addresses (the node wires the peer store in). */
  peerAddresses?: (peer: PeerId) => Multiaddr[]
  trace?: UpgradeTrace
}

export type DialTarget = PeerId | Multiaddr | string

/** The resource manager's counters (refusals by limit, failed upgrades). */
export type SwitchMetrics = ResourceMetrics

/**
 * Events: 'connection:open' (Connection), 'connection:close' (Connection),
 * 'peer:connect' (PeerId), 'peer:disconnect' (PeerId),
 * 'protocols:change' (string[]), 'addresses:change' (Multiaddr[]: listen()/unlisten()),
 * 'upgrade:error' (Error),
 * 'connection:refused' (P2PError ERR_RESOURCE_LIMIT_EXCEEDED: a limit closed it before or right after its handshake).
 */
export class Switch extends EventEmitter {
  readonly peerId: PeerId
  /** Every limit and counter of this switch. */
  readonly resources: ResourceManager
  private readonly registry = new ProtocolRegistry()
  private readonly upgrader: Upgrader
  private readonly dialQueue: DialQueue
  private readonly connections = new Map<string, Set<Connection>>()
  private readonly tcpListeners: TcpListener[] = []
  private readonly pendingSockets = new Set<net.Socket>()
  private idleTimer: NodeJS.Timeout | undefined
  /** When each connection last had an open stream (for the idle timeout). */
  private readonly lastActive = new WeakMap<Connection, number>()
  private status: 'idle' | 'started' | 'stopping' | 'stopped' = 'idle'
  /** The start in progress or done; undefined before it, and again after a start that failed. */
  private starting: Promise<void> | undefined
  /** The first stop(), which every later one waits for. */
  private stopped: Promise<void> | undefined
  /** /p2p/<our peer ID>, parsed once (for `multiaddrs`). */
  private readonly p2pComponent: Multiaddr

  constructor (private readonly init: SwitchInit) {
    super()
    this.peerId = PeerId.fromPublicKey(init.privateKey.publicKey)
    this.p2pComponent = Multiaddr.fromString(`/p2p/${this.peerId.toString()}`)
    this.resources = new ResourceManager({
      limits: { dialTimeoutMs: init.dialTimeoutMs, upgradeTimeoutMs: init.upgradeTimeoutMs, ...init.limits }
    })
    const limits = this.resources.limits
    this.dialQueue = new DialQueue(limits.maxParallelDialsPerPeer)
    this.upgrader = new Upgrader({
      privateKey: init.privateKey,
      muxers: init.muxers ?? [yamux, mplex],
      timeoutMs: limits.upgradeTimeoutMs,
      socketCloseTimeoutMs: limits.socketCloseTimeoutMs,
      muxerOptions: muxerOptionsFor(limits),
      connectionMemory: () => this.resources.openConnectionMemory(),
      reserveOutboundStream: connection => {
        const reservation = this.resources.reserveOutboundStream(connection.remotePeer.toString())
        if (!reservation.ok) throw reservation.error
        return this.activeWhileOpen(connection, reservation)
      },
      trace: init.trace,
      onStream: (stream, connection) => { this.onInboundStream(stream, connection) }
    })
  }

  /**
   * Starts listening on the configured addresses. A switch runs once: after
   * stop() it cannot start again (ERR_SWITCH_STOPPED; make a new one). When
   * an address cannot be bound, the ones bound before it are closed again.
   */
  async start (): Promise<void> {
    if (this.isStopping()) throw new P2PError('ERR_SWITCH_STOPPED', 'a stopped switch does not start again: create a new one')
    // a second start() while the first binds waits for it (and shares its failure)
    this.starting ??= this.bindAll().finally(() => { if (this.status !== 'started') this.starting = undefined })
    await this.starting
  }

  /** The start itself: binds every configured address, or none. */
  private async bindAll (): Promise<void> {
    this.status = 'started'
    try {
      for (const addr of this.init.listenAddrs ?? []) {
        await this.bind(addr)
        // stop() came while we bound: it closed the listeners it found then, not this one
        if (this.isStopping()) throw new P2PError('ERR_SWITCH_STOPPED', 'the switch stopped while it was starting')
      }
    } catch (err) {
      const bound = this.tcpListeners.splice(0)
      await Promise.all(bound.map(async l => { await l.close() }))
      // (unless stop() came meanwhile: a stopped switch stays stopped)
      if (this.status === 'started') this.status = 'idle'
      throw err
    }
  }

  /**
   * Listens on `addr` as well, once started; resolves with the addresses
   * bound (a port 0 chosen, an unspecified host expanded). Emits
   * 'addresses:change', on which identify pushes our new addresses to every
   * connected peer (identify/README.md, identify/push).
   */
  async listen (addr: Multiaddr | string): Promise<Multiaddr[]> {
    if (this.status !== 'started') {
      throw new P2PError('ERR_SWITCH_NOT_STARTED', `cannot listen on ${addr.toString()}: the switch is ${this.status === 'idle' ? 'not started' : 'stopped'}`)
    }
    const listener = await this.bind(addr)
    if (this.status !== 'started') {
      // stop() ran while we bound, and closed the listeners it found then
      this.tcpListeners.splice(this.tcpListeners.indexOf(listener), 1)
      await listener.close()
      throw new P2PError('ERR_SWITCH_STOPPED', `stopped while listening on ${addr.toString()}`)
    }
    this.emit('addresses:change', this.listenAddrs)
    return listener.multiaddrs()
  }

  /**
   * Stops listening on the listener that bound `addr` (one of `listenAddrs`,
   * with or without our /p2p suffix); the connections it accepted stay open.
   * Emits 'addresses:change'. False when no listener has that address.
   */
  async unlisten (addr: Multiaddr | string): Promise<boolean> {
    const wanted = (typeof addr === 'string' ? Multiaddr.fromString(addr) : addr).decapsulateCode(CODE_P2P).toString()
    const index = this.tcpListeners.findIndex(l => l.multiaddrs().some(a => a.toString() === wanted))
    if (index < 0) return false
    const [listener] = this.tcpListeners.splice(index, 1)
    await listener.close()
    this.emit('addresses:change', this.listenAddrs)
    return true
  }

  private async bind (addr: Multiaddr | string): Promise<TcpListener> {
    const ma = typeof addr === 'string' ? Multiaddr.fromString(addr) : addr
    const listener = await TcpListener.listen(ma, { onConnection: socket => { this.onInboundSocket(socket) } })
    this.tcpListeners.push(listener)
    return listener
  }

  /** Counters: refusals by limit, failed upgrades. */
  get metrics (): SwitchMetrics {
    return this.resources.metrics
  }

  /**
   * Stops listening, ends the dials in flight (they reject with
   * ERR_SWITCH_STOPPED) and closes every connection; leaves no sockets or timers.
   */
  async stop (): Promise<void> {
    // a second call waits for the first to finish, rather than returning
    // while its sockets and timers are still open
    this.stopped ??= this.stopNow()
    await this.stopped
  }

  private async stopNow (): Promise<void> {
    this.status = 'stopping'
    this.resources.refuseAll()
    clearInterval(this.idleTimer)
    this.dialQueue.abortAll(new P2PError('ERR_SWITCH_STOPPED', 'the switch stopped while dialling'))
    // a start still binding sees the stop after its bind and closes what it bound
    await this.starting?.catch(() => {})
    await Promise.all(this.tcpListeners.map(async l => { await l.close() }))
    for (const socket of this.pendingSockets) socket.destroy()
    await this.dialQueue.settled()
    await Promise.all(this.getConnections().map(async connection => { await closeWithin(connection, HANG_UP_GRACE_MS) }))
    this.status = 'stopped'
  }

  /** stop() has been called (the status may have changed under an await). */
  private isStopping (): boolean {
    return this.status === 'stopping' || this.status === 'stopped'
  }

  /** Our dialable addresses, each ending in /p2p/<our peer ID>. */
  get multiaddrs (): Multiaddr[] {
    return this.listenAddrs.map(a => a.encapsulate(this.p2pComponent))
  }

  /** Our dialable addresses without the /p2p part (what identify announces). */
  get listenAddrs (): Multiaddr[] {
    return this.tcpListeners.flatMap(l => l.multiaddrs())
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
    const peerKey = peer?.toString()
    const keys = [...(peerKey === undefined ? [] : [peerKey]), ...addrs.map(a => a.toString())]
    let connection: Connection
    try {
      connection = await this.dialQueue.dial({ peer: peerKey, keys }, addrs, async (addr, signal) => {
        return await this.dialAddress(addr, peer, signal)
      }, options.signal)
    } catch (err) {
      // the peer connected to us meanwhile (and our own connection was
      // refused over maxConnectionsPerPeer, or failed): that one serves
      const gaveUp = this.isStopping() || options.signal?.aborted === true
      const open = peer === undefined || gaveUp ? undefined : this.openConnection(peer)
      if (open !== undefined) return open
      throw err
    }
    // we may have joined a dial by bare address that reached someone else
    if (peer !== undefined && !connection.remotePeer.equals(peer)) {
      throw new P2PError('ERR_UNEXPECTED_PEER', `dialled ${peer.toString()} but ${addrs.map(a => a.toString()).join(', ')} is ${connection.remotePeer.toString()}`, { remote: true })
    }
    // A dial of ours that did not wait for this one (a bare address of the
    // peer, dialled just before) reached the peer first: one connection per
    // peer, so the older one serves and this one goes. (One from the peer is
    // left alone: both sides of a simultaneous dial keep theirs.)
    const older = this.olderOutbound(connection)
    if (older !== undefined) {
      connection.abort(new P2PError('ERR_ABORTED', 'another dial of ours reached this peer first'))
      return older
    }
    return connection
  }

  /** An open outbound connection to the same peer registered before `connection`, if any. */
  private olderOutbound (connection: Connection): Connection | undefined {
    for (const other of this.connections.get(connection.remotePeer.toString()) ?? []) {
      if (other === connection) return undefined
      if (other.direction === 'outbound' && other.status === 'open') return other
    }
    return undefined
  }

  /** Opens a stream to the target (dialling it if needed) and agrees on a protocol. */
  async newStream (target: DialTarget, protocols: string | string[], options: NewStreamOptions = {}): Promise<ProtocolStream> {
    const connection = await this.dial(target, { signal: options.signal })
    // the connection counts the stream against maxOutboundStreamsPerPeer (reserveOutboundStream above)
    return await connection.newStream(protocols, options)
  }

  /**
   * Closes every connection to `peer`: gracefully, then by reset after
   * HANG_UP_GRACE_MS (js-libp2p's yamux answers GoAway by dropping its
   * streams without FIN or RST, so waiting for them could take the muxer's
   * whole close timeout).
   */
  async hangUp (peer: PeerId): Promise<void> {
    await Promise.all(this.getConnections(peer).map(async c => { await closeWithin(c, HANG_UP_GRACE_MS) }))
  }

  private resolveTarget (target: DialTarget): { peer?: PeerId, addrs: Multiaddr[] } {
    if (target instanceof PeerId) {
      // what identify learnt may name other transports (/ws, /p2p-circuit,
      // /quic-v1) or another peer: only this peer's TCP addresses are ours to dial
      const addrs: Multiaddr[] = []
      for (const known of this.init.peerAddresses?.(target) ?? []) {
        const dialable = tcpDialable(known)
        if (dialable !== undefined && (dialable.peer === undefined || dialable.peer === target.toString())) addrs.push(dialable.addr)
      }
      if (addrs.length === 0 && this.openConnection(target) === undefined) {
        throw new P2PError('ERR_NO_VALID_ADDRESSES', `no known TCP addresses for ${target.toString()}`)
      }
      return { peer: target, addrs }
    }
    const addr = typeof target === 'string' ? Multiaddr.fromString(target) : target
    const dialable = tcpDialable(addr)
    if (dialable === undefined) {
      throw new P2PError('ERR_TRANSPORT_UNSUPPORTED_ADDR', `no transport can dial ${addr.toString()} (TCP only: [/ip6zone/ZONE]/ip4|ip6|dns|dns4|dns6/HOST/tcp/PORT[/p2p/ID])`)
    }
    return { peer: dialable.peer === undefined ? undefined : PeerId.parse(dialable.peer), addrs: [dialable.addr] }
  }

  /**
   * An open connection to `peer`, for a dial to hand out. Handing it out
   * counts as activity: the caller is about to use it, and the idle check
   * must not close it under them (it might be due at the next check).
   */
  private openConnection (peer: PeerId): Connection | undefined {
    for (const connection of this.connections.get(peer.toString()) ?? []) {
      if (connection.status === 'open') {
        this.lastActive.set(connection, Date.now())
        return connection
      }
    }
    return undefined
  }

  private async dialAddress (addr: Multiaddr, peer: PeerId | undefined, signal?: AbortSignal): Promise<Connection> {
    const pending = this.resources.reserveOutboundDial()
    if (!pending.ok) throw pending.error
    let connection: Connection
    try {
      const socket = await dialTcp(addr, { signal, timeoutMs: this.resources.limits.dialTimeoutMs })
      try {
        connection = await this.upgrader.upgradeOutbound(socket, {
          // a name was resolved by dialTcp: the remote end is the IP it
          // reached, as identify must report it ("observedAddr": the
          // connection's address as observed, /ip4/x.x.x.x/tcp/xx)
          remoteAddr: isDnsAddr(addr) ? socketMultiaddr(socket, 'remote') ?? addr : addr,
          localAddr: socketMultiaddr(socket, 'local'),
          remotePeer: peer,
          signal
        })
      } catch (err) {
        // abandoned (every caller gave up, or stop()) is not failed
        if (signal?.aborted !== true && !this.isStopping()) this.metrics.failedUpgrades++
        throw err
      }
    } finally {
      pending.release()
    }
    // an address of our own (a bootstrap list, an address a peer told us):
    // go-libp2p's ErrDialToSelf, rust-libp2p's LocalPeerId
    if (connection.remotePeer.equals(this.peerId)) {
      const err = new P2PError('ERR_DIALED_SELF', `${addr.toString()} is an address of our own`)
      connection.abort(err)
      throw err
    }
    // a dial by address alone may reach a peer we are already connected to
    const existing = this.openConnection(connection.remotePeer)
    if (peer === undefined && existing !== undefined) {
      connection.abort(new P2PError('ERR_ABORTED', 'already connected to this peer'))
      return existing
    }
    const refused = this.register(connection)
    // refused (over the limit of connections per peer, say, when the dial
    // crossed one from the peer): never hand out the closed connection; a
    // dial of the peer then takes the one open (dial above)
    if (refused !== undefined) throw refused
    return connection
  }

  private onInboundSocket (socket: net.Socket): void {
    const remoteAddr = socketMultiaddr(socket, 'remote')
    if (remoteAddr === undefined || this.status !== 'started') {
      socket.destroy()
      return
    }
    // the cheapest point: before a single byte of the handshake
    const pending = this.resources.reserveInboundUpgrade(socket.remoteAddress ?? '')
    if (!pending.ok) {
      socket.destroy()
      emitFromIo(this, 'connection:refused', pending.error)
      return
    }
    this.pendingSockets.add(socket)
    this.upgrader.upgradeInbound(socket, { remoteAddr, localAddr: socketMultiaddr(socket, 'local') })
      .then(connection => {
        pending.release()
        if (connection.remotePeer.equals(this.peerId)) {
          // the other end of a dial of our own address: that dial fails with ERR_DIALED_SELF
          connection.abort(new P2PError('ERR_DIALED_SELF', 'a connection from ourselves'))
          return
        }
        this.register(connection)
      })
      .catch((err: Error) => {
        // a socket stop() destroyed mid-handshake was abandoned, not failed
        if (!this.isStopping()) this.metrics.failedUpgrades++
        emitFromIo(this, 'upgrade:error', err)
      })
      .finally(() => {
        pending.release()
        this.pendingSockets.delete(socket)
      })
  }

  /** Admits `connection`, or closes it and returns why not. */
  private register (connection: Connection): P2PError | undefined {
    if (this.status !== 'started' && this.status !== 'idle') {
      const err = new P2PError('ERR_SWITCH_STOPPED', 'the switch is stopping')
      connection.abort(err)
      return err
    }
    const key = connection.remotePeer.toString()
    let set = this.connections.get(key)
    if (set === undefined) {
      set = new Set()
      this.connections.set(key, set)
    }
    const admitted = this.resources.admitConnection(key, connection.direction, remoteIp(connection))
    if (!admitted.ok) {
      if (set.size === 0) this.connections.delete(key)
      connection.abort(admitted.error)
      emitFromIo(this, 'connection:refused', admitted.error)
      return admitted.error
    }
    set.add(connection)
    this.lastActive.set(connection, Date.now())
    // with the first connection, not at start(): a switch that only dials is never started
    this.startIdleTimer()
    const first = set.size === 1
    // 'close' comes once; on() spares once()'s wrapper (~150 bytes per idle connection)
    connection.on('close', () => {
      admitted.release()
      set.delete(connection)
      emitFromIo(this, 'connection:close', connection)
      if (set.size === 0) {
        this.connections.delete(key)
        emitFromIo(this, 'peer:disconnect', connection.remotePeer)
      }
    })
    emitFromIo(this, 'connection:open', connection)
    if (first) emitFromIo(this, 'peer:connect', connection.remotePeer)
    return undefined
  }

  /**
   * Closes connections that had no open stream for connectionIdleTimeoutMs.
   * One unref'd interval for the whole switch, checking at a tenth of the
   * timeout; started once, cleared by stop().
   */
  private startIdleTimer (): void {
    const idleMs = this.resources.limits.connectionIdleTimeoutMs
    if (idleMs === 0 || this.idleTimer !== undefined) return
    this.idleTimer = setInterval(() => { this.closeIdle(idleMs) }, Math.max(10, Math.floor(idleMs / 10)))
    this.idleTimer.unref()
  }

  /**
   * A stream's reservation that also marks `connection` active when the
   * stream opens and when it closes, so that streams opened and closed
   * between two idle checks count as activity too.
   */
  private activeWhileOpen (connection: Connection, reservation: Reservation): Reservation {
    this.lastActive.set(connection, Date.now())
    return {
      ok: true,
      release: () => {
        reservation.release()
        this.lastActive.set(connection, Date.now())
      }
    }
  }

  private closeIdle (idleMs: number): void {
    const now = Date.now()
    for (const connection of this.getConnections()) {
      if (connection.streams.length > 0) {
        this.lastActive.set(connection, now)
      } else if (connection.status === 'open' && now - (this.lastActive.get(connection) ?? now) >= idleMs) {
        closeWithin(connection, HANG_UP_GRACE_MS).catch(() => {})
      }
    }
  }

  private onInboundStream (stream: MuxedStream, connection: Connection): void {
    // over the peer's limit: reset at once (a yamux RST, an mplex Reset), before any negotiation
    const perPeer = this.resources.reserveInboundStream(connection.remotePeer.toString())
    if (!perPeer.ok) {
      stream.destroy()
      return
    }
    releaseOnClose(stream, this.activeWhileOpen(connection, perPeer))
    const limits = this.resources.limits
    // the dialer's header and proposal usually came with the stream: then
    // the protocol is agreed at once, with no promise (handleProtocolsNow)
    let negotiated: Taken<string>
    try {
      negotiated = handleProtocolsNow(stream, this.registry, { timeoutMs: limits.streamNegotiationTimeoutMs })
    } catch (err) {
      negotiationFailed(stream, err)
      return
    }
    if (typeof negotiated === 'string') this.serveInbound(stream, connection, negotiated)
    else negotiated.then(protocol => { this.serveInbound(stream, connection, protocol) }, (err: unknown) => { negotiationFailed(stream, err) })
  }

  /** Hands a stream whose protocol was agreed to that protocol's handler, within its limit. */
  private serveInbound (stream: MuxedStream, connection: Connection, protocol: string): void {
    const entry = this.registry.get(protocol)
    if (entry === undefined) {
      stream.destroy()
      return
    }
    const scope = entry.limitPerPeer ? `peer ${connection.remotePeer.toString()}` : `connection ${connection.id}`
    const perProtocol = this.resources.reserveProtocolStream(scope, protocol, entry.maxInboundStreams)
    if (!perProtocol.ok) {
      stream.destroy()
      return
    }
    releaseOnClose(stream, perProtocol)
    stream.protocol = protocol
    // in a microtask of its own, so that a handler that throws at once is caught the same way
    Promise.resolve()
      .then(() => entry.handler(stream as ProtocolStream, connection))
      .catch(() => { stream.destroy() })
  }
}

/** A failed inbound negotiation: a remote that proposed, heard `na` and left is no violation, and is closed gracefully. */
function negotiationFailed (stream: MuxedStream, err: unknown): void {
  if (isP2PError(err, 'ERR_UNEXPECTED_EOF')) stream.end()
  else stream.destroy()
}

/** The remote IP of a TCP connection ('' when its address names none). */
function remoteIp (connection: Connection): string {
  try {
    return connection.remoteAddr.toSocketAddress().host
  } catch {
    return ''
  }
}

/** Closes gracefully, and resets whatever is still open after `ms`. */
async function closeWithin (connection: Connection, ms: number): Promise<void> {
  const closed = new Promise<void>(resolve => {
    if (connection.status === 'closed') resolve()
    else connection.once('close', () => { resolve() })
  })
  const timer = setTimeout(() => { connection.abort(new P2PError('ERR_CLOSE_TIMEOUT', `graceful close took over ${ms} ms`)) }, ms)
  const closing = connection.close().catch(() => { connection.abort(new P2PError('ERR_CLOSE_TIMEOUT', 'graceful close failed')) })
  await closed
  clearTimeout(timer)
  // and its socket: close() resolves once the transport has closed too, at
  // most socketCloseTimeoutMs after the session
  await closing
}

/**
 * A TCP address, or one followed by the peer's ID (/ip4/…/tcp/N[/p2p/ID],
 * /ip6zone/…/ip6/…/tcp/N[/p2p/ID]):
 * the part to dial and the peer named. Anything else (a /ws after the port,
 * a relay's /p2p-circuit) is another transport: undefined.
 */
function tcpDialable (addr: Multiaddr): { addr: Multiaddr, peer?: string } | undefined {
  const last = addr.components().at(-1)
  if (last?.code === CODE_P2P) {
    const transport = addr.decapsulateCode(CODE_P2P)
    return isTcpAddr(transport) ? { addr: transport, peer: last.value } : undefined
  }
  return isTcpAddr(addr) ? { addr } : undefined
}

/** True for /dns, /dns4 and /dns6 addresses (names the dial resolves). */
function isDnsAddr (addr: Multiaddr): boolean {
  return addr.components()[0]?.name.startsWith('dns') === true
}
