// A TCP listener on a multiaddr (libp2p/specs connections/README.md).
//
// Listening on port 0 lets the kernel pick a free port; `multiaddrs()` reports
// the real one. Listening on an unspecified address (0.0.0.0 or ::) reports
// one multiaddr per local interface of that family, since the unspecified
// address is not something a peer can dial.

import net from 'node:net'
import os from 'node:os'
import { Multiaddr } from '../multiaddr/index.js'
import { P2PError } from '../util/errors.js'
import { guardSocketErrors, resolveTarget, TCP_KEEPALIVE_DELAY_MS } from './transport.js'
import { SHARED_READS_ENABLED, useSharedReads } from './shared-reads.js'

export interface TcpListenerOptions {
  /** Called for every accepted socket (TCP_NODELAY and keepalive already set). */
  onConnection: (socket: net.Socket) => void
  /** Kernel accept backlog. */
  backlog?: number
}

export class TcpListener {
  private readonly sockets = new Set<net.Socket>()
  /** multiaddrs() of a listener bound to one address, made once (a Multiaddr is immutable). */
  private boundMultiaddrs: Multiaddr[] | undefined

  /**
   * @param zone `%zone` when listening on /ip6zone/.../ip6/...: Node names the
   *   zone of a bound link-local address itself, but not of any other
   */
  private constructor (private readonly server: net.Server, private readonly family: 4 | 6, private readonly zone: string) {}

  static async listen (addr: Multiaddr, options: TcpListenerOptions): Promise<TcpListener> {
    // a name is listened on at its first address only: a listener is one socket
    const target = await resolveTarget(addr)
    const { host, family } = target.hosts[0]
    const server = net.createServer({ noDelay: true, keepAlive: true, keepAliveInitialDelay: TCP_KEEPALIVE_DELAY_MS, allowHalfOpen: true })
    const zoneAt = host.indexOf('%')
    const listener = new TcpListener(server, family, zoneAt === -1 ? '' : host.slice(zoneAt))
    server.on('connection', socket => {
      socket.setNoDelay(true)
      if (SHARED_READS_ENABLED) useSharedReads(socket)
      guardSocketErrors(socket)
      listener.sockets.add(socket)
      // 'close' comes once; on() spares once()'s wrapper (~150 bytes per idle connection)
      socket.on('close', () => listener.sockets.delete(socket))
      options.onConnection(socket)
    })
    await new Promise<void>((resolve, reject) => {
      server.once('error', err => {
        reject(new P2PError('ERR_LISTEN_FAILED', `cannot listen on ${addr.toString()}: ${err.message}`, { cause: err }))
      })
      server.listen({ host, port: target.port, backlog: options.backlog ?? 511, ipv6Only: family === 6 }, resolve)
    })
    // after listening, an error is a runtime failure of the server; keep the process alive
    server.removeAllListeners('error')
    server.on('error', () => {})
    return listener
  }

  /** The addresses peers can dial, with the real port. */
  multiaddrs (): Multiaddr[] {
    if (this.boundMultiaddrs !== undefined) return [...this.boundMultiaddrs]
    const address = this.server.address()
    if (address === null || typeof address === 'string') return []
    const unspecified = address.address === '0.0.0.0' || address.address === '::'
    const hosts = unspecified ? interfaceAddresses(this.family) : [address.address.includes('%') ? address.address : `${address.address}${this.zone}`]
    const addrs = hosts.map(host => Multiaddr.fromSocketAddress({ family: this.family, host, port: address.port, transport: 'tcp' }))
    // one address never changes while we listen; the machine's interfaces behind 0.0.0.0 or :: may
    if (!unspecified) this.boundMultiaddrs = addrs
    return [...addrs]
  }

  /** Number of accepted sockets still open. */
  get connectionCount (): number {
    return this.sockets.size
  }

  /** Stops accepting; with `closeConnections`, also destroys every accepted socket. */
  async close (options: { closeConnections?: boolean } = {}): Promise<void> {
    this.boundMultiaddrs = undefined
    if (options.closeConnections === true) {
      for (const socket of this.sockets) socket.destroy()
    }
    if (!this.server.listening) return
    // server.close() calls back only once every accepted socket has closed,
    // so wait for it only when we closed them ourselves
    const closed = new Promise<void>(resolve => this.server.close(() => { resolve() }))
    if (options.closeConnections === true) await closed
  }
}

function interfaceAddresses (family: 4 | 6): string[] {
  const out: string[] = []
  for (const infos of Object.values(os.networkInterfaces())) {
    for (const info of infos ?? []) {
      if ((info.family === 'IPv4' ? 4 : 6) !== family) continue
      if (family === 6 && info.scopeid !== undefined && info.scopeid !== 0) continue // link-local needs a zone
      out.push(info.address)
    }
  }
  return out
}
