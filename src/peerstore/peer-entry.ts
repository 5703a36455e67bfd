// What the store holds about one peer, and every change to it, as pure
// functions: entry in, entry out, no I/O, no clock (`now` is an argument).
//
// Both backends run exactly these functions inside their transaction, so the
// memory store and the SQLite store cannot disagree about merging, expiry or
// limits; the backends only decide where the resulting entry lives.
//
// Theory of operation
// - An entry is immutable. A mutation builds a new entry and the backend
//   stores it whole, so an exception halfway through a computation leaves the
//   stored entry untouched.
// - Addresses keep the order in which they were first added (a peer lists its
//   preferred addresses first). An address is live while now < expiresAt.
// - An address was either announced by the peer (identify's listenAddrs or
//   signed record: `announced`) or added by the application (a bootstrap
//   list, discovery, the address it dialed). What a peer announces replaces
//   what it announced before, never what the application added.
// - Three kinds of expiry (as go-libp2p's TTLs): a time; Infinity,
//   permanent; and CONNECTED_EXPIRY, for what a peer announced while we are
//   connected to it, which becomes a time when the last connection closes
//   (expireConnected).
// - A signed peer record has an expiry too, that of the addresses it came
//   with. Once it has passed, the record no longer holds the peer's
//   addresses (unsigned ones are taken again) and is not shown, but its seq
//   still refuses older records while the peer is stored (RFC 0003).
// - Protocols are a sorted set; metadata a map with sorted keys. Sorting makes
//   two entries with the same facts equal, whichever order they arrived in.
// - Bounds (./limits.ts): extra items in one call are ignored; when a merge
//   exceeds the address bound, the older addresses that expire soonest make
//   room (a call's own addresses always fit, as the call was truncated first).

import type { PublicKey } from '../peer/types.js'
import { asBuffer } from '../util/bytes.js'
import { P2PError } from '../util/errors.js'
import { RecentMap } from '../util/recent-map.js'
import { PeerStoreErrorCode } from './errors.js'
import type { Multiaddr } from './deps.js'
import type { PeerStoreLimits } from './limits.js'
import type { CertifiedRecord, StoredCertifiedRecord } from './types.js'

export interface StoredAddress {
  readonly multiaddr: Multiaddr
  /** The multiaddr's bytes as hex (hexKey): the identity of an address within a peer. */
  readonly key: string
  /** Milliseconds since the epoch; Infinity = permanent; CONNECTED_EXPIRY = while connected. */
  readonly expiresAt: number
  /** Announced by the peer (replaced by its next announcement), not added by the application. */
  readonly announced: boolean
}

export interface PeerEntry {
  readonly addresses: readonly StoredAddress[]
  readonly protocols: readonly string[]
  readonly publicKey: PublicKey | undefined
  readonly metadata: ReadonlyMap<string, string>
  readonly certifiedRecord: StoredCertifiedRecord | undefined
  readonly updatedAt: number
}

/**
 * The expiry of what a peer announced while we are connected to it
 * (go-libp2p's ConnectedAddrTTL): later than any time, earlier than
 * permanent, and a value of its own, so that expireConnected can tell these
 * addresses from the application's. As a TTL it is CONNECTED_TTL.
 */
export const CONNECTED_EXPIRY = Number.MAX_VALUE

/** CONNECTED_EXPIRY as a TTL: what identify stores a connected peer's addresses with. */
export const CONNECTED_TTL = CONNECTED_EXPIRY

/**
 * How long a peer's announced addresses live after the last connection to
 * it closed: go-libp2p's RecentlyConnectedAddrTTL, 15 minutes.
 */
export const RECENTLY_CONNECTED_TTL_MS = 15 * 60 * 1000

/** The expiry of something stored at `now` with `ttlMs`. */
export function expiryOf (now: number, ttlMs: number): number {
  return ttlMs === Infinity || ttlMs === CONNECTED_EXPIRY ? ttlMs : now + ttlMs
}

export const EMPTY_ENTRY: PeerEntry = Object.freeze({
  addresses: Object.freeze([]),
  protocols: Object.freeze([]),
  publicKey: undefined,
  metadata: new Map<string, string>(),
  certifiedRecord: undefined,
  updatedAt: 0
})

/** Bytes as a hex string: a Map key for byte strings (multiaddrs, peer IDs). */
export function hexKey (bytes: Uint8Array): string {
  return asBuffer(bytes).toString('hex')
}

export function isLive (address: StoredAddress, now: number): boolean {
  return now < address.expiresAt
}

