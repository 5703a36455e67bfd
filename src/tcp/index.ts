export { dialTcp, isTcpAddr, socketMultiaddr, DEFAULT_DIAL_TIMEOUT_MS, TCP_KEEPALIVE_DELAY_MS } from './transport.js'
export type { TcpDialOptions } from './transport.js'
export { TcpListener } from './listener.js'
export type { TcpListenerOptions } from './listener.js'
