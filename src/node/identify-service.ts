// Runs identify on every new connection and push when our protocols or
// listen addresses change (libp2p/specs identify/README.md), and records
// what it learns in the peer store.
//
// Both sides of a connection ask: the dialer learns the listener's
// protocols, and the listener learns the dialer's (js-libp2p does the same,
// so each of our connections must also answer an inbound /ipfs/id/1.0.0).
// The automatic identify of a new connection is under way from the moment
// the connection opens (a call or a push in between joins or waits for it),
// but sends its first frame only once the connection's first turn has been
// written (afterThisTurnsImmediates): the application's first stream leaves
// ahead of it.

import { EventEmitter } from 'node:events'
import type { Switch } from '../switch/index.js'
import type { Connection } from '../upgrader/index.js'
import { CONNECTED_TTL, RECENTLY_CONNECTED_TTL_MS, type PeerStore, type PeerUpdate } from '../peerstore/index.js'
import type { PeerId, PrivateKey } from '../peer/index.js'
import type { Multiaddr } from '../multiaddr/index.js'
import {
  IDENTIFY_PROTOCOL, IDENTIFY_PUSH_PROTOCOL, DEFAULT_IDENTIFY_PROTOCOL_VERSION, DEFAULT_IDENTIFY_TIMEOUT_MS,
  handleIdentify, identify, pushIdentify, handleIdentifyPush, createSignedPeerRecord
} from '../protocols/index.js'
import { resetAfter, resetUnlessClosedWithin } from '../protocols/stream-io.js'
import { P2PError } from '../util/errors.js'
import { checkTimerMs, untilAborted } from '../util/deadline.js'
import type { IdentifyResult, LocalIdentifyInfo } from '../protocols/index.js'

export interface IdentifyServiceInit {
  switch: Switch
  peerStore: PeerStore
  privateKey: PrivateKey
  agentVersion: string
  /** Run identify automatically on every new connection (default true). */
  runOnConnect?: boolean
  /** How long an Identify answer, or a push sent to us, may take before its stream is reset (default 5 s). */
  timeoutMs?: number
}

export interface IdentifyEvent { connection: Connection, result: IdentifyResult, push: boolean }

/**
 * Resolves after every setImmediate queued in this event-loop turn has run
 * (one queued from a setImmediate runs in the loop's next iteration).
 *
 * Why: a muxer sends the frames of a turn together, from a setImmediate
 * queued by the turn's first frame (../muxer/write-batch.ts). When a
 * connection opens, that may not have happened yet: a dialer's application
 * opens its first stream later in the same turn (under mplex; yamux has
 * usually begun its batch with its RTT ping). Identify waiting for this
 * sends nothing into that batch: the application's first stream (a
 * dialer's request, a listener's answer to it) leaves without identify's
 * frames ahead of it, the peer answers it without answering identify
 * first, and identify's exchange follows in writes of its own, at the cost
 * of a write and a read more on each side (bench/NOTES.md, "Identify after
 * the first frames").
 */
async function afterThisTurnsImmediates (): Promise<void> {
  await new Promise<void>(resolve => { setImmediate(() => { setImmediate(resolve) }) })
}

/** Events: 'identify' (IdentifyEvent). */
export class IdentifyService extends EventEmitter {
  private readonly sw: Switch
  private readonly timeoutMs: number

  constructor (private readonly init: IdentifyServiceInit) {
    super()
    this.sw = init.switch
    this.timeoutMs = checkTimerMs('identify timeoutMs', init.timeoutMs ?? DEFAULT_IDENTIFY_TIMEOUT_MS, 1)
    // on every identify stream, once our part is done the remote has the
    // time limit to close its side, or the stream is reset: a peer that
    // never closes would hold it (and a stream slot) for good
    this.sw.handle(IDENTIFY_PROTOCOL, async (stream, connection) => {
      await handleIdentify(stream, this.localInfo(connection))
      resetUnlessClosedWithin(stream, this.timeoutMs, () => this.timeoutError('close', connection))
    })
    this.sw.handle(IDENTIFY_PUSH_PROTOCOL, async (stream, connection) => {
      const clear = resetAfter(stream, this.timeoutMs, () => this.timeoutError('push', connection))
      try {
        this.record(connection, await handleIdentifyPush(stream, connection.remotePeer), true)
      } finally {
        clear()
      }
      resetUnlessClosedWithin(stream, this.timeoutMs, () => this.timeoutError('close', connection))
    })
    if (init.runOnConnect !== false) {
      this.sw.on('connection:open', (connection: Connection) => {
        this.start(connection, true).catch(() => {})
      })
    }
    this.sw.on('protocols:change', () => { this.pushAll() })
    this.sw.on('addresses:change', () => { this.pushAll() })
    // go-libp2p's address lifetimes: what a peer announced lives while we
    // are connected to it (record() stores it with CONNECTED_TTL), then
    // RECENTLY_CONNECTED_TTL_MS more. Registered here, before the node's
    // listeners: one of the application's that throws cannot skip it.
    this.sw.on('peer:disconnect', (peer: PeerId) => { this.expireConnected(peer) })
  }