/** True while the signed peer record holds the peer's addresses (and is shown). */
export function recordInForce (entry: PeerEntry, now: number): boolean {
  return entry.certifiedRecord !== undefined && now < entry.certifiedRecord.expiresAt
}

/** True when the entry records nothing at all. */
export function isEmpty (entry: PeerEntry): boolean {
  return entry.addresses.length === 0 && entry.protocols.length === 0 &&
    entry.publicKey === undefined && entry.metadata.size === 0 && entry.certifiedRecord === undefined
}

/**
 * What `get()` shows at `now`: the entry without expired addresses, or
 * undefined when that leaves nothing.
 */
export function visibleEntry (entry: PeerEntry | undefined, now: number): PeerEntry | undefined {
  if (entry === undefined) return undefined
  let live = entry.addresses.every(a => isLive(a, now))
    ? entry
    : { ...entry, addresses: entry.addresses.filter(a => isLive(a, now)) }
  if (live.certifiedRecord !== undefined && !recordInForce(live, now)) live = { ...live, certifiedRecord: undefined }
  return isEmpty(live) ? undefined : live
}

/** Same facts, ignoring `updatedAt`. */
export function sameFacts (a: PeerEntry | undefined, b: PeerEntry | undefined): boolean {
  if (a === undefined || b === undefined) return a === b
  return sameAddresses(a.addresses, b.addresses) &&
    sameStrings(a.protocols, b.protocols) &&
    samePublicKey(a.publicKey, b.publicKey) &&
    sameMetadata(a.metadata, b.metadata) &&
    sameCertifiedRecord(a.certifiedRecord, b.certifiedRecord)
}

/** Same facts and the same `updatedAt`: nothing to write. */
export function sameEntry (a: PeerEntry | undefined, b: PeerEntry | undefined): boolean {
  return sameFacts(a, b) && (a === undefined || a.updatedAt === b?.updatedAt)
}

export function sameAddresses (a: readonly StoredAddress[], b: readonly StoredAddress[]): boolean {
  return a.length === b.length && a.every((x, i) => x.key === b[i]!.key && x.expiresAt === b[i]!.expiresAt && x.announced === b[i]!.announced)
}

function sameStrings (a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i])
}

export function samePublicKey (a: PublicKey | undefined, b: PublicKey | undefined): boolean {
  if (a === undefined || b === undefined) return a === b
  return a.equals(b)
}

function sameCertifiedRecord (a: StoredCertifiedRecord | undefined, b: StoredCertifiedRecord | undefined): boolean {
  if (a === undefined || b === undefined) return a === b
  return a.seq === b.seq && a.expiresAt === b.expiresAt && asBuffer(a.envelope).equals(b.envelope)
}

function sameMetadata (a: ReadonlyMap<string, string>, b: ReadonlyMap<string, string>): boolean {
  if (a.size !== b.size) return false
  for (const [k, v] of a) if (b.get(k) !== v) return false
  return true
}

// ---------------------------------------------------------------- addresses

/** One address about to be stored: already normalised and size-checked. */
export interface AddressInput {
  readonly multiaddr: Multiaddr
  readonly key: string
}

/** First occurrence of each address, at most `max` of them: the extra are ignored. */
function firstDistinct (addrs: readonly AddressInput[], max: number): AddressInput[] {
  const seen = new Set<string>()
  const out: AddressInput[] = []
  for (const a of addrs) {
    if (out.length >= max) break
    if (seen.has(a.key)) continue
    seen.add(a.key)
    out.push(a)
  }
  return out
}

/**
 * Merges `addrs` (the application's) into the entry's live addresses. A
 * known address keeps its place and its later expiry, and is the
 * application's from now on; a new one is appended. Over the bound, the
 * addresses not named in this call that expire soonest (the oldest first
 * among equals) are dropped.
 */
export function addAddresses (entry: PeerEntry, addrs: readonly AddressInput[], expiresAt: number, now: number, limits: PeerStoreLimits): PeerEntry {
  // An address that would expire at once is not added at all.
  const incoming = now < expiresAt ? firstDistinct(addrs, limits.maxAddressesPerPeer) : []
  if (incoming.length === 0 && entry.addresses.every(a => isLive(a, now))) return entry
  const merged = new Map<string, StoredAddress>()
  for (const a of entry.addresses) if (isLive(a, now)) merged.set(a.key, a)
  const named = new Set<string>()
  for (const a of incoming) {
    named.add(a.key)
    const old = merged.get(a.key)
    if (old === undefined) merged.set(a.key, { multiaddr: a.multiaddr, key: a.key, expiresAt, announced: false })
    else merged.set(a.key, { ...old, expiresAt: Math.max(old.expiresAt, expiresAt), announced: false })
  }
  let addresses = [...merged.values()]
  const excess = addresses.length - limits.maxAddressesPerPeer
  if (excess > 0) {
    const evicted = new Set(addresses
      .map((a, position) => ({ a, position }))
      .filter(({ a }) => !named.has(a.key))
      .sort((x, y) => (x.a.expiresAt - y.a.expiresAt) || (x.position - y.position))
      .slice(0, excess)
      .map(({ a }) => a.key))
    addresses = addresses.filter(a => !evicted.has(a.key))
  }
  return withAddresses(entry, addresses)
}

