// The library's public face: the node most users want, and each layer for
// those who want to build their own stack from the parts.

export { Libp2pNode, AGENT_VERSION } from './node/index.js'
export type { NodeInit, IdentifyEvent, ConnectionMonitorInit } from './node/index.js'
export { Switch } from './switch/index.js'
export type { SwitchInit, StreamHandler, HandlerOptions, ConnectionLimits } from './switch/index.js'
export { Upgrader, Connection } from './upgrader/index.js'
export type { ProtocolStream, NewStreamOptions, UpgradeTrace } from './upgrader/index.js'
export { dialTcp, TcpListener } from './tcp/index.js'
export { Multiaddr, multiaddr } from './multiaddr/index.js'
export {
  PeerId, generateKeyPair, publicKeyFromProtobuf, publicKeyToProtobuf, privateKeyFromProtobuf, privateKeyToProtobuf,
  loadKeyFile, saveKeyFile, loadOrCreateKeyFile
} from './peer/index.js'
export type { PrivateKey, PublicKey, KeyTypeName } from './peer/index.js'
export { yamux } from './yamux/index.js'
export { mplex } from './mplex/index.js'
export type { MuxedStream, StreamMuxer, StreamMuxerFactory } from './muxer/types.js'
export { MemoryPeerStore, SqlitePeerStore } from './peerstore/index.js'
export type { PeerStore, PeerRecord } from './peerstore/index.js'
export {
  PING_PROTOCOL, IDENTIFY_PROTOCOL, IDENTIFY_PUSH_PROTOCOL, ECHO_PROTOCOL, PERF_PROTOCOL, ping, perfClient
} from './protocols/index.js'
export { P2PError, isP2PError } from './util/errors.js'
export * as multistream from './multistream/index.js'
export * as noise from './noise/index.js'