  private expireConnected (peer: PeerId): void {
    try {
      this.init.peerStore.expireConnectedAddresses(peer)
    } catch {
      // a store closed under us, or a file that failed to write: the
      // addresses keep CONNECTED_EXPIRY, which the next open of a file ends
      // (SqlitePeerStore); not a reason to fail the connection's close
    }
  }

  private lastRecord: { addrs: string, seq: number, envelope: Uint8Array } | undefined
  /** The identify running on each connection (see identify()). */
  private readonly running = new WeakMap<Connection, Promise<IdentifyResult>>()
  /** Connections whose identify was running when our information changed. */
  private readonly pushWanted = new WeakSet<Connection>()
  /** The push in flight on each connection, and whether another must follow it. */
  private readonly pushing = new WeakMap<Connection, { again: boolean }>()

  /** What we tell a peer about ourselves on `connection`. */
  localInfo (connection?: Connection): LocalIdentifyInfo {
    // a zone names one of our interfaces: no use to the peer (RFC 4007), which would dial through its own of that name
    const listenAddrs = this.sw.listenAddrs.map(addr => addr.withoutZone())
    return {
      publicKey: this.init.privateKey.publicKey,
      listenAddrs,
      // the zone of a link-local address is our interface's name: nothing the peer could use
      observedAddr: connection?.remoteAddr.withoutZone(),
      protocols: this.sw.protocols,
      agentVersion: this.init.agentVersion,
      protocolVersion: DEFAULT_IDENTIFY_PROTOCOL_VERSION,
      signedPeerRecord: this.signedPeerRecord(listenAddrs)
    }
  }

  /**
   * Our signed peer record for `listenAddrs`: signed again only when the
   * addresses change (RFC 0003 records are a peer's current addresses), so
   * every connection carries the same bytes and the remote verifies them once.
   */
  private signedPeerRecord (listenAddrs: Multiaddr[]): Uint8Array {
    const addrs = listenAddrs.map(a => a.toString()).join(' ')
    if (this.lastRecord?.addrs !== addrs) {
      // RFC 0003: seq "MUST increase monotonically" -- also when two changes share a millisecond
      const seq = Math.max(Date.now(), (this.lastRecord?.seq ?? 0) + 1)
      this.lastRecord = { addrs, seq, envelope: createSignedPeerRecord(this.init.privateKey, this.sw.peerId, listenAddrs, seq) }
    }
    return this.lastRecord.envelope
  }

  /**
   * Asks the remote of `connection` who it is and records the answer. One
   * identify per connection at a time: a call while one is running (the one
   * every new connection starts) waits for its answer, as go-libp2p's
   * IdentifyWait does; js-libp2p accepts a single inbound identify stream
   * per connection and resets a second. The caller's signal ends only its
   * own wait; the identify itself is bounded by the time limit.
   */
  async identify (connection: Connection, options: { signal?: AbortSignal } = {}): Promise<IdentifyResult> {
    options.signal?.throwIfAborted()
    const running = this.running.get(connection) ?? this.start(connection, false)
    return options.signal === undefined ? await running : await untilAborted(running, options.signal)
  }

  /**
   * Starts identify on `connection` and marks it running until it is over,
   * so that a call meanwhile waits for it and a change of ours is pushed
   * after it. `afterFirstTurn`: its stream opens only after this turn's
   * writes (afterThisTurnsImmediates), and not at all if the connection
   * has begun to close by then.
   */
  private start (connection: Connection, afterFirstTurn: boolean): Promise<IdentifyResult> {
    const running = this.identifyOnce(connection, afterFirstTurn)
    this.running.set(connection, running)
    const done = (): void => {
      if (this.running.get(connection) === running) this.running.delete(connection)
      // our protocols or addresses changed while we did not yet know whether the peer takes pushes
      if (this.pushWanted.delete(connection)) this.pushAll([connection])
    }
    running.then(done, done)
    return running
  }

  private async identifyOnce (connection: Connection, afterFirstTurn: boolean): Promise<IdentifyResult> {
    if (afterFirstTurn) {
      await afterThisTurnsImmediates()
      if (connection.status !== 'open') {
        throw new P2PError('ERR_CONNECTION_CLOSED', `the connection to ${connection.remotePeer.toString()} began to close before identify started`)
      }
    }
    const stream = await connection.newStream(IDENTIFY_PROTOCOL)
    // the negotiation is optimistic: it finishes while we read, within this limit too
    const clear = resetAfter(stream, this.timeoutMs, () => this.timeoutError('answer', connection))
    let result: IdentifyResult
    try {
      result = await identify(stream, connection.remotePeer)
    } finally {
      clear()
      // also when the answer was refused (another peer's key, say) after it
      // was read: the reading may have stopped at the message limit with
      // the remote's side still open, and nothing else would close it
      resetUnlessClosedWithin(stream, this.timeoutMs, () => this.timeoutError('close', connection))
    }
    this.record(connection, result, false)
    return result
  }