/** Replaces all addresses with the application's; each expires at `expiresAt`. */
export function setAddresses (entry: PeerEntry, addrs: readonly AddressInput[], expiresAt: number, now: number, limits: PeerStoreLimits): PeerEntry {
  const addresses = now < expiresAt
    ? firstDistinct(addrs, limits.maxAddressesPerPeer).map(a => ({ multiaddr: a.multiaddr, key: a.key, expiresAt, announced: false }))
    : []
  return withAddresses(entry, addresses)
}

/**
 * What a peer announced replaces what it announced before: the addresses it
 * no longer names go, but not those the application added (a bootstrap
 * list, the address it dialed), which only the application removes. Every
 * address keeps its place (the order first added); the new ones follow, in
 * the announced order, up to the bound. One the peer announced again takes
 * this expiry; one of the application's that the peer announces too keeps
 * the later of the two (as go-libp2p's AddAddrs never shortens a TTL).
 */
function replaceAnnounced (entry: PeerEntry, addrs: readonly AddressInput[], expiresAt: number, now: number, limits: PeerStoreLimits): PeerEntry {
  const incoming = now < expiresAt ? firstDistinct(addrs, limits.maxAddressesPerPeer) : []
  const named = new Set(incoming.map(a => a.key))
  const kept: StoredAddress[] = []
  for (const a of entry.addresses) {
    if (!isLive(a, now)) continue
    if (a.announced) {
      if (named.has(a.key)) kept.push(a.expiresAt === expiresAt ? a : { ...a, expiresAt })
    } else {
      kept.push(named.has(a.key) && a.expiresAt < expiresAt ? { ...a, expiresAt } : a)
    }
  }
  const known = new Set(kept.map(a => a.key))
  const added = incoming
    .filter(a => !known.has(a.key))
    .slice(0, limits.maxAddressesPerPeer - kept.length)
    .map(a => ({ multiaddr: a.multiaddr, key: a.key, expiresAt, announced: true }))
  return withAddresses(entry, [...kept, ...added])
}

/**
 * The addresses a peer announced without signing them replace what it
 * announced before (replaceAnnounced), unless its signed peer record is in
 * force: RFC 0003 records exist so that addresses cannot be forged, and only
 * a newer record replaces them.
 */
export function setListenAddresses (entry: PeerEntry, addrs: readonly AddressInput[], expiresAt: number, now: number, limits: PeerStoreLimits): PeerEntry {
  if (recordInForce(entry, now)) return entry
  return replaceAnnounced(entry, addrs, expiresAt, now, limits)
}

export function removeAddress (entry: PeerEntry, key: string): PeerEntry {
  if (!entry.addresses.some(a => a.key === key)) return entry
  return withAddresses(entry, entry.addresses.filter(a => a.key !== key))
}

/** Drops expired addresses (storage housekeeping; `get()` hides them anyway). */
export function pruneAddresses (entry: PeerEntry, now: number): PeerEntry {
  if (entry.addresses.every(a => isLive(a, now))) return entry
  return withAddresses(entry, entry.addresses.filter(a => isLive(a, now)))
}

/**
 * The last connection to the peer closed: what it announced while connected
 * (CONNECTED_EXPIRY) now expires at `expiresAt` (go-libp2p: identify moves
 * these addresses from ConnectedAddrTTL to RecentlyConnectedAddrTTL), and so
 * does its signed record if it came while connected.
 */
export function expireConnected (entry: PeerEntry, expiresAt: number): PeerEntry {
  const record = entry.certifiedRecord
  const recordConnected = record?.expiresAt === CONNECTED_EXPIRY
  if (!recordConnected && !entry.addresses.some(a => a.expiresAt === CONNECTED_EXPIRY)) return entry
  const addresses = entry.addresses.map(a => a.expiresAt === CONNECTED_EXPIRY ? { ...a, expiresAt } : a)
  return { ...entry, addresses, certifiedRecord: recordConnected ? { ...record, expiresAt } : record }
}

