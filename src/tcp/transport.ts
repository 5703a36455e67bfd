// TCP transport (libp2p/specs connections/README.md: "transports" provide
// raw, unencrypted, unmultiplexed byte streams; the upgrader does the rest).
//
// Dials and listens on /ip4/A/tcp/P, /ip6/A/tcp/P (with /ip6zone/Z before it
// for a link-local address: the interface it is reached through) and
// /dns{,4,6}/NAME/tcp/P.
// A dial resolves DNS names itself so that the family the address names is
// honoured (/dns4 only tries IPv4). Every socket gets TCP_NODELAY: libp2p's
// handshakes are small request/response messages, and Nagle's algorithm would
// hold each of them for a delayed ACK. Every socket gets TCP keepalive too
// (TCP_KEEPALIVE_DELAY_MS). Every socket reads into one shared
// buffer and lends its reads to the layer that can take them in place
// (./shared-reads.ts; P2P_SHARED_READS=0 turns that off).

import net from 'node:net'
import { lendReads, SHARED_READ_OPTION, SHARED_READS_ENABLED } from './shared-reads.js'
import { lookup } from 'node:dns/promises'
import { Multiaddr } from '../multiaddr/index.js'
import { abortError, isP2PError, P2PError } from '../util/errors.js'
import { RecentMap } from '../util/recent-map.js'
import { startDeadline, untilAborted } from '../util/deadline.js'

/** go-libp2p and js-libp2p both give up on a TCP connect after 5 s by default. */
export const DEFAULT_DIAL_TIMEOUT_MS = 5_000

/**
 * Idle time before the kernel starts probing a silent peer (go-libp2p's TCP
 * transport: keepalive with a 30 s period). Without keepalive a peer that
 * vanished without a FIN or a reset (power loss, a NAT that dropped the
 * mapping) leaves a connection waiting on a read forever, and the switch
 * would keep handing it out for that peer. Node 20's libuv sets only the idle
 * time; the probes then follow the system's tcp_keepalive_intvl and
 * tcp_keepalive_probes (Linux: 75 s, 9 times), after which the socket fails
 * and its connection closes with the error.
 */
export const TCP_KEEPALIVE_DELAY_MS = 30_000

/** A name's addresses, as node:dns's lookup({ all: true }) gives them (injected in tests). */
export type TcpLookup = (hostname: string, family: 0 | 4 | 6) => Promise<Array<{ address: string, family: number }>>

export interface TcpDialOptions {
  signal?: AbortSignal
  /** For the whole dial: the name's lookup and every address tried. Default DEFAULT_DIAL_TIMEOUT_MS. */
  timeoutMs?: number
  /** How /dns, /dns4 and /dns6 names are resolved (default node:dns's lookup, every address). */
  lookup?: TcpLookup
}

interface SocketAddress { host: string, family: 4 | 6 }

/** Where a TCP multiaddr points: one address, or every address its name has. */
interface DialTarget { hosts: SocketAddress[], port: number }

const systemLookup: TcpLookup = async (hostname, family) => await lookup(hostname, { all: true, family })

/**
 * The addresses and port a TCP multiaddr names; throws for anything else. A
 * name gives every address the resolver has for it (of the family /dns4 or
 * /dns6 asks for), in the resolver's order: go- and js-libp2p try each of
 * them too, and a host whose name lists ::1 first may be listening on
 * 127.0.0.1 only.
 */
