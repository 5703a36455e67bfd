// The peer store: what is known about every peer (addresses with expiry,
// protocols, public key, metadata), in memory or in an SQLite file.
//
//   const store = openPeerStore(argv.peerstore)        // undefined → memory
//   store.on('change', ({ peerId, previous, current }) => { ... })
//   store.addAddresses(peerId, identify.listenAddrs, 2 * 60 * 60 * 1000)
//   store.setProtocols(peerId, identify.protocols)
//   store.get(peerId)?.addresses                        // unexpired only

export type { Address, CertifiedRecord, StoredCertifiedRecord, PeerRecord, PeerStore, PeerStoreChangeEvent, PeerStoreEvents, PeerStoreOptions, PeerUpdate } from './types.js'
export { MemoryPeerStore } from './memory-peer-store.js'
export { SqlitePeerStore } from './sqlite-peer-store.js'
export { openPeerStore } from './open-peer-store.js'
export { SCHEMA_VERSION } from './sqlite-schema.js'
export { PeerStoreErrorCode } from './errors.js'
export { CONNECTED_EXPIRY, CONNECTED_TTL, RECENTLY_CONNECTED_TTL_MS } from './peer-entry.js'
export {
  DEFAULT_LIMITS,
  MAX_ADDRESSES_PER_PEER,
  MAX_PROTOCOLS_PER_PEER,
  MAX_METADATA_ENTRIES_PER_PEER,
  MAX_METADATA_KEY_BYTES,
  MAX_METADATA_VALUE_BYTES,
  MAX_PROTOCOL_ID_BYTES,
  MAX_MULTIADDR_BYTES,
  type PeerStoreLimits
} from './limits.js'
