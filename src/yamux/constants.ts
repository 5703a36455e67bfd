// Yamux wire constants and the limits of this implementation.
//
// Spec: hashicorp/yamux spec.md ("Framing", "Flow Control", "Session
// termination") and libp2p/specs yamux/README.md ("ACK backlog").
// The code tables are `as const` objects: the wire number next to the spec's
// own name, so a reader with the spec open finds each value by its word.

/** The multistream-select protocol ID (libp2p/specs yamux "Specification"). */
export const PROTOCOL_ID = '/yamux/1.0.0'

/** "the field is always set to 0, to indicate the initial version." */
export const YAMUX_VERSION = 0

/** "This means that each header has a 12 byte overhead." */
export const HEADER_LENGTH = 12

/** spec.md "Type Field". */
export const FrameType = {
  /** "Used to transmit data. May transmit zero length payloads depending on the flags." */
  Data: 0x0,
  /** "Used to updated the senders receive window size." */
  WindowUpdate: 0x1,
  /** "Used to measure RTT. It can also be used to heart-beat and do keep-alive over TCP." */
  Ping: 0x2,
  /** "Used to close a session." */
  GoAway: 0x3
} as const
export type FrameTypeCode = typeof FrameType[keyof typeof FrameType]

/** spec.md "Flag Field". Flags combine bitwise. */
export const Flag = {
  /** "Signals the start of a new stream." / with a ping: "to indicate outbound". */
  SYN: 0x1,
  /** "Acknowledges the start of a new stream." / with a ping: "to indicate response". */
  ACK: 0x2,
  /** "Performs a half-close of a stream." */
  FIN: 0x4,
  /** "Reset a stream immediately." */
  RST: 0x8
} as const

/** spec.md "Session termination": the Length of a Go Away frame. */
export const GoAwayCode = {
  /** "0x0 Normal termination" */
  Normal: 0x0,
  /** "0x1 Protocol error" */
  ProtocolError: 0x1,
  /** "0x2 Internal error" */
  InternalError: 0x2
} as const
export type GoAwayCodeValue = typeof GoAwayCode[keyof typeof GoAwayCode]

/** "the 0 ID is reserved to represent the session." */
export const SESSION_STREAM_ID = 0

/** Stream IDs and lengths are uint32 on the wire. */
export const MAX_UINT32 = 0xffff_ffff

/** "When Yamux is initially starts each stream with a 256KB window size." Both sides assume it. */
export const INITIAL_STREAM_WINDOW = 256 * 1024

/**
 * Ceiling for receive-window auto-tuning (go-yamux's default): one stream may
 * grow its window up to this so it can fill a fast, long link; it also bounds
 * the memory one stream's unread data can take.
 */
export const DEFAULT_MAX_STREAM_WINDOW = 16 * 1024 * 1024

/**
 * Largest Data payload we SEND in one frame. Smaller frames interleave streams
 * fairly and keep the latency of control frames (pings, window updates) low.
 * We ACCEPT larger frames, up to the whole window (js-libp2p sends those).
 */
export const DEFAULT_MAX_MESSAGE_SIZE = 64 * 1024

/** Open streams (either direction) per session; over it a new inbound stream is reset. */
export const DEFAULT_MAX_STREAMS = 1024

/**
 * libp2p yamux "ACK backlog": "Implementations SHOULD at most allow an ACK
 * backlog of 256 streams." — our outbound streams the remote has not acknowledged.
 */
export const DEFAULT_MAX_ACK_BACKLOG = 256

/**
 * libp2p yamux "ACK backlog": "Implementations SHOULD buffer at least 256
 * unacknowledged inbound streams." Inbound buffering must be bounded, so over
 * this many unacknowledged inbound streams a new one is reset.
 */
export const DEFAULT_MAX_INBOUND_UNACKED = 256

/**
 * Bytes of control frames (pongs, window updates, resets) we let queue on a
 * connection whose peer is not reading, before we stop reading from it: a peer
 * that floods pings but never reads cannot grow our memory without bound.
 */
export const CONTROL_BACKLOG_LIMIT = 1024 * 1024

/** Data payloads up to this size are copied into the header's buffer (one write); larger ones go as a view. */
export const COPY_PAYLOAD_THRESHOLD = 16 * 1024

/** How long close() waits for streams to finish before it aborts the session. */
export const DEFAULT_CLOSE_TIMEOUT_MS = 10_000

/**
 * Keepalive (the spec's Ping: "It can also be used to heart-beat and do
 * keep-alive over TCP"; the spec sets no period): after this long with
 * nothing received, the session pings. go-yamux's and js-libp2p's default.
 */
export const DEFAULT_KEEP_ALIVE_INTERVAL_MS = 30_000

/**
 * How long a keepalive ping may go unanswered (nothing at all received)
 * before the session is torn down: go-yamux bounds its keepalive ping by its
 * connection write timeout, 10 s.
 */
export const DEFAULT_KEEP_ALIVE_TIMEOUT_MS = 10_000
