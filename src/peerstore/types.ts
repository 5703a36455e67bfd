// The peer store's public shapes: what is known about a peer, and the one
// interface both backends (memory, SQLite) implement.
//
// Theory of operation: a peer is in the store while anything is known about
// it that has not expired — an unexpired address, a protocol, its public key
// or a metadata entry. Every mutation is one atomic step: it reads the peer,
// computes the new state with the pure functions of ./peer-entry.ts, writes it
// in one transaction, and then — only if what `get()` returns really changed —
// emits one 'change' event. Time comes from an injected clock, so expiry is
// testable without sleeping.

import type { EventEmitter } from 'node:events'
import type { PublicKey } from '../peer/types.js'
import type { Multiaddr, PeerId } from './deps.js'
import type { PeerStoreLimits } from './limits.js'

export interface Address {
  readonly multiaddr: Multiaddr
  /**
   * Milliseconds since the epoch; Infinity = permanent; CONNECTED_EXPIRY
   * (Number.MAX_VALUE) = announced by a peer we are connected to, until the
   * last connection closes (then `expireConnectedAddresses`). A TTL of
   * Number.MAX_VALUE is CONNECTED_TTL: it means "while connected", not
   * "very long".
   */
  readonly expiresAt: number
  /**
   * True: announced by the peer (identify's listen addresses or signed
   * record), replaced by its next announcement. False: added by the
   * application (addAddresses, setAddresses), which only it removes.
   */
  readonly announced: boolean
}

/**
 * The newest signed peer record a peer sent (libp2p/specs RFC 0003), as the
 * store keeps it: RFC 0003 "a receiving peer MUST keep track of the latest
 * `seq` value received for each peer and reject incoming `RoutingState`
 * messages unless they contain a greater `seq` value", and "SHOULD retain
 * the original signed envelope".
 */
export interface CertifiedRecord {
  readonly seq: bigint
  /** The signed envelope, byte for byte as received. */
  readonly envelope: Uint8Array
}

/** A signed peer record as stored: with the expiry of the addresses it came with. */
export interface StoredCertifiedRecord extends CertifiedRecord {
  /** As `Address.expiresAt`. Past it, the record no longer holds the peer's addresses and `get()` leaves it out. */
  readonly expiresAt: number
}

export interface PeerRecord {
  readonly id: PeerId
  /** Unexpired addresses, in the order they were first added. */
  readonly addresses: Address[]
  /** The newest signed peer record accepted, while it has not expired; the addresses came from it then. */
  readonly certifiedRecord?: StoredCertifiedRecord
  /** Protocol IDs, sorted (UTF-16 code unit order), without duplicates. */
  readonly protocols: string[]
  readonly publicKey?: PublicKey
  /** Metadata, keys in sorted order. */
  readonly metadata: Map<string, string>
  /** When the record last changed (ms since the epoch, from the store's clock). */
  readonly updatedAt: number
}

/**
 * Emitted once per mutation that changed what `get(peerId)` returns.
 * `previous` is absent for a new peer, `current` for a deleted one.
 */
export interface PeerStoreChangeEvent {
  readonly peerId: PeerId
  readonly previous?: PeerRecord
  readonly current?: PeerRecord
}

export interface PeerStoreEvents {
  change: [event: PeerStoreChangeEvent]
}

export interface PeerStoreOptions {
  /** The clock, ms since the epoch. Default `Date.now`. */
  now?: () => number
  /** Overrides of ./limits.ts DEFAULT_LIMITS. */
  limits?: Partial<PeerStoreLimits>
}

/**
 * Several changes to one peer, each done as the method of the same name
 * does it; absent fields change nothing.
 */
