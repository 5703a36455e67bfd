// A libp2p node: the switch, a peer store, and the protocols a node serves
// (identify, identify push, ping, echo, and perf when asked for). This is
// what `p2p listen` runs and what the library's users create.

import { EventEmitter } from 'node:events'
import type { PrivateKey, PeerId } from '../peer/index.js'
import { generateKeyPair } from '../peer/index.js'
import type { Multiaddr } from '../multiaddr/index.js'
import type { StreamMuxerFactory } from '../muxer/types.js'
import { Switch } from '../switch/index.js'
import type { ResourceLimits } from '../resources/index.js'
import type { DialTarget, HandlerOptions, StreamHandler } from '../switch/index.js'
import type { Connection, NewStreamOptions, ProtocolStream, UpgradeTrace } from '../upgrader/index.js'
import { MemoryPeerStore } from '../peerstore/index.js'
import type { PeerStore } from '../peerstore/index.js'
import { ECHO_PROTOCOL, handleEcho, PERF_PROTOCOL, handlePerf } from '../protocols/index.js'
import type { IdentifyResult } from '../protocols/index.js'
import { IdentifyService } from './identify-service.js'
import { PingService, type PingRequest } from './ping-service.js'
import { ConnectionMonitor, type ConnectionMonitorInit } from './connection-monitor.js'
import { debugTracer } from '../trace/index.js'
import { IMPLEMENTATION_NAME, VERSION } from '../version.js'

export const AGENT_VERSION = `${IMPLEMENTATION_NAME}/${VERSION} node/${process.versions.node}`

export interface NodeInit {
  /** Default: a new Ed25519 key. */
  privateKey?: PrivateKey
  /** Default: none (a dial-only node). */
  listenAddrs?: Array<Multiaddr | string>
  muxers?: StreamMuxerFactory[]
  peerStore?: PeerStore
  agentVersion?: string
  /** Every connection, stream, memory and timeout limit (src/resources/limits.ts has the defaults and reasons). */
  limits?: Partial<ResourceLimits>
  upgradeTimeoutMs?: number
  /** Serve /perf/1.0.0 (the perf spec: "SHOULD NOT be enabled by default"). */
  perf?: boolean
  /** Serve /echo/1.0.0. */
  echo?: boolean
  /** Run identify on every new connection (default true). */
  identifyOnConnect?: boolean
  /** How long an Identify answer, or a push sent to us, may take (default 5 s, js-libp2p's). */
  identifyTimeoutMs?: number
  trace?: UpgradeTrace
  /**
   * Ping every connection on an interval, keep its round trip as
   * `connection.rtt`, and abort it when the peer fails to answer
   * (./connection-monitor.ts). Off by default: yamux, the default muxer,
   * detects a dead peer by its own keepalive. `true` for the defaults
   * (10 s interval and time limit, abort on failure).
   */
  connectionMonitor?: boolean | ConnectionMonitorInit
}

export class Libp2pNode extends EventEmitter {
  readonly peerId: PeerId
  readonly switch: Switch
  readonly peerStore: PeerStore
  readonly identifyService: IdentifyService
  readonly pingService: PingService
  /** Undefined unless NodeInit.connectionMonitor asked for one. */
  readonly connectionMonitor: ConnectionMonitor | undefined

