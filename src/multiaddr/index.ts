// Multiaddr: self-describing network addresses (multiformats/multiaddr).
export { Multiaddr, multiaddr, isMultiaddr } from './multiaddr.js'
export type { MultiaddrComponent, SocketAddress, SocketAddressInput } from './multiaddr.js'
export { PROTOCOLS, protocolByCode, protocolByName } from './protocols.js'
export type { Protocol, ProtocolSize } from './protocols.js'
export * from './codes.js'
export { MultiaddrErrorCode } from './errors.js'
export { addressScope, byScope, type AddressScope } from './scope.js'