export interface PeerUpdate {
  /** As setPublicKey: must be the peer's own key. */
  setPublicKey?: PublicKey
  /** As addAddresses, with `addressTtlMs` (default Infinity). */
  addAddresses?: Multiaddr[]
  /** For every address in this update; CONNECTED_TTL for what a peer announced on an open connection. */
  addressTtlMs?: number
  /**
   * The addresses the peer announced, unsigned (identify's `listenAddrs`
   * without a signed peer record): they replace the addresses it announced
   * before (with `addressTtlMs`), so the ones it stopped announcing go;
   * the addresses the application added stay. Ignored while the
   * peer's signed record is in force: only a newer record replaces its
   * addresses (RFC 0003).
   */
  setListenAddresses?: Multiaddr[]
  /** As setProtocols: replaces the list. */
  setProtocols?: string[]
  /** As setMetadata, once per entry; keys not named keep their values. */
  setMetadata?: Record<string, string>
  /**
   * A signed peer record (already verified) and the addresses it holds:
   * accepted only when no record is stored or its seq is greater than the
   * stored one's; then its addresses replace those the peer announced
   * before (as `setListenAddresses`: the application's stay) and the record is
   * kept, with their expiry. Otherwise it is ignored, its addresses too
   * (RFC 0003). The very record stored, sent again, refreshes both expiries.
   */
  certifiedRecord?: CertifiedRecord & { addresses: Multiaddr[] }
  /**
   * For what a remote sent (identify): a value the store refuses (an empty
   * protocol ID, an address, protocol ID or metadata value over its size
   * limit, a record over its size limit) is left out instead of failing the
   * whole update, so one bad value does not cost the rest.
   */
  dropInvalid?: boolean
}

export interface PeerStore extends EventEmitter<PeerStoreEvents> {
  /** The peer's record with expired addresses left out, or undefined if nothing is known. */
  get: (peer: PeerId) => PeerRecord | undefined
  has: (peer: PeerId) => boolean
  all: () => PeerRecord[]
  /**
   * Merges `addrs` into the peer's addresses. A known address keeps its place
   * and gets the later of its old and new expiry. A trailing `/p2p/<this peer>`
   * is stripped; an address ending in another peer's ID is ignored.
   * `ttlMs` defaults to Infinity (permanent).
   */
  addAddresses: (peer: PeerId, addrs: Multiaddr[], ttlMs?: number) => void
  /** Replaces the peer's addresses; all get expiry now + ttlMs. */
  setAddresses: (peer: PeerId, addrs: Multiaddr[], ttlMs?: number) => void
  removeAddress: (peer: PeerId, addr: Multiaddr) => void
  setProtocols: (peer: PeerId, protocols: string[]) => void
  addProtocols: (peer: PeerId, protocols: string[]) => void
  removeProtocols: (peer: PeerId, protocols: string[]) => void
  /** Throws ERR_PEERSTORE_KEY_MISMATCH unless the key hashes to `peer`. */
  setPublicKey: (peer: PeerId, key: PublicKey) => void
  setMetadata: (peer: PeerId, key: string, value: string) => void
  deleteMetadata: (peer: PeerId, key: string) => void
  /**
   * Applies every change in `changes` as one mutation: all fields are
   * validated first (one bad field writes nothing), the changes go to the
   * backend in one transaction, and at most one 'change' event follows
   * (identify records what it learns this way: one write, not five).
   */
  update: (peer: PeerId, changes: PeerUpdate) => void
  delete: (peer: PeerId) => void
  /**
   * The last connection to `peer` closed: the addresses (and signed record)
   * it announced while connected, stored with CONNECTED_TTL, expire `ttlMs`
   * from now (default RECENTLY_CONNECTED_TTL_MS, 15 minutes, go-libp2p's
   * RecentlyConnectedAddrTTL). So does an address of the application's that
   * the peer announced too (it took the later expiry, CONNECTED, as in
   * go-libp2p); every other address keeps its expiry.
   */
  expireConnectedAddresses: (peer: PeerId, ttlMs?: number) => void
  /** Drops expired addresses, and peers left with nothing, from storage. Emits nothing: `get()` already hid them. */
  pruneExpired: () => void
  /** Releases the backend; later calls throw ERR_PEERSTORE_CLOSED. Idempotent. */
  close: () => void
}
