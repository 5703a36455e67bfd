// The protocol handler registry: protocol ID → handler, as the switch's
// multistream-select listener sees it (libp2p/specs connections/README.md
// "Protocol negotiation"). It is the listener's ProtocolMatcher itself, so an
// inbound stream is answered from this map, with nothing built or checked
// again per stream: IDs are checked once, when handled.

import type { Connection, ProtocolStream } from '../upgrader/index.js'
import { validateProtocolId, type ProtocolMatcher } from '../multistream/index.js'
import { DEFAULT_RESOURCE_LIMITS } from '../resources/index.js'
import { P2PError } from '../util/errors.js'

export type StreamHandler = (stream: ProtocolStream, connection: Connection) => void | Promise<void>

export interface HandlerOptions {
  /** At most this many inbound streams of this protocol per connection (or per peer); more are reset. */
  maxInboundStreams?: number
  /** Count maxInboundStreams over all of the remote peer's connections, not per connection (ping.md asks "per peer"). */
  limitPerPeer?: boolean
}

/** The resource manager's default (src/resources/limits.ts maxInboundStreamsPerProtocol). */
export const DEFAULT_MAX_INBOUND_STREAMS_PER_PROTOCOL = DEFAULT_RESOURCE_LIMITS.maxInboundStreamsPerProtocol

export interface HandlerEntry {
  handler: StreamHandler
  /** undefined: the resource manager's maxInboundStreamsPerProtocol. */
  maxInboundStreams: number | undefined
  limitPerPeer: boolean
}

export class ProtocolRegistry implements ProtocolMatcher {
  private readonly handlers = new Map<string, HandlerEntry>()
  /** The sorted IDs, made again only after a change (identify reads them on every connection). */
  private sorted: string[] | undefined

  /** Throws ERR_INVALID_PROTOCOL_ID for an ID multistream-select cannot carry, ERR_INVALID_PARAMETERS for a limit that is not a whole number ≥ 1. */
  handle (protocol: string, handler: StreamHandler, options: HandlerOptions = {}): void {
    const max = options.maxInboundStreams
    // NaN would admit every stream (n >= NaN is never true), 0 or less none
    if (max !== undefined && !(Number.isSafeInteger(max) && max >= 1)) {
      throw new P2PError('ERR_INVALID_PARAMETERS', `maxInboundStreams of ${protocol} must be a whole number ≥ 1, got ${String(max)}`)
    }
    this.handlers.set(validateProtocolId(protocol), {
      handler,
      maxInboundStreams: options.maxInboundStreams,
      limitPerPeer: options.limitPerPeer ?? false
    })
    this.sorted = undefined
  }

  /** Returns whether a handler was removed. */
  unhandle (protocol: string): boolean {
    const removed = this.handlers.delete(protocol)
    if (removed) this.sorted = undefined
    return removed
  }

  get (protocol: string): HandlerEntry | undefined {
    return this.handlers.get(protocol)
  }

  /** The protocol IDs with a handler, sorted (this is what `ls` and identify announce). */
  get protocols (): string[] {
    this.sorted ??= [...this.handlers.keys()].sort()
    return [...this.sorted]
  }

  matches (protocol: string): boolean {
    return this.handlers.has(protocol)
  }

  list (): string[] {
    return this.protocols
  }
}