  constructor (init: NodeInit = {}) {
    super()
    const privateKey = init.privateKey ?? generateKeyPair('Ed25519')
    this.peerStore = init.peerStore ?? new MemoryPeerStore()
    this.switch = new Switch({
      privateKey,
      listenAddrs: init.listenAddrs,
      muxers: init.muxers,
      limits: init.limits,
      upgradeTimeoutMs: init.upgradeTimeoutMs,
      // DEBUG=p2p:* traces every connection to stderr (src/trace/debug-tracer.ts)
      trace: init.trace ?? debugTracer(),
      peerAddresses: peer => this.peerStore.get(peer)?.addresses.map(a => a.multiaddr) ?? []
    })
    this.peerId = this.switch.peerId
    this.identifyService = new IdentifyService({
      switch: this.switch,
      peerStore: this.peerStore,
      privateKey,
      agentVersion: init.agentVersion ?? AGENT_VERSION,
      runOnConnect: init.identifyOnConnect,
      timeoutMs: init.identifyTimeoutMs
    })
    this.pingService = new PingService(this.switch)
    const monitor = init.connectionMonitor ?? false
    this.connectionMonitor = monitor === false
      ? undefined
      : new ConnectionMonitor(this.switch, this.pingService, {
        ...(monitor === true ? {} : monitor),
        onFailure: (connection, error) => { this.emit('connection:ping-failure', { connection, error }) }
      })
    if (init.echo === true) this.switch.handle(ECHO_PROTOCOL, async stream => { await handleEcho(stream) })
    if (init.perf === true) this.switch.handle(PERF_PROTOCOL, async stream => { await handlePerf(stream) })
    for (const event of ['peer:connect', 'peer:disconnect', 'connection:open', 'connection:close']) {
      this.switch.on(event, (arg: unknown) => this.emit(event, arg))
    }
    this.identifyService.on('identify', (event: unknown) => this.emit('peer:identify', event))
  }

  async start (): Promise<void> {
    await this.switch.start()
    this.connectionMonitor?.start()
  }

  async stop (): Promise<void> {
    this.connectionMonitor?.stop()
    await this.switch.stop()
    this.peerStore.close()
  }

  get multiaddrs (): Multiaddr[] {
    return this.switch.multiaddrs
  }

  /** Listens on `addr` as well (once started); connected peers get an identify push with our new addresses. */
  async listen (addr: Multiaddr | string): Promise<Multiaddr[]> {
    return await this.switch.listen(addr)
  }

  /** Stops listening on `addr` (its connections stay open); connected peers get an identify push. False: not listening there. */
  async unlisten (addr: Multiaddr | string): Promise<boolean> {
    return await this.switch.unlisten(addr)
  }

  async dial (target: DialTarget, options?: { signal?: AbortSignal }): Promise<Connection> {
    return await this.switch.dial(target, options)
  }

  async newStream (target: DialTarget, protocols: string | string[], options?: NewStreamOptions): Promise<ProtocolStream> {
    return await this.switch.newStream(target, protocols, options)
  }

  handle (protocol: string, handler: StreamHandler, options?: HandlerOptions): void {
    this.switch.handle(protocol, handler, options)
  }

  unhandle (protocol: string): void {
    this.switch.unhandle(protocol)
  }

  /** The protocol IDs this node serves (those identify announces). */
  getProtocols (): string[] {
    return this.switch.protocols
  }

  /** Open connections: all of them, or those to `peer`. */
  getConnections (peer?: PeerId): Connection[] {
    return this.switch.getConnections(peer)
  }

  /** The peers this node has an open connection with, each once. */
  getPeers (): PeerId[] {
    const peers = new Map<string, PeerId>()
    for (const connection of this.switch.getConnections()) peers.set(connection.remotePeer.toString(), connection.remotePeer)
    return [...peers.values()]
  }

  /** Closes every connection to `peer` (gracefully, then by reset after a short grace). */
  async hangUp (peer: PeerId): Promise<void> {
    await this.switch.hangUp(peer)
  }

  /**
   * Pings the target `count` times over one stream; returns each RTT in ms.
   * One ping stream per peer at a time (ping.md): a second ping waits for the first.
   */
  async ping (target: DialTarget, options: PingRequest = {}): Promise<number[]> {
    return await this.pingService.ping(target, options)
  }

  /** Runs identify on the connection to the target (dialling if needed). */
  async identify (target: DialTarget, options: { signal?: AbortSignal } = {}): Promise<IdentifyResult> {
    const connection = await this.dial(target, options)
    return await this.identifyService.identify(connection, options)
  }
}
