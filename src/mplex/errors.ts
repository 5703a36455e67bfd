// The error codes mplex raises, each with who broke the rule and what it costs
// on the wire. Errors are ../util/errors.ts P2PError; callers branch on `code`.

export const MplexErrorCode = {
  /** Remote: a header carried flag 7, which the spec does not define. Closes the connection. */
  INVALID_FLAG: 'ERR_MPLEX_INVALID_FLAG',
  /** Remote: a length prefix over MAX_MESSAGE_SIZE. Closes the connection (framing is lost). */
  MESSAGE_TOO_LARGE: 'ERR_MPLEX_MESSAGE_TOO_LARGE',
  /** Remote: NewStream for an ID the remote already has open. Closes the connection. */
  DUPLICATE_STREAM: 'ERR_MPLEX_DUPLICATE_STREAM',
  /** Remote: data on a stream after the remote closed it. Resets that stream. */
  DATA_AFTER_CLOSE: 'ERR_MPLEX_DATA_AFTER_CLOSE',
  /** Local: the stream's reader fell more than maxStreamBufferSize behind. Resets that stream. */
  STREAM_BUFFER_OVERFLOW: 'ERR_MPLEX_STREAM_BUFFER_OVERFLOW',
  /** Local: newStream() with maxOutboundStreams already open. */
  TOO_MANY_STREAMS: 'ERR_MPLEX_TOO_MANY_STREAMS',
  /** Local: newStream() or a write after the session closed. */
  MUXER_CLOSED: 'ERR_MUXER_CLOSED',
  /** Local: close() gave up waiting for the remote to close its streams; they are reset. */
  CLOSE_TIMEOUT: 'ERR_CLOSE_TIMEOUT',
  /** The connection ended (or failed) under the session; the cause of a stream's reset. */
  CONNECTION_CLOSED: 'ERR_CONNECTION_CLOSED',
  /** A stream was reset, by the remote (remote: true) or because the session ended (remote: false). */
  STREAM_RESET: 'ERR_STREAM_RESET',
  /** Local: stream ID space exhausted, or a frame field out of range when encoding. */
  INVALID_PARAMETERS: 'ERR_INVALID_PARAMETERS'
} as const
export type MplexErrorCode = typeof MplexErrorCode[keyof typeof MplexErrorCode]
