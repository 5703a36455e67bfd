// The wire tracer: turns the upgrader's observer hooks into TraceEvents, one
// connection at a time, in the order things crossed the wire (issue 6,
// "Teaching: p2p trace"; libp2p/specs connections/README.md "Upgrading
// connections").
//
// Theory of operation. `createWireTracer` returns an UpgradeTrace whose only
// hook is `forConnection`: the upgrader calls it when an upgrade starts, and
// the tracer answers with hooks bound to a fresh connection number, so
// concurrent connections never mix. Then, for that connection:
//
//   tcp            the connection itself (upgrade start) and its close
//   multistream    the plaintext round that picks /noise (upgrader hook)
//   noise          the three XX messages (handshake hook), then both
//                  identities: ours, and the remote's once its signature
//                  over the Noise static key is verified (onSecured)
//   muxer          the choice, inlined in the handshake or not
//   yamux / mplex  every frame, decoded from the channel's decrypted bytes
//                  (./tap.ts, ./channel.ts), with each stream's multistream
//                  round and a summary of its application bytes
//
// The Noise session keys reach `onKeys` and go to the key log only, when one
// is configured; they never become an event.

import type { UpgradeContext, UpgradeTrace } from '../upgrader/index.js'
import { encodeMessage } from '../multistream/index.js'
import type { TraceEvent, TraceEventInit } from './events.js'
import type { TraceSink } from './sink.js'
import type { KeyLog } from './keylog.js'
import { ChannelDissector } from './channel.js'
import { tapDuplex } from './tap.js'

export interface LocalIdentity {
  peerId: string
  keyType: string
  /** The muxers we list in our handshake payload (empty when not inlining). */
  streamMuxers: string[]
}

export interface WireTracerOptions {
  sink: TraceSink
  /** Our identity, shown after the handshake message that carries it. */
  local?: LocalIdentity
  /** Where the Noise keys go (`--keylog`); nowhere by default. */
  keyLog?: KeyLog
  /** Milliseconds, monotonic; default performance.now. Injected in tests. */
  now?: () => number
  /** Trace only the connections this accepts (default: all). */
  filter?: (context: UpgradeContext) => boolean
}

export function createWireTracer (options: WireTracerOptions): UpgradeTrace {
  const now = options.now ?? (() => performance.now())
  const start = now()
  let connections = 0
  return {
    forConnection: context => {
      if (options.filter !== undefined && !options.filter(context)) return undefined
      return traceConnection(++connections, context, options, () => now() - start)
    }
  }
}

function traceConnection (connection: number, context: UpgradeContext, options: WireTracerOptions, elapsed: () => number): UpgradeTrace {
  const emit = (event: TraceEventInit): void => {
    try {
      options.sink({ ...event, t: elapsed(), connection } as TraceEvent)
    } catch {}
  }
  const initiator = context.direction === 'outbound'
  let channel: ChannelDissector | undefined
  emit({
    type: 'tcp:connect',
    role: initiator ? 'dialer' : 'listener',
    localAddr: context.localAddr?.toString() ?? '?',
    remoteAddr: context.remoteAddr.toString()
  })
  return {
    onMultistream: (scope, direction, message) => {
      // inside the channel the bytes themselves are decoded (./channel.ts)
      if (scope === 'connection') emit({ type: 'multistream', scope, direction, message, size: encodeMessage(message).length })
    },
    onHandshakeMessage: info => {
      const direction = info.direction === 'sent' ? 'out' : 'in'
      emit({ type: 'noise:message', direction, index: info.index, tokens: info.tokens, size: info.size, payload: info.payload })
      // the responder signs in message 2, the initiator in message 3
      const carriesOurIdentity = direction === 'out' && info.index === (initiator ? 2 : 1)
      if (carriesOurIdentity && options.local !== undefined) {
        const local = options.local
        emit({ type: 'noise:identity', side: 'local', peerId: local.peerId, keyType: local.keyType, signatureVerified: false, streamMuxers: local.streamMuxers })
      }
    },
    onKeys: keys => {
      options.keyLog?.(keys, {
        role: initiator ? 'initiator' : 'responder',
        localAddr: context.localAddr?.toString(),
        remoteAddr: context.remoteAddr.toString()
      })
    },
    onSecured: info => {
      emit({
        type: 'noise:identity',
        side: 'remote',
        peerId: info.remotePeer.toString(),
        keyType: info.remotePublicKey.type,
        // onSecured is only called once verifyHandshakePayload has accepted the signature
        signatureVerified: true,
        streamMuxers: info.remoteStreamMuxers
      })
      channel = new ChannelDissector({ localIsInitiator: initiator, inlinedMuxer: info.inlinedMuxer, emit })
    },
    onMuxerSelected: (protocol, how) => {
      emit({ type: 'muxer:selected', protocol, how })
    },
    wrapSecureStream: stream => {
      const dissector = channel
      if (dissector === undefined) return stream
      stream.once('close', () => { emit({ type: 'tcp:close' }) })
      return tapDuplex(stream, (direction, chunk) => { dissector.feed(direction, chunk) })
    }
  }
}