async function resolveTarget (addr: Multiaddr, resolve: TcpLookup = systemLookup): Promise<DialTarget> {
  if (!isTcpAddr(addr)) throw notTcp(addr)
  const components = addr.components()
  const [first, second] = components
  const port = Number(components[components.length - 1].value)
  switch (first.name) {
    case 'ip4': return { hosts: [{ host: first.value ?? '', family: 4 }], port }
    case 'ip6': return { hosts: [{ host: first.value ?? '', family: 6 }], port }
    // node:net takes the zone as the text after '%' (an interface name, or its index)
    case 'ip6zone': return { hosts: [{ host: `${second.value ?? ''}%${first.value ?? ''}`, family: 6 }], port }
    case 'dns':
    case 'dns4':
    case 'dns6': {
      const family = first.name === 'dns4' ? 4 : first.name === 'dns6' ? 6 : 0
      let found: Array<{ address: string, family: number }>
      try {
        found = await resolve(first.value ?? '', family)
      } catch (err) {
        throw new P2PError('ERR_DNS_RESOLVE', `cannot resolve ${first.value} for ${addr.toString()}`, { cause: err })
      }
      const hosts = found
        .map(({ address, family }): SocketAddress => ({ host: address, family: family === 6 ? 6 : 4 }))
        .filter(host => family === 0 || host.family === family)
      if (hosts.length === 0) throw new P2PError('ERR_DNS_RESOLVE', `${first.value} has no ${family === 0 ? '' : `IPv${family} `}address, for ${addr.toString()}`)
      return { hosts, port }
    }
    default:
      throw notTcp(addr)
  }
}

function notTcp (addr: Multiaddr): P2PError {
  return new P2PError('ERR_TRANSPORT_UNSUPPORTED_ADDR', `${addr.toString()} is not a TCP address (expected [/ip6zone/ZONE]/ip4|ip6|dns|dns4|dns6/.../tcp/PORT)`)
}

/**
 * True when the transport can dial or listen on `addr`: a host and a TCP
 * port, and nothing more. `/ws`, `/tls`, a `/p2p-circuit` or anything else
 * after the port is another transport that runs over TCP; dialled as plain
 * TCP it would reach the wrong protocol, or (a relay's address) the wrong peer.
 */
export function isTcpAddr (addr: Multiaddr): boolean {
  const components = addr.components()
  const [first, second, third] = components
  if (first?.name === 'ip6zone') return components.length === 3 && second.name === 'ip6' && third.name === 'tcp'
  return components.length === 2 && ['ip4', 'ip6', 'dns', 'dns4', 'dns6'].includes(first?.name ?? '') && second?.name === 'tcp'
}

/**
 * Opens a TCP connection to `addr`, with a time limit for the whole dial and
 * an AbortSignal. A name's addresses are tried one after another until one
 * connects; each gets an equal share of the time left, so that one that never
 * answers cannot use up the time of those after it.
 */
export async function dialTcp (addr: Multiaddr, options: TcpDialOptions = {}): Promise<net.Socket> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_DIAL_TIMEOUT_MS
  const timeoutError = (): P2PError => new P2PError('ERR_DIAL_TIMEOUT', `TCP connect to ${addr.toString()} took longer than ${timeoutMs} ms`)
  options.signal?.throwIfAborted()
  const first = addr.components()[0]?.name
  if (first === 'ip4' || first === 'ip6' || first === 'ip6zone') {
    // one address, one connect: no lookup to bound, no share to compute
    const { hosts: [{ host, family }], port } = await resolveTarget(addr)
    try {
      return await connectOnce(host, port, family, timeoutMs, timeoutError, options.signal)
    } catch (err) {
      if (options.signal?.aborted === true || isP2PError(err, 'ERR_DIAL_TIMEOUT')) throw err
      throw connectionFailed(addr, (err as Error).message, err)
    }
  }
  const deadline = startDeadline(timeoutMs, timeoutError, options.signal)
  const endsAt = performance.now() + timeoutMs
  try {
    const target = await untilAborted(resolveTarget(addr, options.lookup), deadline.signal)
    const failures: string[] = []
    for (let i = 0; i < target.hosts.length; i++) {
      const { host, family } = target.hosts[i]
      const shareMs = Math.max(1, Math.floor((endsAt - performance.now()) / (target.hosts.length - i)))
      try {
        return await connectOnce(host, target.port, family, shareMs, () => new Error(`no answer within ${shareMs} ms`), deadline.signal)
      } catch (err) {
        if (deadline.signal.aborted) throw abortError(deadline.signal)
        failures.push(`${family === 6 ? `[${host}]` : host}:${target.port} ${(err as Error).message}`)
      }
    }
    throw connectionFailed(addr, failures.join('; '))
  } finally {
    deadline.clear()
  }
}

