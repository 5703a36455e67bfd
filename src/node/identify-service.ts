// Runs identify on every new connection and push when our protocols change
// (libp2p/specs identify/README.md), and records what it learns in the peer
// store.
//
// Both sides of a connection ask: the dialer learns the listener's
// protocols, and the listener learns the dialer's (js-libp2p does the same,
// so each of our connections must also answer an inbound /ipfs/id/1.0.0).

import { EventEmitter } from 'node:events'
import type { Switch } from '../switch/index.js'
import type { Connection, ProtocolStream } from '../upgrader/index.js'
import type { PeerStore } from '../peerstore/index.js'
import type { PublicKey } from '../peer/index.js'
import { publicKeyToProtobuf } from '../peer/index.js'
import {
  IDENTIFY_PROTOCOL, IDENTIFY_PUSH_PROTOCOL, readIdentify, writeIdentify, interpretIdentify
} from '../protocols/identify/index.js'
import type { IdentifyMessage, IdentifyResult } from '../protocols/identify/index.js'

export const PROTOCOL_VERSION = 'ipfs/0.1.0'

export interface IdentifyServiceInit {
  switch: Switch
  peerStore: PeerStore
  publicKey: PublicKey
  agentVersion: string
  /** Run identify automatically on every new connection. */
  runOnConnect?: boolean
}

/** Events: 'identify' ({ connection, result }), 'error' is never emitted. */
export class IdentifyService extends EventEmitter {
  private readonly sw: Switch

  constructor (private readonly init: IdentifyServiceInit) {
    super()
    this.sw = init.switch
    this.sw.handle(IDENTIFY_PROTOCOL, (stream, connection) => { this.answer(stream, connection) })
    this.sw.handle(IDENTIFY_PUSH_PROTOCOL, async (stream, connection) => { await this.receivePush(stream, connection) })
    if (init.runOnConnect !== false) {
      this.sw.on('connection:open', (connection: Connection) => {
        this.identify(connection).catch(() => {})
      })
    }
    this.sw.on('protocols:change', () => { this.pushAll() })
  }

  /** The message we send: who we are, how to reach us, what we speak. */
  localMessage (connection?: Connection): IdentifyMessage {
    return {
      protocolVersion: PROTOCOL_VERSION,
      agentVersion: this.init.agentVersion,
      publicKey: publicKeyToProtobuf(this.init.publicKey),
      listenAddrs: this.sw.multiaddrs.map(a => a.decapsulateCode(421).bytes),
      observedAddr: connection?.remoteAddr.bytes,
      protocols: this.sw.protocols
    }
  }

  /** Asks the remote of `connection` who it is and records the answer. */
  async identify (connection: Connection, options: { signal?: AbortSignal } = {}): Promise<IdentifyResult> {
    const stream = await connection.newStream(IDENTIFY_PROTOCOL, { signal: options.signal })
    stream.end()
    const message = await readIdentify(stream, { signal: options.signal })
    const result = interpretIdentify(message, connection.remotePeer)
    this.record(connection, result, false)
    return result
  }

  private answer (stream: ProtocolStream, connection: Connection): void {
    writeIdentify(stream, this.localMessage(connection)).catch(() => { stream.destroy() })
  }

  private async receivePush (stream: ProtocolStream, connection: Connection): Promise<void> {
    const message = await readIdentify(stream)
    stream.end()
    this.record(connection, interpretIdentify(message, connection.remotePeer), true)
  }

  private record (connection: Connection, result: IdentifyResult, push: boolean): void {
    const store = this.init.peerStore
    const peer = connection.remotePeer
    if (result.publicKey !== undefined) store.setPublicKey(peer, result.publicKey)
    // identify/README.md: a push carries only what changed; absent fields stay as they were
    if (!push || result.listenAddrs.length > 0) store.addAddresses(peer, result.listenAddrs)
    if (!push || result.protocols.length > 0) store.setProtocols(peer, result.protocols)
    if (result.agentVersion !== undefined) store.setMetadata(peer, 'AgentVersion', result.agentVersion)
    if (result.protocolVersion !== undefined) store.setMetadata(peer, 'ProtocolVersion', result.protocolVersion)
    this.emit('identify', { connection, result, push })
  }

  /** identify/README.md: push to every connected peer that supports it when our protocols change. */
  private pushAll (): void {
    for (const connection of this.sw.getConnections()) {
      const record = this.init.peerStore.get(connection.remotePeer)
      if (record?.protocols.includes(IDENTIFY_PUSH_PROTOCOL) !== true) continue
      connection.newStream(IDENTIFY_PUSH_PROTOCOL)
        .then(async stream => { await writeIdentify(stream, this.localMessage(connection)) })
        .catch(() => {})
    }
  }
}
