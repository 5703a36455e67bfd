// The limits that must live inside a muxer, translated into each muxer's own
// options (src/yamux/session.ts YamuxOptions, src/mplex/session.ts
// MplexOptions), keyed by the muxer's protocol ID for the upgrader.

import type { ResourceLimits } from './limits.js'

export type MuxerOptionsByProtocol = Record<string, Record<string, unknown>>

export function muxerOptionsFor (limits: Readonly<ResourceLimits>): MuxerOptionsByProtocol {
  return {
    '/yamux/1.0.0': {
      // over it, newStream throws and an inbound SYN is answered with RST
      maxStreams: limits.maxStreamsPerConnection,
      // the receive window never grows past this: the remote can have no more unread bytes in flight
      maxStreamWindow: limits.maxStreamBufferBytes,
      // mplex has no ping: its connections rely on TCP keepalive (src/tcp/transport.ts)
      keepAliveIntervalMs: limits.keepAliveIntervalMs,
      keepAliveTimeoutMs: limits.keepAliveTimeoutMs
    },
    '/mplex/6.7.0': {
      // a NewStream over it is answered with a reset
      maxInboundStreams: limits.maxStreamsPerConnection,
      maxOutboundStreams: limits.maxStreamsPerConnection,
      // a stream whose reader lags past this many bytes is reset
      maxStreamBufferSize: limits.maxStreamBufferBytes
    }
  }
}
