// The protocol handler registry: protocol ID → handler, as the switch's
// multistream-select listener sees it (libp2p/specs connections/README.md
// "Protocol negotiation").

import type { Connection, ProtocolStream } from '../upgrader/index.js'
import { P2PError } from '../util/errors.js'
import { DEFAULT_RESOURCE_LIMITS } from '../resources/index.js'

export type StreamHandler = (stream: ProtocolStream, connection: Connection) => void | Promise<void>

export interface HandlerOptions {
  /** At most this many inbound streams of this protocol per connection; more are reset. */
  maxInboundStreams?: number
}

/** The resource manager's default (src/resources/limits.ts maxInboundStreamsPerProtocol). */
export const DEFAULT_MAX_INBOUND_STREAMS_PER_PROTOCOL = DEFAULT_RESOURCE_LIMITS.maxInboundStreamsPerProtocol

export interface HandlerEntry {
  handler: StreamHandler
  /** undefined: the resource manager's maxInboundStreamsPerProtocol. */
  maxInboundStreams: number | undefined
}

export class ProtocolRegistry {
  private readonly handlers = new Map<string, HandlerEntry>()

  handle (protocol: string, handler: StreamHandler, options: HandlerOptions = {}): void {
    if (!protocol.startsWith('/')) {
      throw new P2PError('ERR_INVALID_PROTOCOL_ID', `protocol ID "${protocol}" must start with "/"`)
    }
    this.handlers.set(protocol, {
      handler,
      maxInboundStreams: options.maxInboundStreams
    })
  }

  /** Returns whether a handler was removed. */
  unhandle (protocol: string): boolean {
    return this.handlers.delete(protocol)
  }

  get (protocol: string): HandlerEntry | undefined {
    return this.handlers.get(protocol)
  }

  /** The protocol IDs with a handler, sorted (this is what `ls` and identify announce). */
  get protocols (): string[] {
    return [...this.handlers.keys()].sort()
  }
}