  private timeoutError (what: 'answer' | 'push' | 'close', connection: Connection): P2PError {
    const peer = connection.remotePeer.toString()
    const message = what === 'answer'
      ? `no Identify answer from ${peer} within ${this.timeoutMs} ms`
      : what === 'push'
        ? `the Identify push from ${peer} did not arrive within ${this.timeoutMs} ms`
        : `${peer} did not close its side of an Identify stream within ${this.timeoutMs} ms of the exchange`
    return new P2PError('ERR_IDENTIFY_TIMEOUT', message, { remote: true })
  }

  private record (connection: Connection, result: IdentifyResult, push: boolean): void {
    // from the network: a value the peer store refuses is left out, not the whole answer
    const changes: PeerUpdate = { dropInvalid: true }
    // what a peer announces lives while we are connected to it, and a while
    // after (expireConnected, on 'peer:disconnect'); an answer that outlived
    // its connection is already in that while
    changes.addressTtlMs = this.sw.getConnections(connection.remotePeer).length > 0 ? CONNECTED_TTL : RECENTLY_CONNECTED_TTL_MS
    if (result.publicKey !== undefined) changes.setPublicKey = result.publicKey
    const record = result.signedPeerRecord
    if (record !== undefined && result.signedPeerRecordEnvelope !== undefined) {
      // RFC 0003: kept only when its seq is greater than the last one the
      // store accepted, and then its addresses replace the peer's; an older
      // or equal one is rejected whole (the peer store decides, atomically)
      changes.certifiedRecord = { seq: record.seq, envelope: result.signedPeerRecordEnvelope, addresses: result.listenAddrs }
    } else if (result.listenAddrs.length > 0) {
      // the peer's current addresses: those it no longer announces go, as
      // with a record. None at all is an absent field (proto2 cannot tell
      // them apart): identify/README.md, a push may carry only what changed
      // and "missing fields should be ignored"; and a peer that listens
      // nowhere still has the address we reached it at.
      changes.setListenAddresses = result.listenAddrs
    }
    if (!push || result.protocols.length > 0) changes.setProtocols = result.protocols
    const metadata: Record<string, string> = {}
    if (result.agentVersion !== undefined) metadata.AgentVersion = result.agentVersion
    if (result.protocolVersion !== undefined) metadata.ProtocolVersion = result.protocolVersion
    changes.setMetadata = metadata
    // one mutation: one transaction and at most one 'change' event
    this.init.peerStore.update(connection.remotePeer, changes)
    this.emit('identify', { connection, result, push } satisfies IdentifyEvent)
  }

  /**
   * identify/README.md: push to every connected peer that supports it when
   * our protocols or listen addresses change. A connection whose identify is
   * still running is pushed to once it is over, if the peer then proves to
   * take pushes (go-libp2p pushes during it too; not knowing, we wait).
   */
  private pushAll (connections: Connection[] = this.sw.getConnections()): void {
    for (const connection of connections) {
      if (this.running.has(connection)) {
        this.pushWanted.add(connection)
        continue
      }
      const record = this.init.peerStore.get(connection.remotePeer)
      if (record?.protocols.includes(IDENTIFY_PUSH_PROTOCOL) !== true) continue
      this.push(connection)
    }
  }

  /**
   * One push in flight per connection: js-libp2p takes one inbound push
   * stream at a time and would reset a second, losing the newer state. A
   * change during a push is sent by one more push when it is over, with what
   * is current then.
   */
  private push (connection: Connection): void {
    const pushing = this.pushing.get(connection)
    if (pushing !== undefined) {
      pushing.again = true
      return
    }
    const state = { again: false }
    this.pushing.set(connection, state)
    connection.newStream(IDENTIFY_PUSH_PROTOCOL)
      .then(async stream => {
        await pushIdentify(stream, this.localInfo(connection))
        // the peer counts the stream until it has closed both ways: the next
        // push goes after that (within the time limit, else it is reset)
        resetUnlessClosedWithin(stream, this.timeoutMs, () => this.timeoutError('close', connection))
        if (!stream.closed) await new Promise(resolve => stream.once('close', resolve))
      })
      .catch(() => {})
      .finally(() => {
        this.pushing.delete(connection)
        if (state.again && connection.status === 'open') this.push(connection)
      })
  }
}