/** True while the entry holds something announced on a connection still open (not to be pushed out at maxPeers). */
export function isConnected (entry: PeerEntry): boolean {
  return entry.certifiedRecord?.expiresAt === CONNECTED_EXPIRY || entry.addresses.some(a => a.expiresAt === CONNECTED_EXPIRY)
}

/**
 * RFC 0003: a record whose seq is not greater than the stored record's is
 * rejected (the entry is returned unchanged); a newer one replaces the
 * addresses with its own (replaceAnnounced: the application's stay) and is
 * kept. Records replace each other whole ("newer records replace older
 * ones"), so no unsigned address a peer announced before stays beside the
 * signed ones. The stored record itself, byte for byte, sent again
 * refreshes its addresses' expiry and its own (as go-libp2p, which accepts
 * an equal seq): otherwise, once they expired, a peer that re-sends its
 * unchanged record could never make them live again. A record whose expiry
 * has passed still refuses older ones: "a receiving peer MUST keep track of
 * the latest seq value received for each peer".
 */
export function setCertifiedRecord (entry: PeerEntry, record: CertifiedRecord, addrs: readonly AddressInput[], expiresAt: number, now: number, limits: PeerStoreLimits): PeerEntry {
  const stored = entry.certifiedRecord
  const same = stored !== undefined && record.seq === stored.seq && Buffer.compare(record.envelope, stored.envelope) === 0
  if (!same && stored !== undefined && record.seq <= stored.seq) return entry
  const envelope = same ? stored.envelope : Uint8Array.from(record.envelope)
  return { ...replaceAnnounced(entry, addrs, expiresAt, now, limits), certifiedRecord: { seq: record.seq, envelope, expiresAt } }
}

/** `record`, checked: throws when the envelope is over the size bound or the seq is not a uint64 (nothing is written). */
export function checkCertifiedRecord<R extends CertifiedRecord> (record: R, limits: PeerStoreLimits): R {
  if (typeof record.seq !== 'bigint' || record.seq < 0n || record.seq >= 2n ** 64n) {
    throw new P2PError(PeerStoreErrorCode.INVALID_RECORD, `expected a signed peer record's seq to be a uint64 bigint, got ${describe(record.seq)}`)
  }
  if (!(record.envelope instanceof Uint8Array) || record.envelope.length > limits.maxCertifiedRecordBytes) {
    throw new P2PError(PeerStoreErrorCode.INVALID_RECORD, `expected a signed peer record envelope of at most ${limits.maxCertifiedRecordBytes} bytes, got ${record.envelope instanceof Uint8Array ? `${record.envelope.length} bytes` : describe(record.envelope)}`)
  }
  return record
}

function withAddresses (entry: PeerEntry, addresses: readonly StoredAddress[]): PeerEntry {
  return sameAddresses(entry.addresses, addresses) ? entry : { ...entry, addresses }
}

// ---------------------------------------------------------------- protocols

/** Any UTF-16 surrogate code unit: only a string holding one can be ill-formed. */
const SURROGATE = /[\uD800-\uDFFF]/

/**
 * Protocol IDs and metadata repeat from peer to peer (every peer announces
 * `/ipfs/id/1.0.0`, most the same agent): the store keeps one copy of each
 * recent one rather than a copy per peer. Bounded in count and in length
 * (at most 1024 × 128 UTF-16 units, 256 KiB), so a peer announcing endless
 * or huge new strings only makes older ones be copied again.
 */
const recentStrings = new RecentMap<string, string>(1024)
const SHARED_STRING_MAX_LENGTH = 128

/**
 * The string as UTF-8 can carry it: a lone surrogate (possible in a JS string,
 * impossible in UTF-8 and so in SQLite's TEXT) becomes U+FFFD. Done on the way
 * in, so both backends hold the same text and re-setting it is no change.
 * Returns the store's shared copy of that text.
 */
export function wellFormed (text: string): string {
  const formed = SURROGATE.test(text) ? Buffer.from(text, 'utf8').toString('utf8') : text
  if (formed.length > SHARED_STRING_MAX_LENGTH) return formed
  return recentStrings.remember(formed, () => formed)
}

