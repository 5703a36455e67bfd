// The on-disk format of the persistent peer store, and opening a file safely.
//
// One row per peer in `peers`, one row per address / protocol / metadata key
// in its own table, all keyed by the peer ID's multihash bytes. Multiaddrs
// and public keys are stored in their binary wire forms (the multiaddr binary
// encoding; the PublicKey protobuf of peer-ids.md), which are canonical, so a
// file written by one build reads back byte for byte in another. Tables are
// STRICT, so SQLite itself refuses a value of the wrong type.
//
// Opening: a file we did not write is never modified. We refuse, with
// ERR_PEERSTORE_INVALID_FILE, a file that is not SQLite, an SQLite database
// that has tables but no `schema_version` (another application's file), and
// a schema version newer than ours (written by a later build whose format we
// cannot know) or one we never wrote. An older version of ours is migrated
// in place, in one transaction (MIGRATIONS). An empty file or a missing one
// gets our schema.
//
// Durability: WAL journal, so a commit is one append and a crash (even a
// kill -9 mid-transaction) leaves either the old or the new state, never a
// mix. synchronous=NORMAL: in WAL mode this loses no committed transaction
// when the process dies; only a power loss may roll back the last ones,
// still atomically — acceptable for a cache of what peers told us.

import { closeSync, openSync, readSync } from 'node:fs'
import { P2PError, isP2PError } from '../util/errors.js'
import { PeerStoreErrorCode } from './errors.js'
import { loadDatabaseConstructor, type Database } from './sqlite-binding.js'

/** The format this build reads and writes. Bump it with a migration when the tables change. */
export const SCHEMA_VERSION = 3

/**
 * From each older version to the next: run in the transaction that checks
 * the version, so a file is migrated whole or not at all. Only our own
 * files (a schema_version table with a version we wrote) are migrated.
 */
const MIGRATIONS: Record<number, string> = {
  // 1 → 2: the newest signed peer record of each peer (RFC 0003 seq tracking)
  1: `
ALTER TABLE peers ADD COLUMN record_seq BLOB;
ALTER TABLE peers ADD COLUMN record_envelope BLOB;
`,
  // 2 → 3: the signed peer record's expiry (that of its addresses), and
  // which addresses the peer announced. A record stored by version 2 had no
  // expiry: NULL, permanent, as it was then; and version 2 let the peer's
  // next announcement replace every address: all count as announced.
  2: `
ALTER TABLE peers ADD COLUMN record_expires_at REAL;
ALTER TABLE addresses ADD COLUMN announced INTEGER NOT NULL DEFAULT 1;
`
}

/**
 * How long a write waits for another process holding the file's write lock
 * before failing with SQLITE_BUSY: long enough to outlast any one of our
 * (small) transactions, short enough that a stuck writer is reported.
 */
export const BUSY_TIMEOUT_MS = 5000

const SCHEMA = `
CREATE TABLE schema_version (
  version INTEGER NOT NULL
) STRICT;

CREATE TABLE peers (
  peer_id    BLOB PRIMARY KEY,  -- the peer ID multihash
  public_key BLOB,              -- PublicKey protobuf, or NULL when unknown
  updated_at REAL NOT NULL,     -- ms since the epoch
  record_seq BLOB,              -- the signed peer record's seq: 8 bytes, big-endian; NULL when none
  record_envelope BLOB,         -- the signed peer record's envelope as received; NULL when none
  record_expires_at REAL        -- the signed peer record's expiry, ms since the epoch; NULL = permanent (or no record)
) STRICT, WITHOUT ROWID;

CREATE TABLE addresses (
  peer_id    BLOB NOT NULL REFERENCES peers (peer_id) ON DELETE CASCADE,
  multiaddr  BLOB NOT NULL,     -- binary multiaddr, without a trailing /p2p/<peer_id>
  position   INTEGER NOT NULL,  -- order of first addition, ascending
  expires_at REAL,              -- ms since the epoch; NULL = permanent
  announced  INTEGER NOT NULL DEFAULT 1, -- 1: announced by the peer; 0: added by the application
  PRIMARY KEY (peer_id, multiaddr)
) STRICT, WITHOUT ROWID;

CREATE INDEX addresses_by_expiry ON addresses (expires_at) WHERE expires_at IS NOT NULL;

CREATE TABLE protocols (
  peer_id  BLOB NOT NULL REFERENCES peers (peer_id) ON DELETE CASCADE,
  protocol TEXT NOT NULL,
  PRIMARY KEY (peer_id, protocol)
) STRICT, WITHOUT ROWID;

CREATE TABLE metadata (
  peer_id BLOB NOT NULL REFERENCES peers (peer_id) ON DELETE CASCADE,
  key     TEXT NOT NULL,
  value   TEXT NOT NULL,
  PRIMARY KEY (peer_id, key)
) STRICT, WITHOUT ROWID;
`

