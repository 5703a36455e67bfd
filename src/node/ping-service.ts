// The node's ping (libp2p/specs ping/ping.md): it answers /ipfs/ping/1.0.0
// and pings peers, within the spec's limits on streams:
//
//   "The dialing peer MUST NOT keep more than one outbound stream for the
//    ping protocol per peer."  A ping waits until the peer's previous ping
//    stream has closed (a ping that is over half-closes its stream and lets
//    the listener close it; one that does not close within the time limit is
//    reset, so it cannot hold the next ping back for good).
//   "The listening peer SHOULD accept at most two streams per peer"  over
//    all of the peer's connections; a third is reset.

import type { Switch, DialTarget } from '../switch/index.js'
import { PING_PROTOCOL, PING_MAX_INBOUND_STREAMS_PER_PEER, DEFAULT_PING_TIMEOUT_MS, checkPingOptions, handlePing, ping } from '../protocols/index.js'
import { resetAfter } from '../protocols/stream-io.js'
import { untilAborted } from '../util/deadline.js'
import { P2PError } from '../util/errors.js'
import type { Connection, ProtocolStream } from '../upgrader/index.js'
import type { PeerId } from '../peer/index.js'

export interface PingRequest {
  /** How many payloads to send on the stream, one after another (default 1). */
  count?: number
  /** How long each echo may take (default 10 s, js-libp2p's). */
  timeoutMs?: number
  signal?: AbortSignal
  /**
   * Send the payload with the protocol proposal, not after the remote's
   * answer (default true: saves a round trip). With false, a peer that does
   * not serve ping answers with a clean ERR_PROTOCOL_NOT_SUPPORTED; with
   * true it may instead reset the stream, having read our payload as a
   * second, malformed proposal.
   */
  optimistic?: boolean
}

export class PingService {
  /** Per remote peer, a promise that settles once its current ping stream has closed. */
  private readonly inUse = new Map<string, Promise<void>>()

  constructor (private readonly sw: Switch) {
    sw.handle(PING_PROTOCOL, async stream => { await handlePing(stream) }, { maxInboundStreams: PING_MAX_INBOUND_STREAMS_PER_PEER, limitPerPeer: true })
  }

  /** Whether a ping to `peer` holds the peer's one outbound ping stream now. */
  busy (peer: PeerId): boolean {
    return this.inUse.has(peer.toString())
  }

  /** Settles once the ping stream `peer` has now (if any) has closed. */
  async idle (peer: PeerId): Promise<void> {
    await this.inUse.get(peer.toString())
  }

  /** Pings the target `count` times over one stream (dialling if needed); returns each RTT in ms. */
  async ping (target: DialTarget, options: PingRequest = {}): Promise<number[]> {
    return await this.pingConnection(await this.sw.dial(target, { signal: options.signal }), options)
  }

  /**
   * Pings over `connection` itself, not whichever connection to its peer the
   * switch would pick (the connection monitor checks each one). Shares the
   * peer's one outbound ping stream with ping().
   */
  async pingConnection (connection: Connection, options: PingRequest = {}): Promise<number[]> {
    // before the peer's one ping stream is taken: a bad option must not hold it
    checkPingOptions(options)
    const peer = connection.remotePeer.toString()
    for (let previous = this.inUse.get(peer); previous !== undefined; previous = this.inUse.get(peer)) {
      await untilSettledOrAborted(previous, options.signal)
    }
    // taken before the first await, so that a ping waiting beside this one sees it
    let release!: () => void
    const slot = new Promise<void>(resolve => { release = resolve })
    this.inUse.set(peer, slot)
    void slot.then(() => { if (this.inUse.get(peer) === slot) this.inUse.delete(peer) })
    let stream: ProtocolStream
    try {
      stream = await connection.newStream(PING_PROTOCOL, { signal: options.signal, optimistic: options.optimistic })
    } catch (err) {
      release()
      throw err
    }
    if (stream.closed) release()
    else stream.once('close', release)
    const rtts = await ping(stream, options)
    // over: our half-close is sent, the listener closes its side in turn; bounded all the same
    if (!stream.closed) {
      const timeoutMs = options.timeoutMs ?? DEFAULT_PING_TIMEOUT_MS
      stream.once('close', resetAfter(stream, timeoutMs, () => new P2PError('ERR_PING_TIMEOUT', `${peer} did not close its ping stream within ${timeoutMs} ms of the last echo`, { remote: true })))
    }
    return rtts
  }
}

/** Waits for `promise` to settle, or rejects with abortError(signal) once `signal` aborts. */
async function untilSettledOrAborted (promise: Promise<void>, signal: AbortSignal | undefined): Promise<void> {
  const settled = promise.catch(() => {})
  await (signal === undefined ? settled : untilAborted(settled, signal))
}