/** The protocol ID, well-formed, or a P2PError. */
export function checkProtocol (protocol: unknown, limits: PeerStoreLimits): string {
  if (typeof protocol !== 'string' || protocol.length === 0) {
    throw new P2PError(PeerStoreErrorCode.INVALID_PROTOCOL, `expected a non-empty protocol ID string, got ${describe(protocol)}`)
  }
  const bytes = Buffer.byteLength(protocol, 'utf8')
  if (bytes > limits.maxProtocolIdBytes) {
    throw new P2PError(PeerStoreErrorCode.INVALID_PROTOCOL, `expected a protocol ID of at most ${limits.maxProtocolIdBytes} bytes, got ${bytes} bytes`)
  }
  return wellFormed(protocol)
}

/** Replaces the protocol set with the first `maxProtocolsPerPeer` distinct IDs given. */
export function setProtocols (entry: PeerEntry, protocols: readonly string[], limits: PeerStoreLimits): PeerEntry {
  const kept = new Set<string>()
  for (const p of protocols) {
    if (kept.size >= limits.maxProtocolsPerPeer) break
    kept.add(p)
  }
  return withProtocols(entry, [...kept].sort())
}

/** Adds IDs until the set holds `maxProtocolsPerPeer`; the extra are ignored. */
export function addProtocols (entry: PeerEntry, protocols: readonly string[], limits: PeerStoreLimits): PeerEntry {
  const kept = new Set(entry.protocols)
  for (const p of protocols) {
    if (kept.size >= limits.maxProtocolsPerPeer) break
    kept.add(p)
  }
  return withProtocols(entry, [...kept].sort())
}

export function removeProtocols (entry: PeerEntry, protocols: readonly string[]): PeerEntry {
  const removed = new Set(protocols)
  return withProtocols(entry, entry.protocols.filter(p => !removed.has(p)))
}

function withProtocols (entry: PeerEntry, protocols: readonly string[]): PeerEntry {
  return sameStrings(entry.protocols, protocols) ? entry : { ...entry, protocols }
}

// ---------------------------------------------------------------- public key

export function setPublicKey (entry: PeerEntry, publicKey: PublicKey): PeerEntry {
  return samePublicKey(entry.publicKey, publicKey) ? entry : { ...entry, publicKey }
}

// ---------------------------------------------------------------- metadata

/** The metadata key, well-formed, or a P2PError. */
export function checkMetadataKey (key: unknown, limits: PeerStoreLimits): string {
  if (typeof key !== 'string' || key.length === 0) {
    throw new P2PError(PeerStoreErrorCode.INVALID_METADATA, `expected a non-empty metadata key string, got ${describe(key)}`)
  }
  const keyBytes = Buffer.byteLength(key, 'utf8')
  if (keyBytes > limits.maxMetadataKeyBytes) {
    throw new P2PError(PeerStoreErrorCode.INVALID_METADATA, `expected a metadata key of at most ${limits.maxMetadataKeyBytes} bytes, got ${keyBytes} bytes`)
  }
  return wellFormed(key)
}

/** The value for metadata `key`, well-formed, or a P2PError. */
export function checkMetadataValue (key: string, value: unknown, limits: PeerStoreLimits): string {
  if (typeof value !== 'string') {
    throw new P2PError(PeerStoreErrorCode.INVALID_METADATA, `expected a string value for metadata key "${key}", got ${describe(value)}`)
  }
  const valueBytes = Buffer.byteLength(value, 'utf8')
  if (valueBytes > limits.maxMetadataValueBytes) {
    throw new P2PError(PeerStoreErrorCode.INVALID_METADATA, `expected a value of at most ${limits.maxMetadataValueBytes} bytes for metadata key "${key}", got ${valueBytes} bytes`)
  }
  return wellFormed(value)
}

/** Sets one key; a new key beyond `maxMetadataEntriesPerPeer` is ignored. */
export function setMetadata (entry: PeerEntry, key: string, value: string, limits: PeerStoreLimits): PeerEntry {
  if (entry.metadata.get(key) === value) return entry
  if (!entry.metadata.has(key) && entry.metadata.size >= limits.maxMetadataEntriesPerPeer) return entry
  return { ...entry, metadata: sortedMap([...entry.metadata, [key, value]]) }
}

export function deleteMetadata (entry: PeerEntry, key: string): PeerEntry {
  if (!entry.metadata.has(key)) return entry
  return { ...entry, metadata: sortedMap([...entry.metadata].filter(([k]) => k !== key)) }
}

/** A map whose iteration order is its keys sorted (UTF-16 code unit order). */
export function sortedMap (entries: Iterable<readonly [string, string]>): Map<string, string> {
  return new Map([...entries].sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0))
}

function describe (value: unknown): string {
  if (typeof value === 'string') return value.length === 0 ? 'an empty string' : `"${value.slice(0, 64)}"`
  return value === null ? 'null' : typeof value
}
