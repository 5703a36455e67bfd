// The connection monitor: every open connection is pinged on an interval
// (libp2p/specs ping/ping.md, over that connection itself), its round trip
// kept as `connection.rtt`, and a connection whose peer fails to answer is
// aborted. Not a spec requirement but what js-libp2p does by default
// (ConnectionMonitor: every 10 s, abortConnectionOnPingFailure) and
// rust-libp2p's ping behaviour does (every 15 s, close after one failure).
//
// Why a node wants it: a peer that vanished without a FIN or RST (power
// lost, network gone, process frozen) leaves a connection that looks open.
// yamux notices by its own keepalive (src/yamux/session.ts); mplex has none,
// so without pings only TCP keepalive would, after minutes.
//
// What counts as a failure: an error the peer caused (P2PError.remote: no
// echo in time, a wrong echo, a reset) or no answer within the time limit.
// A peer that answers `na` is alive: it only does not serve ping, and the
// time to its `na` is a round trip all the same (js-libp2p counts half of
// it, its negotiation taking two round trips; ours sends the header and the
// proposal together, so its `na` comes after one).
// Local refusals (our own stream limits, a connection already closing) say
// nothing about the peer and are not held against it.

import type { Connection } from '../upgrader/index.js'
import type { Switch } from '../switch/index.js'
import { P2PError, isP2PError } from '../util/errors.js'
import { checkTimerMs } from '../util/deadline.js'
import type { PingService } from './ping-service.js'

export interface ConnectionMonitorInit {
  /** Time between two pings of a connection, in ms (default 10 s, js-libp2p's). */
  intervalMs?: number
  /** How long one ping may take, stream opening included, in ms (default 10 s). */
  timeoutMs?: number
  /** Abort a connection whose peer fails a ping (default true, js-libp2p's); false: only report it. */
  abortOnFailure?: boolean
  /** Told of every failed ping, whether or not the connection is aborted for it. */
  onFailure?: (connection: Connection, err: Error) => void
}

export const DEFAULT_MONITOR_INTERVAL_MS = 10_000
export const DEFAULT_MONITOR_TIMEOUT_MS = 10_000

export class ConnectionMonitor {
  private readonly intervalMs: number
  private readonly timeoutMs: number
  private readonly abortOnFailure: boolean
  private readonly onFailure: ConnectionMonitorInit['onFailure']
  private timer: NodeJS.Timeout | undefined
  /** Connections with a monitor ping under way: the next round skips them. */
  private readonly pinging = new Set<Connection>()

  constructor (private readonly sw: Switch, private readonly pings: PingService, init: ConnectionMonitorInit = {}) {
    this.intervalMs = checkTimerMs('connectionMonitor.intervalMs', init.intervalMs ?? DEFAULT_MONITOR_INTERVAL_MS, 1)
    this.timeoutMs = checkTimerMs('connectionMonitor.timeoutMs', init.timeoutMs ?? DEFAULT_MONITOR_TIMEOUT_MS, 1)
    this.abortOnFailure = init.abortOnFailure ?? true
    this.onFailure = init.onFailure
  }

  start (): void {
    if (this.timer !== undefined) return
    // one timer for every connection, not one each (an idle connection costs no timer);
    // unref: monitoring is no reason to keep the process alive
    this.timer = setInterval(this.round, this.intervalMs).unref()
  }

  stop (): void {
    clearInterval(this.timer)
    this.timer = undefined
  }

  private readonly round = (): void => {
    for (const connection of this.sw.getConnections()) {
      if (connection.status === 'open' && !this.pinging.has(connection)) void this.check(connection)
    }
  }

  /** Pings `connection` once: keeps the round trip, or reports the failure (and aborts). Never rejects. */
  async check (connection: Connection): Promise<void> {
    this.pinging.add(connection)
    try {
      // the peer has one outbound ping stream (ping.md): wait until it is
      // free before the clock starts. A user's long ping, or ours on another
      // connection to the peer, is not this connection's failure.
      while (this.pings.busy(connection.remotePeer)) await this.pings.idle(connection.remotePeer)
      if (connection.status !== 'open') return
      await this.pingOnce(connection)
    } finally {
      this.pinging.delete(connection)
    }
  }

  /** One ping, started while the peer's ping stream is free, so the time limit is all its own. */
  private async pingOnce (connection: Connection): Promise<void> {
    const signal = AbortSignal.timeout(this.timeoutMs)
    const started = performance.now()
    try {
      // not optimistic: a peer without ping then answers na, never a reset (PingRequest.optimistic)
      const [rtt] = await this.pings.pingConnection(connection, { timeoutMs: this.timeoutMs, signal, optimistic: false })
      connection.rtt = rtt
    } catch (err) {
      if (isP2PError(err, 'ERR_PROTOCOL_NOT_SUPPORTED')) {
        connection.rtt = performance.now() - started
        return
      }
      const failure = signal.aborted
        ? new P2PError('ERR_PING_TIMEOUT', `connection monitor: ${connection.remotePeer.toString()} did not answer a ping within ${this.timeoutMs} ms`, { remote: true, cause: err })
        : err as Error
      // a local refusal, or the connection closing anyway, says nothing about the peer
      if (!(failure instanceof P2PError && failure.remote) || connection.status !== 'open') return
      this.onFailure?.(connection, failure)
      if (this.abortOnFailure) connection.abort(failure)
    }
  }
}
