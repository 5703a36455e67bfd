// Constants of the ping protocol (libp2p/specs ping/ping.md "Protocol").

/** ping.md: "The protocol ID is `/ipfs/ping/1.0.0`." */
export const PING_PROTOCOL = '/ipfs/ping/1.0.0'

/** ping.md: "The dialing peer sends a 32-byte payload of random binary data". */
export const PING_LENGTH = 32

/**
 * ping.md: "The listening peer SHOULD accept at most two streams per peer
 * since cross-stream behavior is non-linear and stream writes occur
 * asynchronously."
 */
export const PING_MAX_INBOUND_STREAMS_PER_PEER = 2

/**
 * How long one echo may take before the ping fails with ERR_PING_TIMEOUT:
 * js-libp2p's ping timeout (10 s). The spec names none.
 */
export const DEFAULT_PING_TIMEOUT_MS = 10_000

/**
 * How long the listener waits for each complete payload (and for its echo to
 * be written) before it resets the stream with ERR_PING_TIMEOUT: go-libp2p's
 * ping handler's 60 s. The spec names none; without one, a peer could hold
 * its two ping streams open and silent for ever, and with them its
 * connection, which never counts as idle while streams are open.
 */
export const PING_LISTENER_TIMEOUT_MS = 60_000