function connectionFailed (addr: Multiaddr, detail: string, cause?: unknown): P2PError {
  return new P2PError('ERR_CONNECTION_FAILED', `TCP connect to ${addr.toString()} failed: ${detail}`, { cause })
}

/**
 * One connect() to one address; rejects on its error, with `timeoutError()`
 * after `timeoutMs`, or once `signal` aborts (with its reason).
 */
async function connectOnce (host: string, port: number, family: 4 | 6, timeoutMs: number, timeoutError: () => Error, signal?: AbortSignal): Promise<net.Socket> {
  return await new Promise<net.Socket>((resolve, reject) => {
    const socket = net.connect({
      host,
      port,
      family,
      noDelay: true,
      keepAlive: true,
      keepAliveInitialDelay: TCP_KEEPALIVE_DELAY_MS,
      allowHalfOpen: true,
      ...(SHARED_READS_ENABLED ? { onread: SHARED_READ_OPTION } : {})
    })
    if (SHARED_READS_ENABLED) lendReads(socket)
    const timer = setTimeout(() => { fail(timeoutError()) }, timeoutMs)
    const onAbort = (): void => { fail(abortError(signal)) }
    const cleanup = (): void => {
      clearTimeout(timer)
      socket.off('connect', onConnect)
      socket.off('error', onError)
      signal?.removeEventListener('abort', onAbort)
    }
    function fail (err: Error): void {
      cleanup()
      socket.destroy()
      reject(err)
    }
    function onError (err: Error): void { fail(err) }
    function onConnect (): void {
      cleanup()
      guardSocketErrors(socket)
      resolve(socket)
    }
    socket.once('connect', onConnect)
    socket.once('error', onError)
    if (signal?.aborted === true) onAbort()
    else signal?.addEventListener('abort', onAbort)
  })
}

/**
 * Local addresses seen lately: every connection a listener accepts has the
 * same local end, so they share one (immutable) Multiaddr instead of holding
 * one each (~700 bytes per connection). Bounded: outbound sockets each have
 * their own local port, and only push older entries out.
 */
const localAddrs = new RecentMap<string, Multiaddr>(64)

/**
 * The multiaddr of a connected socket's remote (or local) end. Node names a
 * link-local address with its zone (`fe80::1%eth0`): it becomes
 * `/ip6zone/eth0/ip6/fe80::1/...`, which dials back through the same
 * interface (without the zone the address names no interface, and a host
 * with several links cannot reach it).
 */
export function socketMultiaddr (socket: net.Socket, end: 'remote' | 'local'): Multiaddr | undefined {
  const host = end === 'remote' ? socket.remoteAddress : socket.localAddress
  const port = end === 'remote' ? socket.remotePort : socket.localPort
  const family = end === 'remote' ? socket.remoteFamily : socket.localFamily
  if (host === undefined || port === undefined) return undefined
  const make = (): Multiaddr => {
    const address = { family: family === 'IPv6' ? 6 : 4, host, port, transport: 'tcp' } as const
    try {
      return Multiaddr.fromSocketAddress(address)
    } catch (err) {
      // a zone multiaddr text cannot hold (a '/'): the address without it beats none
      const percent = host.indexOf('%')
      if (percent === -1) throw err
      return Multiaddr.fromSocketAddress({ ...address, host: host.slice(0, percent) })
    }
  }
  if (end === 'remote') return make()
  return localAddrs.remember(`${host} ${port}`, make)
}

/**
 * A socket error (ECONNRESET, EPIPE) with no listener would be thrown as an
 * uncaught exception. The layers above see the failure through 'close',
 * failed reads and writes, and their own 'error' listeners; this one only
 * keeps the process alive.
 */
export function guardSocketErrors (socket: net.Socket): void {
  socket.on('error', () => {})
}

export { resolveTarget }
