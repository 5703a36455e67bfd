export { IDENTIFY_PROTOCOL, IDENTIFY_PUSH_PROTOCOL, MAX_IDENTIFY_MESSAGE_SIZE, IDENTIFY_SEND_LIMIT, MAX_IDENTIFY_MESSAGES, DEFAULT_IDENTIFY_TIMEOUT_MS } from './constants.js'
export { encodeIdentify, decodeIdentify, mergeIdentify, IdentifyField, type IdentifyMessage } from './message.js'
export { writeIdentify, readIdentify, identifyFrames, type ReadIdentifyOptions, type WriteIdentifyOptions } from './stream.js'
export { interpretIdentify, type IdentifyResult } from './interpret.js'
export {
  buildIdentifyMessage, handleIdentify, identify, pushIdentify, handleIdentifyPush,
  DEFAULT_IDENTIFY_PROTOCOL_VERSION, type LocalIdentifyInfo
} from './service.js'
