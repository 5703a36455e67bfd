// The persistent peer store: the same behaviour as MemoryPeerStore, kept in
// an SQLite file (schema in ./sqlite-schema.ts), so a node restarted with the
// same `--peerstore FILE` remembers its peers.
//
// Theory of operation: BasePeerStore runs every mutation as read entry →
// pure change → write entry inside `transaction`, which here is one SQLite
// transaction (BEGIN IMMEDIATE ... COMMIT, ROLLBACK on any exception). The
// write is the difference between the previous and the next entry (changed
// expiries, added or removed protocols and metadata keys), so refreshing one
// peer's addresses on every identify touches a few rows, not hundreds.
// Reads of one peer run in a deferred transaction, so its four queries see
// one snapshot even while another process writes the same file.
//
// Opening the file ends the connections of the process that wrote it: what
// was stored with CONNECTED_EXPIRY (a peer's addresses and record while we
// were connected to it) now expires RECENTLY_CONNECTED_TTL_MS from the open,
// as if those connections had closed then. A clean stop has already done it;
// this is for a process that died. (Two processes sharing one file each
// end the other's, for the same reason.)

import { P2PError, isP2PError } from '../util/errors.js'
import { PeerStoreErrorCode } from './errors.js'
import { BasePeerStore } from './base-peer-store.js'
import { Multiaddr, PeerId, publicKeyFromProtobuf, publicKeyToProtobuf } from './deps.js'
import { CONNECTED_EXPIRY, RECENTLY_CONNECTED_TTL_MS, hexKey, sortedMap, type PeerEntry, type StoredAddress } from './peer-entry.js'
import type { Database, SqlValue, Statement } from './sqlite-binding.js'
import { openPeerStoreDatabase } from './sqlite-schema.js'
import type { PeerStoreOptions, StoredCertifiedRecord } from './types.js'

/** A result row: column name → value, unchecked until decoded. */
type Row = Record<string, unknown>

/** The prepared statements, made once per open file. */
function prepareStatements (db: Database) {
  const p = (sql: string): Statement => db.prepare(sql)
  return {
    selectPeer: p('SELECT public_key, updated_at, record_seq, record_envelope, record_expires_at FROM peers WHERE peer_id = ?'),
    selectAddresses: p('SELECT multiaddr, expires_at, announced FROM addresses WHERE peer_id = ? ORDER BY position'),
    selectProtocols: p('SELECT protocol FROM protocols WHERE peer_id = ?'),
    selectMetadata: p('SELECT key, value FROM metadata WHERE peer_id = ?'),
    selectAllPeers: p('SELECT peer_id, public_key, updated_at, record_seq, record_envelope, record_expires_at FROM peers'),
    selectAllAddresses: p('SELECT peer_id, multiaddr, expires_at, announced FROM addresses ORDER BY peer_id, position'),
    selectAllProtocols: p('SELECT peer_id, protocol FROM protocols'),
    selectAllMetadata: p('SELECT peer_id, key, value FROM metadata'),
    upsertPeer: p(`INSERT INTO peers (peer_id, public_key, updated_at, record_seq, record_envelope, record_expires_at) VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT (peer_id) DO UPDATE SET public_key = excluded.public_key, updated_at = excluded.updated_at,
        record_seq = excluded.record_seq, record_envelope = excluded.record_envelope, record_expires_at = excluded.record_expires_at`),
    deletePeer: p('DELETE FROM peers WHERE peer_id = ?'),
    countPeers: p('SELECT COUNT(*) AS n FROM peers'),
    // connected peers (peer-entry.ts isConnected) are not pushed out
    leastRecentlyUpdated: p(`SELECT peer_id FROM peers WHERE peer_id != ?
      AND (record_expires_at IS NULL OR record_expires_at != ?)
      AND NOT EXISTS (SELECT 1 FROM addresses a WHERE a.peer_id = peers.peer_id AND a.expires_at = ?)
      ORDER BY updated_at, peer_id LIMIT 1`),
    // appended after the peer's last position: after a prune the stored
    // positions have gaps, so an index in the list could land on an old one
    insertAddress: p('INSERT INTO addresses (peer_id, multiaddr, position, expires_at, announced) VALUES (?, ?, (SELECT COALESCE(MAX(position), -1) + 1 FROM addresses WHERE peer_id = ?), ?, ?)'),
    updateAddress: p('UPDATE addresses SET expires_at = ?, announced = ? WHERE peer_id = ? AND multiaddr = ?'),
    deleteAddresses: p('DELETE FROM addresses WHERE peer_id = ?'),
    insertProtocol: p('INSERT INTO protocols (peer_id, protocol) VALUES (?, ?)'),
    deleteProtocol: p('DELETE FROM protocols WHERE peer_id = ? AND protocol = ?'),
    upsertMetadata: p(`INSERT INTO metadata (peer_id, key, value) VALUES (?, ?, ?)
      ON CONFLICT (peer_id, key) DO UPDATE SET value = excluded.value`),
    deleteMetadata: p('DELETE FROM metadata WHERE peer_id = ? AND key = ?'),
    endConnectedAddresses: p('UPDATE addresses SET expires_at = ? WHERE expires_at = ?'),
    endConnectedRecords: p('UPDATE peers SET record_expires_at = ? WHERE record_expires_at = ?'),
    pruneAddresses: p('DELETE FROM addresses WHERE expires_at <= ?'),
    // a peer whose record has expired and who has nothing else shown goes (peer-entry.ts visibleEntry)
    pruneEmptyPeers: p(`DELETE FROM peers WHERE public_key IS NULL AND (record_envelope IS NULL OR record_expires_at <= ?)
      AND NOT EXISTS (SELECT 1 FROM addresses a WHERE a.peer_id = peers.peer_id)
      AND NOT EXISTS (SELECT 1 FROM protocols p WHERE p.peer_id = peers.peer_id)
      AND NOT EXISTS (SELECT 1 FROM metadata m WHERE m.peer_id = peers.peer_id)`)
  }
}

