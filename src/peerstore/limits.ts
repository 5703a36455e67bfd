// Limits of the peer store: how much one peer may occupy.
//
// Most of what the store records about a remote peer comes from that peer
// itself (identify, identify push), so a hostile peer controls the sizes. Every
// bound here keeps one such peer from bloating memory or the database file.
// They are defaults; `PeerStoreOptions.limits` overrides any of them.
//
// What happens at a bound (documented once, enforced in ./peer-entry.ts):
// - too many items (addresses, protocols, metadata keys): the store keeps a
//   bounded set and silently drops the rest — extra items in one call are
//   ignored, and when merging exceeds the bound the addresses that expire
//   soonest (oldest first among equals) are dropped;
// - one item too large (a protocol ID, a metadata key or value, a multiaddr,
//   a signed peer record):
//   the call throws a P2PError before anything is written.

export interface PeerStoreLimits {
  /** Addresses kept per peer. */
  readonly maxAddressesPerPeer: number
  /** Protocol IDs kept per peer. */
  readonly maxProtocolsPerPeer: number
  /** Metadata keys kept per peer. */
  readonly maxMetadataEntriesPerPeer: number
  /** Longest metadata key, in UTF-8 bytes. */
  readonly maxMetadataKeyBytes: number
  /** Longest metadata value, in UTF-8 bytes. */
  readonly maxMetadataValueBytes: number
  /** Longest protocol ID, in UTF-8 bytes. */
  readonly maxProtocolIdBytes: number
  /** Longest multiaddr, in bytes of its binary form. */
  readonly maxMultiaddrBytes: number
  /** Largest signed peer record envelope kept, in bytes. */
  readonly maxCertifiedRecordBytes: number
  /** Peers kept; one more pushes out the peer changed least recently that is not connected. */
  readonly maxPeers: number
}

/**
 * A node advertises one address per interface and transport; 64 covers a
 * multi-homed host with IPv4, IPv6, TCP, QUIC and relay addresses, and bounds
 * what one identify message can make us store.
 */
export const MAX_ADDRESSES_PER_PEER = 64

/**
 * Real nodes speak a few dozen protocols (js-libp2p and go-libp2p advertise
 * under 30); 256 leaves room for applications while bounding the store.
 */
export const MAX_PROTOCOLS_PER_PEER = 256

/**
 * Metadata holds a handful of facts (agent version, protocol version, a few
 * application keys); 64 keys per peer is plenty.
 */
export const MAX_METADATA_ENTRIES_PER_PEER = 64

/** Metadata keys are names chosen by our own code, never long. */
export const MAX_METADATA_KEY_BYTES = 128

/**
 * An agent version string is tens of bytes; 4 KiB allows verbose values but
 * keeps a hostile identify from storing megabytes per peer.
 */
export const MAX_METADATA_VALUE_BYTES = 4096

/**
 * multistream-select carries a protocol ID in one message, and implementations
 * cap those messages near 1 KiB, so a longer ID could never be negotiated.
 */
export const MAX_PROTOCOL_ID_BYTES = 1024

/**
 * The longest real multiaddrs (relay circuits with two peer IDs, DNS names of
 * 255 bytes, certhashes) stay well under 1 KiB.
 */
export const MAX_MULTIADDR_BYTES = 1024

/**
 * A signed peer record arrives inside an Identify message, which peers cap
 * at 8 KiB (src/protocols/identify/constants.ts MAX_IDENTIFY_MESSAGE_SIZE).
 */
export const MAX_CERTIFIED_RECORD_BYTES = 8 * 1024

/**
 * Every peer that completes a handshake and identify leaves an entry, and a
 * remote can make fresh identities at will: without a bound, connecting with
 * one after another grows the store (and its SQLite file) for ever. 10,000
 * ordinary peers of a few KiB each stay within tens of MiB. A hostile one
 * can fill its entry up to the per-peer limits (identify alone carries ~80
 * KiB of protocol IDs: ten messages of 8 KiB), so 10,000 of those hold
 * about 750 MiB: bounded, and each paid for with a handshake and the bytes
 * sent. go-libp2p and js-libp2p leave their stores unbounded and expire
 * addresses instead. A peer holding what it announced on a connection still
 * open is not pushed out (its protocols and key are in use), so the store
 * can exceed this by the number of connected peers, which the switch's
 * connection limits bound.
 */
export const MAX_PEERS = 10_000

export const DEFAULT_LIMITS: PeerStoreLimits = Object.freeze({
  maxAddressesPerPeer: MAX_ADDRESSES_PER_PEER,
  maxProtocolsPerPeer: MAX_PROTOCOLS_PER_PEER,
  maxMetadataEntriesPerPeer: MAX_METADATA_ENTRIES_PER_PEER,
  maxMetadataKeyBytes: MAX_METADATA_KEY_BYTES,
  maxMetadataValueBytes: MAX_METADATA_VALUE_BYTES,
  maxProtocolIdBytes: MAX_PROTOCOL_ID_BYTES,
  maxMultiaddrBytes: MAX_MULTIADDR_BYTES,
  maxCertifiedRecordBytes: MAX_CERTIFIED_RECORD_BYTES,
  maxPeers: MAX_PEERS
})
