// The error codes of the peer store. All are thrown as P2PError
// (../util/errors.ts) with `remote: false`: the store is called by our own
// layers, which decide what a remote peer's bad input means for the
// connection. Callers branch on the code, never on the message.

export const PeerStoreErrorCode = {
  /** A call after close(). */
  CLOSED: 'ERR_PEERSTORE_CLOSED',
  /** A peer argument that is not a PeerId. */
  INVALID_PEER_ID: 'ERR_PEERSTORE_INVALID_PEER_ID',
  /** setPublicKey with a key that does not hash to the peer ID. */
  KEY_MISMATCH: 'ERR_PEERSTORE_KEY_MISMATCH',
  /** Not a Multiaddr, or longer than limits.maxMultiaddrBytes. */
  INVALID_MULTIADDR: 'ERR_PEERSTORE_INVALID_MULTIADDR',
  /** An empty protocol ID, or longer than limits.maxProtocolIdBytes. */
  INVALID_PROTOCOL: 'ERR_PEERSTORE_INVALID_PROTOCOL',
  /** An empty or over-long metadata key, or an over-long or non-string value. */
  INVALID_METADATA: 'ERR_PEERSTORE_INVALID_METADATA',
  /** A signed peer record whose seq is not a uint64 or whose envelope is over limits.maxCertifiedRecordBytes. */
  INVALID_RECORD: 'ERR_PEERSTORE_INVALID_RECORD',
  /** A TTL that is negative or NaN. */
  INVALID_TTL: 'ERR_PEERSTORE_INVALID_TTL',
  /** A `limits` option that is not a positive integer. */
  INVALID_LIMIT: 'ERR_PEERSTORE_INVALID_LIMIT',
  /** A file that is not SQLite, another application's database, or a schema version we do not know. */
  INVALID_FILE: 'ERR_PEERSTORE_INVALID_FILE',
  /** A stored row that does not decode (edited or damaged file). */
  CORRUPT_RECORD: 'ERR_PEERSTORE_CORRUPT_RECORD',
  /** SQLite failed during a write; the transaction was rolled back (`cause` holds SQLite's error). */
  WRITE_FAILED: 'ERR_PEERSTORE_WRITE_FAILED',
  /** SQLite failed during a read (`cause` holds SQLite's error). */
  READ_FAILED: 'ERR_PEERSTORE_READ_FAILED'
} as const

export type PeerStoreErrorCode = typeof PeerStoreErrorCode[keyof typeof PeerStoreErrorCode]
