export { PING_PROTOCOL, PING_LENGTH, PING_MAX_INBOUND_STREAMS_PER_PEER, DEFAULT_PING_TIMEOUT_MS, PING_LISTENER_TIMEOUT_MS } from './constants.js'
export { handlePing, type HandlePingOptions } from './handle-ping.js'
export { ping, checkPingOptions, type PingOptions } from './ping.js'
