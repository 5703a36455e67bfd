// Yamux stream multiplexer ('/yamux/1.0.0'): hashicorp/yamux spec.md, libp2p/specs yamux.
export { yamux, createYamux, YamuxSession, type YamuxOptions } from './session.js'
export { YamuxStream } from './stream.js'
export { encodeFrame, writeHeader, headerOf, frameTypeCode, type Frame, type FrameHeader, type DataFrame, type WindowUpdateFrame, type PingFrame, type GoAwayFrame } from './frame.js'
export { decodeFrame, decodeHeader, parseHeader, frameFromHeader } from './decode.js'
export { StreamState, StreamOpening, nextState } from './stream-state.js'
export * from './constants.js'
