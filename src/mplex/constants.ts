// Constants of mplex: the protocol ID and every limit, each with the reason
// it exists.
//
// Spec: libp2p/specs mplex/README.md.

/** The multistream-select protocol ID of mplex. */
export const PROTOCOL_ID = '/mplex/6.7.0'

/**
 * The largest data segment we accept. The spec: "limited to a maximum size
 * agreed upon out of band (For reference, the go-multiplex implementation sets
 * this to 1MB)". We take go's 1 MiB; a longer length prefix is rejected before
 * any of its body is buffered, so a peer cannot make us hold more than this.
 */
export const MAX_MESSAGE_SIZE = 1024 * 1024

/**
 * The largest data segment we send. Smaller than what we accept so that one
 * big write on one stream does not hold the connection for long (streams take
 * turns frame by frame) and so that every implementation accepts it.
 */
export const MAX_SEND_MESSAGE_SIZE = 64 * 1024

/**
 * Bytes of frames other than Message (Reset and Close, mostly answers to
 * the remote's NewStreams) we write while the connection is backed up,
 * before we stop reading from it until it drains: a peer that opens stream
 * after stream to be refused, and never reads the resets, cannot grow our
 * write buffer without bound (yamux's CONTROL_BACKLOG_LIMIT, the same rule).
 */
export const CONTROL_BACKLOG_LIMIT = 1024 * 1024

/**
 * Payloads up to this size are copied behind their header into one buffer
 * (one write); bigger ones are written as header + payload view under
 * cork(), so the copy never costs more than the extra write would.
 */
export const COPY_PAYLOAD_MAX = 4 * 1024

/**
 * mplex has no flow control, so a reader that does not keep up makes its
 * stream's receive buffer grow. Over this many unread bytes the stream is
 * reset (not the connection). Never below MAX_MESSAGE_SIZE, or one legal
 * message could not be delivered.
 */
export const DEFAULT_MAX_STREAM_BUFFER_SIZE = 4 * 1024 * 1024

/** Streams the remote may have open at once; a NewStream over it is answered with a reset. */
export const DEFAULT_MAX_INBOUND_STREAMS = 1024

/** Streams we may have open at once; newStream() over it throws. */
export const DEFAULT_MAX_OUTBOUND_STREAMS = 1024

/**
 * How long close() waits for the remote to close its side of every stream
 * before resetting what is left: a peer that never closes must not keep the
 * session (and its socket) alive for ever.
 */
export const DEFAULT_CLOSE_TIMEOUT_MS = 5000

/**
 * The header varint is `(id << 3) | flag` and must stay a safe integer
 * (../util/varint.ts decodes up to 2^53 - 1), so stream IDs stop at 2^50 - 1.
 */
export const MAX_STREAM_ID = 2 ** 50 - 1

/**
 * The longest header plus length prefix: two Protocol Buffers varints of
 * at most 10 bytes each (padding allowed: ../util/varint.ts). Bounded so
 * that a decoder looks at no more than this many bytes before it knows the
 * frame size.
 */
export const MAX_FRAME_PREFIX_BYTES = 20
