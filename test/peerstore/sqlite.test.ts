// What only the SQLite backend promises: persistence across close/reopen,
// the exact bytes on disk, refusing files that are not ours, and atomic
// writes under real SQLite failures and a process killed mid-transaction.

import t, { type Test } from 'tap'
import { spawnSync } from 'node:child_process'
import { readFileSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { generateKeyPair, PeerId, publicKeyToProtobuf } from '../../src/peer/index.js'
import { CONNECTED_EXPIRY, CONNECTED_TTL, MemoryPeerStore, openPeerStore, RECENTLY_CONNECTED_TTL_MS, SqlitePeerStore, SCHEMA_VERSION } from '../../src/peerstore/index.js'
import { addressTexts, Clock, keyFromSeed, ma, peer, tcp, tempDir } from './fixtures.js'

const require = createRequire(import.meta.url)
type Row = Record<string, unknown>
interface RawDb {
  prepare: (sql: string) => { all: (...p: unknown[]) => Row[], get: (...p: unknown[]) => Row | undefined, run: (...p: unknown[]) => unknown }
  exec: (sql: string) => void
  pragma: (sql: string, o?: { simple: boolean }) => unknown
  close: () => void
}
/** A raw connection, to inspect or tamper with a file the way another program would. */
const rawDb = (path: string): RawDb => new (require('better-sqlite3') as new (p: string) => RawDb)(path)

const HOUR = 3_600_000
const alice = peer(1)
const bob = peer(2)

function fileIn (t: Test): string {
  const { dir, cleanup } = tempDir()
  t.teardown(cleanup)
  return join(dir, 'peers.sqlite')
}

t.test('a reopened file remembers every peer', async t => {
  const file = fileIn(t)
  const clock = new Clock()
  const ecdsa = generateKeyPair('ECDSA').publicKey
  const carol = PeerId.fromPublicKey(ecdsa)
  const first = new SqlitePeerStore(file, { now: clock.now })
  first.addAddresses(alice, [tcp(1), ma('/ip6/::1/tcp/2'), ma('/dns4/example.com/tcp/443/wss')], HOUR)
  first.addAddresses(alice, [tcp(3)])
  first.setProtocols(alice, ['/ipfs/ping/1.0.0', '/ipfs/id/1.0.0'])
  first.setPublicKey(alice, keyFromSeed(1).publicKey)
  first.setMetadata(alice, 'AgentVersion', 'p2p-ts/0.1.0 ünïcode')
  first.setMetadata(alice, 'ProtocolVersion', 'ipfs/0.1.0')
  first.setPublicKey(carol, ecdsa)
  first.addAddresses(bob, [tcp(9)], 10)
  clock.advance(5)
  first.removeAddress(alice, ma('/ip6/::1/tcp/2'))
  const before = first.all()
  first.close()

  const second = new SqlitePeerStore(file, { now: clock.now })
  t.teardown(() => second.close())
  t.same(second.all(), before, 'records read back equal to the ones written')
  const record = second.get(alice)!
  t.same(record.addresses.map(a => [a.multiaddr.toString(), a.expiresAt]), [
    ['/ip4/127.0.0.1/tcp/1', clock.time - 5 + HOUR],
    ['/dns4/example.com/tcp/443/wss', clock.time - 5 + HOUR],
    ['/ip4/127.0.0.1/tcp/3', Infinity]
  ])
  t.ok(record.publicKey!.equals(keyFromSeed(1).publicKey))
  t.ok(second.get(carol)!.publicKey!.equals(ecdsa))
  t.equal(second.get(alice)!.metadata.get('AgentVersion'), 'p2p-ts/0.1.0 ünïcode')
  t.equal(record.updatedAt, clock.time)

  // Expiry keeps counting across the restart.
  clock.advance(5)
  t.equal(second.get(bob), undefined)
  clock.advance(HOUR)
  t.same(addressTexts(second, alice), ['/ip4/127.0.0.1/tcp/3'])
  second.pruneExpired()
  second.close()
  const third = new SqlitePeerStore(file, { now: clock.now })
  t.teardown(() => third.close())
  t.same(addressTexts(third, alice), ['/ip4/127.0.0.1/tcp/3'])
  t.same(third.all().map(r => r.id.toString()).sort(), [alice.toString(), carol.toString()].sort())
})

t.test('the file holds the wire forms, byte for byte', async t => {
  const file = fileIn(t)
  const clock = new Clock()
  const store = new SqlitePeerStore(file, { now: clock.now })
  store.addAddresses(alice, [ma(`/ip4/127.0.0.1/tcp/1/p2p/${alice.toString()}`)])
  store.addAddresses(alice, [tcp(4001)], HOUR)
  store.setPublicKey(alice, keyFromSeed(1).publicKey)
  store.setProtocols(alice, ['/b', '/a'])
  store.setMetadata(alice, 'k', 'v')
  store.close()

  const db = rawDb(file)
  t.teardown(() => db.close())
  t.same(db.prepare('SELECT version FROM schema_version').all(), [{ version: SCHEMA_VERSION }])
  t.equal(db.pragma('journal_mode', { simple: true }), 'wal')
  const peers = db.prepare('SELECT peer_id, public_key, updated_at FROM peers').all()
  t.equal(peers.length, 1)
  t.same(new Uint8Array(peers[0]!.peer_id as Uint8Array), alice.bytes)
  // Identity multihash of the Ed25519 PublicKey protobuf: 00 24 | 08 01 12 20 <key>
  t.same([...alice.bytes.subarray(0, 6)], [0x00, 0x24, 0x08, 0x01, 0x12, 0x20])
  const rawKey = keyFromSeed(1).publicKey.raw
  t.same(new Uint8Array(peers[0]!.public_key as Uint8Array), Uint8Array.from([0x08, 0x01, 0x12, 0x20, ...rawKey]))
  t.same(new Uint8Array(peers[0]!.public_key as Uint8Array), publicKeyToProtobuf(keyFromSeed(1).publicKey))
  t.equal(peers[0]!.updated_at, clock.time)
  const addrs = db.prepare('SELECT multiaddr, position, expires_at FROM addresses ORDER BY position').all()
  t.same(addrs.map(a => [[...(a.multiaddr as Uint8Array)], a.position, a.expires_at]), [
    [[0x04, 127, 0, 0, 1, 0x06, 0x00, 0x01], 0, null], // /p2p/<alice> stripped; permanent = NULL
    [[0x04, 127, 0, 0, 1, 0x06, 0x0f, 0xa1], 1, clock.time + HOUR]
  ])
  t.same(db.prepare('SELECT protocol FROM protocols ORDER BY protocol').all(), [{ protocol: '/a' }, { protocol: '/b' }])
  t.same(db.prepare('SELECT key, value FROM metadata').all(), [{ key: 'k', value: 'v' }])
})

t.test('files that are not ours are refused and left untouched', async t => {
  const { dir, cleanup } = tempDir()
  t.teardown(cleanup)
  const invalid = { code: 'ERR_PEERSTORE_INVALID_FILE', name: 'P2PError' }

  const text = join(dir, 'notes.txt')
  const content = 'these are not the peers you are looking for\n'.repeat(100)
  writeFileSync(text, content)
  t.throws(() => new SqlitePeerStore(text), invalid, 'a text file')
  t.equal(readFileSync(text, 'utf8'), content)

  const tiny = join(dir, 'tiny')
  writeFileSync(tiny, 'x')
  t.throws(() => new SqlitePeerStore(tiny), invalid, 'a one-byte file')
  t.equal(readFileSync(tiny, 'utf8'), 'x')

  const other = join(dir, 'other-app.sqlite')
  const o = rawDb(other)
  o.exec('CREATE TABLE bookmarks (url TEXT)')
  o.close()
  const otherBytes = readFileSync(other)
  t.throws(() => new SqlitePeerStore(other), invalid, 'another application\'s database')
  t.same(readFileSync(other), otherBytes)

  for (const [name, setup] of [
    ['newer schema', `UPDATE schema_version SET version = ${SCHEMA_VERSION + 1}`],
    ['older schema', 'UPDATE schema_version SET version = 0'],
    ['no version row', 'DELETE FROM schema_version'],
    ['two version rows', `INSERT INTO schema_version VALUES (${SCHEMA_VERSION})`]
  ] as const) {
    const file = join(dir, `${name}.sqlite`)
    new SqlitePeerStore(file).close()
    const db = rawDb(file)
    db.exec(setup)
    db.close()
    t.throws(() => new SqlitePeerStore(file), invalid, name)
  }
  const newer = join(dir, 'newer schema.sqlite')
  try {
    new SqlitePeerStore(newer)
  } catch (err) {
    t.match((err as Error).message, new RegExp(`schema version ${SCHEMA_VERSION + 1}, written by a newer build`))
  }

  // our schema version, but a table that is not ours: refused, and the file is not kept open
  const foreign = join(dir, 'foreign-tables.sqlite')
  new SqlitePeerStore(foreign).close()
  const f = rawDb(foreign)
  f.exec('DROP TABLE addresses; CREATE TABLE addresses (url TEXT)')
  f.close()
  const fds = (): number => readdirSync('/proc/self/fd').length
  const before = fds()
  for (let i = 0; i < 5; i++) t.throws(() => new SqlitePeerStore(foreign), invalid, `foreign tables (${i + 1})`)
  t.ok(fds() <= before, `no file descriptor left open (${before} before, ${fds()} after)`)

  mkdirSync(join(dir, 'a-directory'))
  t.throws(() => new SqlitePeerStore(join(dir, 'a-directory')), invalid, 'a directory')
  t.throws(() => new SqlitePeerStore(join(dir, 'missing', 'peers.sqlite')), invalid, 'a missing directory')
  t.throws(() => new SqlitePeerStore(''), invalid, 'an empty path')
})

/** The tables versions 1 and 2 of the schema wrote as they are (the peers table differs). */
const OLD_TABLES = `CREATE TABLE addresses (peer_id BLOB NOT NULL REFERENCES peers (peer_id) ON DELETE CASCADE, multiaddr BLOB NOT NULL,
  position INTEGER NOT NULL, expires_at REAL, PRIMARY KEY (peer_id, multiaddr)) STRICT, WITHOUT ROWID;
CREATE INDEX addresses_by_expiry ON addresses (expires_at) WHERE expires_at IS NOT NULL;
CREATE TABLE protocols (peer_id BLOB NOT NULL REFERENCES peers (peer_id) ON DELETE CASCADE, protocol TEXT NOT NULL,
  PRIMARY KEY (peer_id, protocol)) STRICT, WITHOUT ROWID;
CREATE TABLE metadata (peer_id BLOB NOT NULL REFERENCES peers (peer_id) ON DELETE CASCADE, key TEXT NOT NULL,
  value TEXT NOT NULL, PRIMARY KEY (peer_id, key)) STRICT, WITHOUT ROWID;`

t.test('a file of schema version 1 (before signed peer records) is migrated in place, its peers kept', async t => {
  const file = fileIn(t)
  const v1 = rawDb(file)
  // the version 1 schema, as the build before the migration wrote it
  v1.exec(`
CREATE TABLE schema_version (version INTEGER NOT NULL) STRICT;
CREATE TABLE peers (peer_id BLOB PRIMARY KEY, public_key BLOB, updated_at REAL NOT NULL) STRICT, WITHOUT ROWID;
${OLD_TABLES}
INSERT INTO schema_version VALUES (1);`)
  v1.prepare('INSERT INTO peers VALUES (?, ?, ?)').run(alice.bytes, publicKeyToProtobuf(keyFromSeed(1).publicKey), 1234)
  v1.prepare('INSERT INTO addresses VALUES (?, ?, 0, NULL)').run(alice.bytes, tcp(7).bytes)
  v1.prepare("INSERT INTO protocols VALUES (?, '/a')").run(alice.bytes)
  v1.close()

  const store = new SqlitePeerStore(file)
  t.same(addressTexts(store, alice), ['/ip4/127.0.0.1/tcp/7'], 'addresses kept')
  t.same(store.get(alice)!.protocols, ['/a'], 'protocols kept')
  t.ok(store.get(alice)!.publicKey!.equals(keyFromSeed(1).publicKey), 'the key kept')
  t.equal(store.get(alice)!.certifiedRecord, undefined, 'no record yet')
  store.update(alice, { certifiedRecord: { seq: 5n, envelope: Uint8Array.of(5), addresses: [tcp(8)] } })
  store.close()
  const db = rawDb(file)
  t.same(db.prepare('SELECT version FROM schema_version').all(), [{ version: SCHEMA_VERSION }], `now version ${SCHEMA_VERSION}`)
  t.same(db.prepare('SELECT record_seq, record_envelope FROM peers').all(), [{ record_seq: Buffer.from('0000000000000005', 'hex'), record_envelope: Buffer.of(5) }], 'the record in its columns: seq as 8 big-endian bytes')
  db.close()
  const again = new SqlitePeerStore(file)
  t.teardown(() => { again.close() })
  t.equal(again.get(alice)!.certifiedRecord!.seq, 5n, 'and it reads back')
})

t.test('a file of schema version 2 is migrated: a record stored then stays permanent, as it was', async t => {
  const file = fileIn(t)
  const v2 = rawDb(file)
  v2.exec(`
CREATE TABLE schema_version (version INTEGER NOT NULL) STRICT;
CREATE TABLE peers (peer_id BLOB PRIMARY KEY, public_key BLOB, updated_at REAL NOT NULL, record_seq BLOB, record_envelope BLOB) STRICT, WITHOUT ROWID;
${OLD_TABLES}
INSERT INTO schema_version VALUES (2);`)
  v2.prepare('INSERT INTO peers VALUES (?, NULL, 1234, ?, ?)').run(alice.bytes, Buffer.from('0000000000000004', 'hex'), Buffer.of(4))
  v2.prepare('INSERT INTO addresses VALUES (?, ?, 0, NULL)').run(alice.bytes, tcp(7).bytes)
  v2.close()

  const store = new SqlitePeerStore(file)
  t.teardown(() => { store.close() })
  t.same(store.get(alice)!.certifiedRecord, { seq: 4n, envelope: Buffer.of(4), expiresAt: Infinity }, 'the record, permanent')
  t.same(addressTexts(store, alice), ['/ip4/127.0.0.1/tcp/7'])
  store.update(alice, { setListenAddresses: [tcp(8)] })
  t.same(addressTexts(store, alice), ['/ip4/127.0.0.1/tcp/7'], 'and in force')
  const db = rawDb(file)
  t.teardown(() => { db.close() })
  t.same(db.prepare('SELECT version FROM schema_version').all(), [{ version: 3 }])
  t.same(db.prepare('SELECT record_expires_at FROM peers').all(), [{ record_expires_at: null }])
})

t.test('the addresses of a crashed process\'s connections end when the file is opened again', async t => {
  const file = fileIn(t)
  const clock = new Clock()
  const store = new SqlitePeerStore(file, { now: clock.now })
  store.update(alice, { setListenAddresses: [tcp(1)], certifiedRecord: { seq: 1n, envelope: Uint8Array.of(1), addresses: [tcp(2)] }, addressTtlMs: CONNECTED_TTL })
  store.addAddresses(bob, [tcp(3)])
  t.same(store.get(alice)!.addresses.map(a => a.expiresAt), [CONNECTED_EXPIRY], 'connected before')
  store.close() // a process that died never called expireConnectedAddresses
  clock.advance(3_600_000)
  const again = new SqlitePeerStore(file, { now: clock.now })
  t.teardown(() => { again.close() })
  const end = clock.time + RECENTLY_CONNECTED_TTL_MS
  t.same(again.get(alice)!.addresses.map(a => a.expiresAt), [end])
  t.equal(again.get(alice)!.certifiedRecord!.expiresAt, end)
  t.same(again.get(bob)!.addresses.map(a => a.expiresAt), [Infinity], 'a permanent address is left as it is')
})

t.test('an empty file becomes a new peer store', async t => {
  const file = fileIn(t)
  writeFileSync(file, '')
  const store = new SqlitePeerStore(file)
  store.addAddresses(alice, [tcp(1)])
  store.close()
  const again = new SqlitePeerStore(file)
  t.teardown(() => again.close())
  t.same(addressTexts(again, alice), ['/ip4/127.0.0.1/tcp/1'])
})

t.test('an SQLite failure mid-transaction rolls the whole change back', async t => {
  const file = fileIn(t)
  const store = new SqlitePeerStore(file)
  t.teardown(() => store.close())
  store.addAddresses(alice, [tcp(1), tcp(2)])
  store.setProtocols(alice, ['/a', '/b'])
  // Another program adds a trigger that fails the third protocol insert.
  const db = rawDb(file)
  db.exec(`CREATE TRIGGER boom BEFORE INSERT ON protocols WHEN NEW.protocol = '/z'
           BEGIN SELECT RAISE(ABORT, 'simulated disk failure'); END`)
  db.close()
  const before = store.get(alice)
  const events: unknown[] = []
  store.on('change', e => events.push(e))
  // Deletes /a and /b, inserts /x and /y, then fails on /z.
  t.throws(() => store.setProtocols(alice, ['/x', '/y', '/z']), { code: 'ERR_PEERSTORE_WRITE_FAILED', name: 'P2PError', cause: { message: 'simulated disk failure' } })
  t.same(store.get(alice), before)
  t.equal(events.length, 0)
  t.throws(() => store.setProtocols(bob, ['/z']), { code: 'ERR_PEERSTORE_WRITE_FAILED' })
  t.equal(store.get(bob), undefined, 'a new peer is not half-created')
  store.close()
  const reopened = new SqlitePeerStore(file)
  t.teardown(() => reopened.close())
  t.same(reopened.get(alice), before)
})

t.test('a process killed mid-transaction leaves the previous state', async t => {
  const file = fileIn(t)
  const store = new SqlitePeerStore(file)
  store.addAddresses(alice, [tcp(1)])
  store.setProtocols(alice, ['/a'])
  const before = store.get(alice)
  store.close()

  // The child writes a whole new entry for alice — rows deleted and inserted
  // in the open transaction — and is then killed before COMMIT.
  const index = pathToFileURL(join(import.meta.dirname, '../../src/peerstore/index.ts')).href
  const multiaddr = pathToFileURL(join(import.meta.dirname, '../../src/multiaddr/index.ts')).href
  const peerIndex = pathToFileURL(join(import.meta.dirname, '../../src/peer/index.ts')).href
  const child = `
    import { SqlitePeerStore } from ${JSON.stringify(index)}
    import { Multiaddr } from ${JSON.stringify(multiaddr)}
    import { PeerId } from ${JSON.stringify(peerIndex)}
    class Dying extends SqlitePeerStore {
      writeEntry (peer, previous, next) {
        super.writeEntry(peer, previous, next)
        process.kill(process.pid, 'SIGKILL')
      }
    }
    const store = new Dying(${JSON.stringify(file)})
    const addrs = Array.from({ length: 64 }, (_, i) => Multiaddr.fromString('/ip4/10.0.0.1/tcp/' + (i + 1)))
    store.setAddresses(PeerId.parse(${JSON.stringify(alice.toString())}), addrs)
  `
  const loader = process.execArgv.filter(a => a.includes('typescript'))
  const result = spawnSync(process.execPath, [...loader, '--input-type=module', '-e', child], { encoding: 'utf8', timeout: 20_000 })
  t.equal(result.signal, 'SIGKILL', `the child died by SIGKILL (stderr: ${result.stderr.slice(0, 500)})`)

  const reopened = new SqlitePeerStore(file)
  t.teardown(() => reopened.close())
  t.same(reopened.get(alice), before)
})

t.test('two stores on one file see each other\'s commits', async t => {
  const file = fileIn(t)
  const a = new SqlitePeerStore(file)
  const b = new SqlitePeerStore(file)
  t.teardown(() => { a.close(); b.close() })
  a.addAddresses(alice, [tcp(1)])
  t.same(addressTexts(b, alice), ['/ip4/127.0.0.1/tcp/1'])
  b.addAddresses(alice, [tcp(2)])
  t.same(addressTexts(a, alice), ['/ip4/127.0.0.1/tcp/1', '/ip4/127.0.0.1/tcp/2'])
})

t.test('corrupt rows are reported with a typed error', async t => {
  const file = fileIn(t)
  const store = new SqlitePeerStore(file)
  t.teardown(() => store.close())
  store.addAddresses(alice, [tcp(1)])
  store.setPublicKey(bob, keyFromSeed(2).publicKey)
  const db = rawDb(file)
  db.prepare('UPDATE addresses SET multiaddr = ?').run(Buffer.from([0xff, 0xff, 0xff, 0xff]))
  db.prepare('UPDATE peers SET public_key = ? WHERE public_key IS NOT NULL').run(Buffer.from([0x08, 0x09]))
  db.close()
  const corrupt = { code: 'ERR_PEERSTORE_CORRUPT_RECORD', name: 'P2PError' }
  t.throws(() => store.get(alice), corrupt)
  t.throws(() => store.get(bob), corrupt)
  t.throws(() => store.all(), corrupt)
  store.delete(bob)
  t.equal(store.has(bob), false, 'a corrupt peer can still be deleted')
})

t.test('at maxPeers, a corrupt oldest row is pushed out like any other: new peers are still stored', async t => {
  const file = fileIn(t)
  const clock = new Clock()
  const store = new SqlitePeerStore(file, { now: clock.now, limits: { maxPeers: 2 } })
  t.teardown(() => store.close())
  store.setPublicKey(alice, keyFromSeed(1).publicKey)
  clock.advance(10)
  store.setProtocols(bob, ['/a'])
  const db = rawDb(file)
  db.prepare('UPDATE peers SET public_key = ? WHERE public_key IS NOT NULL').run(Buffer.from([0x08, 0x09]))
  t.ok((db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name = 'peers_by_update'").get() as { name: string } | undefined) !== undefined, 'the index eviction uses is there')
  db.close()
  t.throws(() => store.get(alice), { code: 'ERR_PEERSTORE_CORRUPT_RECORD' })
  clock.advance(10)
  const carol = peer(3)
  store.setProtocols(carol, ['/c'])
  t.same(store.get(carol)?.protocols, ['/c'])
  t.equal(store.has(alice), false, 'the corrupt one went')
  t.ok(store.has(bob))
})

t.test('pruneExpired removes expired rows and empty peers from the file', async t => {
  const file = fileIn(t)
  const clock = new Clock()
  const store = new SqlitePeerStore(file, { now: clock.now })
  t.teardown(() => store.close())
  store.addAddresses(alice, [tcp(1)], 10)
  store.addAddresses(alice, [tcp(2)], 20)
  store.addAddresses(bob, [tcp(3)], 10)
  store.setProtocols(bob, ['/a'])
  clock.advance(10)
  const count = (sql: string): unknown => {
    const db = rawDb(file)
    try { return db.prepare(sql).get()!.n } finally { db.close() }
  }
  t.equal(count('SELECT count(*) AS n FROM addresses'), 3, 'expired rows stay until pruned')
  store.pruneExpired()
  t.equal(count('SELECT count(*) AS n FROM addresses'), 1)
  t.equal(count('SELECT count(*) AS n FROM peers'), 2)
  clock.advance(10)
  store.pruneExpired()
  t.equal(count('SELECT count(*) AS n FROM addresses'), 0)
  t.equal(count('SELECT count(*) AS n FROM peers'), 1, 'alice, with nothing left, is gone; bob keeps his protocol')
  t.same(store.all().map(r => [r.id.toString(), r.protocols]), [[bob.toString(), ['/a']]])
})

t.test('openPeerStore picks the backend from the path', async t => {
  const file = fileIn(t)
  const memory = openPeerStore()
  t.ok(memory instanceof MemoryPeerStore)
  memory.close()
  const persistent = openPeerStore(file)
  t.ok(persistent instanceof SqlitePeerStore)
  persistent.addAddresses(alice, [tcp(1)])
  persistent.close()
  const again = openPeerStore(file)
  t.teardown(() => again.close())
  t.same(addressTexts(again, alice), ['/ip4/127.0.0.1/tcp/1'])
})
