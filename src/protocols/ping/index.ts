export { PING_PROTOCOL, PING_LENGTH } from './constants.js'
export { handlePing } from './handle-ping.js'
export { ping, type PingOptions } from './ping.js'
