// The wire trace's event model: one event per thing that crossed the wire
// for one connection, layer by layer (issue 6, "Teaching: p2p trace";
// ../../shared/DESIGN.md "A narrated trace").
//
// Theory of operation: the tracer (./tracer.ts) turns the upgrader's
// observer hooks and the decrypted bytes of the secure channel into these
// events, in the order they happened, and hands each one to a sink
// (./sink.ts) that prints it for humans or as one JSON object per line.
//
// Direction is always from our point of view: 'out' = we sent it,
// 'in' = we received it. `t` is milliseconds since the tracer started.
//
// No event ever holds key material: the Noise session keys go only to the
// key log (./keylog.ts), never through this model.

/** The layers, bottom to top; a human line is prefixed with one of these. */
export const LAYERS = ['tcp', 'multistream', 'noise', 'muxer', 'yamux', 'mplex', 'app', 'trace'] as const
export type Layer = typeof LAYERS[number]

export type Direction = 'in' | 'out'

/** Where a multistream-select round runs. */
export type MultistreamScope =
  /** On the raw TCP connection, choosing the security protocol (plaintext). */
  | 'connection'
  /** Inside the Noise channel, choosing the muxer (when not inlined). */
  | 'secure'
  /** On one muxed stream, choosing its application protocol. */
  | 'stream'

interface Base {
  /** Milliseconds since the tracer started. */
  readonly t: number
  /** The tracer's own number for the connection (1, 2, ...). */
  readonly connection: number
}

export type TraceEvent = Base & (
  | { readonly type: 'tcp:connect', readonly role: 'dialer' | 'listener', readonly localAddr: string, readonly remoteAddr: string }
  | { readonly type: 'tcp:close' }
  | {
    readonly type: 'multistream'
    readonly scope: MultistreamScope
    readonly direction: Direction
    /** The message text without its newline; an `ls` answer lists its protocols in `protocols`. */
    readonly message: string
    /** Bytes on the wire: length prefix, text and newline. Absent when the hook did not say. */
    readonly size?: number
    readonly streamId?: number
    readonly protocols?: readonly string[]
  }
  | {
    readonly type: 'noise:message'
    readonly direction: Direction
    /** 0, 1 or 2 (messages 1, 2, 3 of XX). */
    readonly index: number
    /** The pattern line, e.g. '<- e, ee, s, es'. */
    readonly tokens: string
    /** Bytes on the wire, including the 2-byte length prefix. */
    readonly size: number
    /** A summary of the decrypted payload. */
    readonly payload: string
  }
  | {
    readonly type: 'noise:identity'
    /** 'remote': verified from its handshake payload; 'local': what we sent. */
    readonly side: 'local' | 'remote'
    readonly peerId: string
    readonly keyType: string
    /** True when the signature over the Noise static key was checked. */
    readonly signatureVerified: boolean
    readonly streamMuxers: readonly string[]
  }
  | { readonly type: 'muxer:selected', readonly protocol: string, readonly how: 'inlined' | 'multistream' }
  | {
    readonly type: 'yamux:frame'
    readonly direction: Direction
    readonly frame: YamuxFrameName
    readonly flags: readonly YamuxFlagName[]
    readonly streamId: number
    /** Data: payload length; Window Update: the window delta; Ping: the opaque value; Go Away: the error code. */
    readonly length: number
  }
  | {
    readonly type: 'mplex:frame'
    readonly direction: Direction
    readonly frame: MplexFrameName
    readonly streamId: number
    /** Who opened the stream: us ('local') or the remote. */
    readonly opener: 'local' | 'remote'
    readonly length: number
    /** NewStream only: the stream's name. */
    readonly name?: string
  }
  | {
    readonly type: 'app:data'
    readonly direction: Direction
    readonly streamId: number
    /** The stream's agreed protocol, when known. */
    readonly protocol?: string
    /** The stream had ended (reset, or closed both ways): bytes its remote had in flight. */
    readonly late?: true
    /** Application bytes carried by one muxer frame. */
    readonly length: number
    /** Hex of the first PREVIEW_BYTES bytes. */
    readonly preview: string
  }
  | {
    /** The tracer could not follow the bytes (they break the protocol); it stops decoding that direction. */
    readonly type: 'trace:undecodable'
    readonly direction: Direction
    readonly reason: string
  }
)

export type TraceEventType = TraceEvent['type']

/** The event without the fields the tracer fills in. */
export type TraceEventInit = TraceEvent extends infer E ? E extends TraceEvent ? Omit<E, 't' | 'connection'> : never : never

/** hashicorp/yamux spec.md "Type Field", by the spec's names. */
export const YAMUX_FRAME_NAMES = ['Data', 'Window Update', 'Ping', 'Go Away'] as const
export type YamuxFrameName = typeof YAMUX_FRAME_NAMES[number]

/** hashicorp/yamux spec.md "Flag Field", bit by bit. */
export const YAMUX_FLAG_NAMES = ['SYN', 'ACK', 'FIN', 'RST'] as const
export type YamuxFlagName = typeof YAMUX_FLAG_NAMES[number]

/** libp2p/specs mplex "Flag Values". */
export type MplexFrameName =
  | 'NewStream' | 'MessageReceiver' | 'MessageInitiator' | 'CloseReceiver' | 'CloseInitiator' | 'ResetReceiver' | 'ResetInitiator'

/** Application bytes shown per frame: enough to recognise a message, short enough for one line. */
export const PREVIEW_BYTES = 16