/**
 * Indexes that change no data and that a build without them ignores, so
 * they are made on open (IF NOT EXISTS), without a schema version of their
 * own. peers_by_update finds the peer to push out at maxPeers without a
 * scan of every peer.
 */
const INDEXES = `
CREATE INDEX IF NOT EXISTS peers_by_update ON peers (updated_at, peer_id);
`

function invalidFile (path: string, why: string, cause?: unknown): P2PError {
  return new P2PError(PeerStoreErrorCode.INVALID_FILE, `expected a peer store file (schema version ${SCHEMA_VERSION}) at ${path}, but ${why}`, { cause })
}

/**
 * sqlite.org/fileformat.html, "1.3.1. Magic Header String": "Every valid
 * SQLite database file begins with the following 16 bytes [...] the UTF-8
 * string "SQLite format 3" including the nul terminator character at the end."
 */
const SQLITE_HEADER = Buffer.from('SQLite format 3\0', 'latin1')

/**
 * The first bytes of an existing file, or undefined when there is no file.
 * SQLite itself treats any file shorter than one page as an empty database
 * and would write over it, so we look before SQLite does.
 */
function readHead (path: string): Buffer | undefined {
  let fd: number
  try {
    fd = openSync(path, 'r')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw invalidFile(path, `it could not be read: ${(err as Error).message}`, err)
  }
  try {
    const head = Buffer.alloc(SQLITE_HEADER.length)
    const n = readSync(fd, head, 0, head.length, 0)
    return head.subarray(0, n)
  } catch (err) {
    throw invalidFile(path, `it could not be read: ${(err as Error).message}`, err)
  } finally {
    closeSync(fd)
  }
}

/** Opens (creating if needed) a peer store file and checks its schema. */
export function openPeerStoreDatabase (path: string): Database {
  if (typeof path !== 'string' || path.trim() === '') {
    throw new P2PError(PeerStoreErrorCode.INVALID_FILE, `expected a file path for the peer store, got ${typeof path === 'string' ? 'an empty string' : typeof path}`)
  }
  const head = readHead(path)
  if (head !== undefined && head.length > 0 && !head.equals(SQLITE_HEADER)) {
    throw invalidFile(path, `it does not start with the SQLite header (first bytes: ${head.subarray(0, 8).toString('hex')})`)
  }
  const Database = loadDatabaseConstructor()
  let db: Database
  try {
    db = new Database(path, { timeout: BUSY_TIMEOUT_MS })
  } catch (err) {
    throw invalidFile(path, `it could not be opened: ${(err as Error).message}`, err)
  }
  try {
    // The first statement reads the header: a file that is not SQLite fails
    // here with SQLITE_NOTADB, before anything is written to it.
    db.prepare('SELECT count(*) FROM sqlite_master').get()
    checkSchema(db, path)
    db.pragma('journal_mode = WAL')
    db.pragma('synchronous = NORMAL')
    db.pragma('foreign_keys = ON')
    return db
  } catch (err) {
    db.close()
    if (isP2PError(err)) throw err
    throw invalidFile(path, `it is not a readable SQLite database: ${(err as Error).message}`, err)
  }
}

/** Creates our tables in an empty database, or checks the version of an existing one. */
function checkSchema (db: Database, path: string): void {
  db.transaction(() => {
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all()
      .map(row => (row as { name: unknown }).name)
    if (tables.length === 0) {
      db.exec(SCHEMA)
      db.prepare('INSERT INTO schema_version (version) VALUES (?)').run(SCHEMA_VERSION)
      db.exec(INDEXES)
      return
    }
    if (!tables.includes('schema_version')) {
      throw invalidFile(path, `it is an SQLite database without a schema_version table (tables: ${tables.slice(0, 5).join(', ')})`)
    }
    const rows = db.prepare('SELECT version FROM schema_version').all()
    const version = rows.length === 1 ? (rows[0] as { version: unknown }).version : undefined
    if (typeof version !== 'number' || !Number.isInteger(version)) {
      throw invalidFile(path, `its schema_version table holds ${rows.length} rows instead of one integer version`)
    }
    if (version > SCHEMA_VERSION) {
      throw invalidFile(path, `it has schema version ${version}, written by a newer build`)
    }
    for (let from = version; from < SCHEMA_VERSION; from++) {
      const migration = MIGRATIONS[from]
      if (migration === undefined) throw invalidFile(path, `it has unknown schema version ${version}`)
      db.exec(migration)
      db.prepare('UPDATE schema_version SET version = ?').run(from + 1)
    }
    db.exec(INDEXES)
  }).immediate()
}
