// Choosing a backend: the one call a node makes for `--peerstore FILE`.

import { MemoryPeerStore } from './memory-peer-store.js'
import { SqlitePeerStore } from './sqlite-peer-store.js'
import type { PeerStore, PeerStoreOptions } from './types.js'

/**
 * A persistent store in `path` when one is given (throws
 * ERR_PEERSTORE_INVALID_FILE for a file that is not a peer store), otherwise
 * an in-memory store that is forgotten when the process exits.
 */
export function openPeerStore (path?: string, options: PeerStoreOptions = {}): PeerStore {
  return path === undefined ? new MemoryPeerStore(options) : new SqlitePeerStore(path, options)
}