export class SqlitePeerStore extends BasePeerStore {
  readonly path: string
  readonly #db: Database
  readonly #sql: ReturnType<typeof prepareStatements>

  /** Opens or creates `path`; throws ERR_PEERSTORE_INVALID_FILE for a file that is not ours. */
  constructor (path: string, options: PeerStoreOptions = {}) {
    super(options)
    this.path = path
    this.#db = openPeerStoreDatabase(path)
    try {
      this.#sql = prepareStatements(this.#db)
    } catch (err) {
      // our schema version, but tables that are not ours: say so, and do not keep the file open
      this.#db.close()
      throw new P2PError(PeerStoreErrorCode.INVALID_FILE, `expected ${path} to be a peer store, but its tables do not match: ${(err as Error).message}`, { cause: err })
    }
    // the connections of the process that wrote the file are over (see the top of this file)
    const expiresAt = this.now() + RECENTLY_CONNECTED_TTL_MS
    try {
      this.transaction(() => {
        this.#sql.endConnectedAddresses.run(expiresAt, CONNECTED_EXPIRY)
        this.#sql.endConnectedRecords.run(expiresAt, CONNECTED_EXPIRY)
      })
    } catch (err) {
      this.#db.close()
      throw err
    }
  }

  protected transaction<T> (fn: () => T): T {
    if (this.#db.inTransaction) return fn()
    try {
      return this.#db.transaction(fn).immediate()
    } catch (err) {
      if (isP2PError(err)) throw err
      throw new P2PError(PeerStoreErrorCode.WRITE_FAILED, `expected to commit a change to ${this.path}, but SQLite failed: ${(err as Error).message}`, { cause: err })
    }
  }

  protected readEntry (peer: PeerId): PeerEntry | undefined {
    if (this.#db.inTransaction) return this.#readEntry(peer)
    return this.#read(() => this.#readEntry(peer))
  }

  #readEntry (peer: PeerId): PeerEntry | undefined {
    const id = peer.bytes
    const row = this.#sql.selectPeer.get(id) as Row | undefined
    if (row === undefined) return undefined
    return decodeEntry(
      row,
      this.#sql.selectAddresses.all(id) as Row[],
      (this.#sql.selectProtocols.all(id) as Row[]).map(r => r.protocol),
      (this.#sql.selectMetadata.all(id) as Row[]).map(r => [r.key, r.value])
    )
  }

  protected readAllEntries (): Array<[PeerId, PeerEntry]> {
    return this.#read(() => {
      const addresses = groupByPeer(this.#sql.selectAllAddresses.all() as Row[])
      const protocols = groupByPeer(this.#sql.selectAllProtocols.all() as Row[])
      const metadata = groupByPeer(this.#sql.selectAllMetadata.all() as Row[])
      return (this.#sql.selectAllPeers.all() as Row[]).map(r => {
        const idBytes = blob(r.peer_id, 'peer_id')
        const key = hexKey(idBytes)
        const entry = decodeEntry(
          r,
          addresses.get(key) ?? [],
          (protocols.get(key) ?? []).map(p => p.protocol),
          (metadata.get(key) ?? []).map(m => [m.key, m.value])
        )
        return [decodePeerId(idBytes), entry]
      })
    })
  }

  protected writeEntry (peer: PeerId, previous: PeerEntry | undefined, next: PeerEntry | undefined): void {
    const id = peer.bytes
    const sql = this.#sql
    if (next === undefined) {
      sql.deletePeer.run(id)
      return
    }
    const record = next.certifiedRecord
    sql.upsertPeer.run(id, next.publicKey === undefined ? null : publicKeyToProtobuf(next.publicKey), next.updatedAt,
      record === undefined ? null : seqToSql(record.seq), record === undefined ? null : record.envelope,
      record === undefined ? null : expiryToSql(record.expiresAt))

    // Addresses: update expiries in place while the old list is a prefix of
    // the new one (the common case: a refresh, or appended addresses);
    // otherwise (removal, reordering, eviction) rewrite the peer's list.
    const before = previous?.addresses ?? []
    const after = next.addresses
    const isPrefix = before.length <= after.length && before.every((a, i) => a.key === after[i]!.key)
    if (!isPrefix) sql.deleteAddresses.run(id)
    after.forEach((a, index) => {
      const old = isPrefix ? before[index] : undefined
      if (old === undefined) sql.insertAddress.run(id, a.multiaddr.bytes, id, expiryToSql(a.expiresAt), a.announced ? 1 : 0)
      else if (old.expiresAt !== a.expiresAt || old.announced !== a.announced) sql.updateAddress.run(expiryToSql(a.expiresAt), a.announced ? 1 : 0, id, a.multiaddr.bytes)
    })

    const oldProtocols = new Set(previous?.protocols ?? [])
    const newProtocols = new Set(next.protocols)
    for (const p of oldProtocols) if (!newProtocols.has(p)) sql.deleteProtocol.run(id, p)
    for (const p of newProtocols) if (!oldProtocols.has(p)) sql.insertProtocol.run(id, p)

    const oldMetadata = previous?.metadata ?? new Map<string, string>()
    for (const k of oldMetadata.keys()) if (!next.metadata.has(k)) sql.deleteMetadata.run(id, k)
    for (const [k, v] of next.metadata) if (oldMetadata.get(k) !== v) sql.upsertMetadata.run(id, k, v)
  }

  protected pruneStorage (now: number): void {
    this.#sql.pruneAddresses.run(now)
    this.#sql.pruneEmptyPeers.run(now)
  }

  protected closeBackend (): void {
    this.#db.close()
  }

  protected countPeers (): number {
    return Number((this.#sql.countPeers.get() as Row).n)
  }

  protected leastRecentlyUpdated (except: PeerId): PeerId | undefined {
    const row = this.#sql.leastRecentlyUpdated.get(except.bytes, CONNECTED_EXPIRY, CONNECTED_EXPIRY) as Row | undefined
    return row === undefined ? undefined : decodePeerId(blob(row.peer_id, 'peer_id'))
  }

  /** Runs reads in one deferred transaction: one consistent snapshot. */
  #read<T> (fn: () => T): T {
    try {
      return this.#db.transaction(fn).deferred()
    } catch (err) {
      if (isP2PError(err)) throw err
      throw new P2PError(PeerStoreErrorCode.READ_FAILED, `expected to read ${this.path}, but SQLite failed: ${(err as Error).message}`, { cause: err })
    }
  }
}

/** Rows grouped by their peer_id (as hex), keeping their order. */
function groupByPeer (rows: readonly Row[]): Map<string, Row[]> {
  const byPeer = new Map<string, Row[]>()
  for (const row of rows) {
    const key = hexKey(blob(row.peer_id, 'peer_id'))
    let list = byPeer.get(key)
    if (list === undefined) byPeer.set(key, list = [])
    list.push(row)
  }
  return byPeer
}

/** A uint64 seq as 8 big-endian bytes: SQLite's INTEGER is signed, so the top half would not fit. */
function seqToSql (seq: bigint): Uint8Array {
  const bytes = Buffer.alloc(8)
  bytes.writeBigUInt64BE(seq)
  return bytes
}

function decodeCertifiedRecord (seq: unknown, envelope: unknown, expiresAt: unknown): StoredCertifiedRecord | undefined {
  if (seq === null && envelope === null) return undefined
  const seqBytes = blob(seq, 'record_seq')
  if (seqBytes.length !== 8) throw corrupt('record_seq')
  return { seq: Buffer.from(seqBytes).readBigUInt64BE(), envelope: blob(envelope, 'record_envelope'), expiresAt: expiryFromSql(expiresAt, 'record_expires_at') }
}

/** Permanent addresses are stored as NULL: SQLite has no portable infinity. */
function expiryToSql (expiresAt: number): SqlValue {
  return expiresAt === Infinity ? null : expiresAt
}

function expiryFromSql (value: unknown, what: string): number {
  const expiresAt = value === null ? Infinity : value
  if (typeof expiresAt !== 'number') throw corrupt(what)
  return expiresAt
}

function corrupt (what: string, cause?: unknown): P2PError {
  return new P2PError(PeerStoreErrorCode.CORRUPT_RECORD, `expected a valid ${what} in the peer store file, got one that does not decode${cause instanceof Error ? `: ${cause.message}` : ''}`, { cause })
}

function blob (value: unknown, what: string): Uint8Array {
  if (!(value instanceof Uint8Array)) throw corrupt(what)
  return value
}

function decodePeerId (bytes: Uint8Array): PeerId {
  try {
    return PeerId.fromBytes(bytes)
  } catch (err) {
    throw corrupt('peer ID', err)
  }
}

/** Rebuilds an entry from rows, checking every value: the file is outside our control. */
function decodeEntry (
  peerRow: Row,
  addressRows: readonly Row[],
  protocols: unknown[],
  metadata: unknown[][]
): PeerEntry {
  const { public_key: publicKey, updated_at: updatedAt } = peerRow
  if (typeof updatedAt !== 'number') throw corrupt('updated_at')
  const addresses: StoredAddress[] = addressRows.map(row => {
    const bytes = blob(row.multiaddr, 'multiaddr')
    const expiresAt = expiryFromSql(row.expires_at, 'expires_at')
    if (row.announced !== 0 && row.announced !== 1) throw corrupt('announced')
    let multiaddr: Multiaddr
    try {
      multiaddr = Multiaddr.fromBytes(bytes)
    } catch (err) {
      throw corrupt('multiaddr', err)
    }
    return { multiaddr, key: hexKey(multiaddr.bytes), expiresAt, announced: row.announced === 1 }
  })
  let key
  if (publicKey !== null) {
    try {
      key = publicKeyFromProtobuf(blob(publicKey, 'public key'))
    } catch (err) {
      throw isP2PError(err, PeerStoreErrorCode.CORRUPT_RECORD) ? err : corrupt('public key', err)
    }
  }
  for (const p of protocols) if (typeof p !== 'string') throw corrupt('protocol')
  for (const [k, v] of metadata) if (typeof k !== 'string' || typeof v !== 'string') throw corrupt('metadata entry')
  return {
    addresses,
    protocols: (protocols as string[]).sort(),
    publicKey: key,
    metadata: sortedMap(metadata as Array<[string, string]>),
    certifiedRecord: decodeCertifiedRecord(peerRow.record_seq, peerRow.record_envelope, peerRow.record_expires_at),
    updatedAt
  }
}
