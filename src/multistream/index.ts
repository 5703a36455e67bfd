// multistream-select 1.0: agree on a protocol over a byte stream.
// See README.md here and the header of each module for the spec sections.

export {
  MULTISTREAM_PROTOCOL_ID, NA, LS, NEWLINE, MAX_MESSAGE_LENGTH, MAX_LS_ANSWER_LENGTH, MAX_PROPOSALS,
  DEFAULT_NEGOTIATION_TIMEOUT_MS
} from './constants.js'
export { validateProtocolId, isProtocolId, MAX_PROTOCOL_ID_LENGTH, type ProtocolId } from './protocol-id.js'
export {
  encodeMessage, encodeMessages, encodeFrame, decodeMessage, decodeText, stripNewline, checkLength, type DecodedMessage
} from './codec.js'
export { encodeLsAnswer, encodeLsAnswerBody, parseLsAnswer } from './ls.js'
export {
  MESSAGE_TYPES, HEADER, NA_MESSAGE, LS_MESSAGE, parseMessage, serializeMessage, messageText,
  type Message, type MessageType
} from './message.js'
export { ProtocolRegistry, toMatcher, type MatchFunction, type ProtocolMatcher } from './registry.js'
export { DialerMachine, type DialerState, type DialerOutcome, type DialerStep, type DialerOptions } from './dialer.js'
export { ListenerMachine, type ListenerState, type ListenerOutcome, type ListenerStep, type ListenerOptions } from './listener.js'
export { readMessageBody, writeMessages, negotiationTimeLimit, type MessageHook, type NegotiationOptions } from './io.js'
export { selectProtocol, listProtocols, type SelectOptions } from './select.js'
export { handleProtocols, handleProtocolsNow, type HandleOptions } from './handle.js'
export { writeOptimisticProposal, readOptimisticAccept } from './optimistic.js'
export { selectOptimistic, OptimisticStream } from './optimistic-stream.js'
