// The PeerStore API on top of any backend (./types.ts), written once.
//
// Theory of operation: each public mutation becomes one call of `mutate`,
// which, inside ONE backend transaction, reads the peer's stored entry,
// applies a pure function from ./peer-entry.ts, and writes the result back
// (or deletes the peer when nothing is left). After the transaction commits,
// and only if what `get()` shows changed, it emits one 'change' event; a
// listener that throws therefore cannot undo a committed write. Inputs are
// validated before the transaction starts, so a bad argument writes nothing.
//
// A backend supplies five primitives: read one entry, write one entry given
// the previous one (so it can write just the difference), list all entries,
// run a function as a transaction, and prune expired addresses.

import { EventEmitter } from 'node:events'
import type { PublicKey } from '../peer/types.js'
import { P2PError, isP2PError } from '../util/errors.js'
import { PeerStoreErrorCode } from './errors.js'
import { normaliseAddress } from './address.js'
import { PeerId, type Multiaddr } from './deps.js'
import { DEFAULT_LIMITS, type PeerStoreLimits } from './limits.js'
import * as entries from './peer-entry.js'
import type { AddressInput, PeerEntry } from './peer-entry.js'
import type { PeerRecord, PeerStore, PeerStoreEvents, PeerStoreOptions, PeerUpdate } from './types.js'

export abstract class BasePeerStore extends EventEmitter<PeerStoreEvents> implements PeerStore {
  protected readonly now: () => number
  protected readonly limits: PeerStoreLimits
  private closed = false

  constructor (options: PeerStoreOptions = {}) {
    super()
    this.now = options.now ?? Date.now
    this.limits = resolveLimits(options.limits)
  }

  /** The stored entry (expired addresses included), or undefined. */
  protected abstract readEntry (peer: PeerId): PeerEntry | undefined
  /** Stores `next` in place of `previous`; `next` undefined deletes the peer. */
  protected abstract writeEntry (peer: PeerId, previous: PeerEntry | undefined, next: PeerEntry | undefined): void
  protected abstract readAllEntries (): Array<[PeerId, PeerEntry]>
  /** Runs `fn` atomically: all of its writes happen, or none. */
  protected abstract transaction<T> (fn: () => T): T
  protected abstract pruneStorage (now: number): void
  protected abstract closeBackend (): void
  /** How many peers are stored (expired addresses and all). */
  protected abstract countPeers (): number
  /** The stored peer changed least recently, other than `except` and those entries.isConnected() holds. */
  protected abstract leastRecentlyUpdated (except: PeerId): PeerId | undefined

  get (peer: PeerId): PeerRecord | undefined {
    this.assertOpen()
    checkPeer(peer)
    const visible = entries.visibleEntry(this.readEntry(peer), this.now())
    return visible === undefined ? undefined : toRecord(peer, visible)
  }

  has (peer: PeerId): boolean {
    this.assertOpen()
    checkPeer(peer)
    return entries.visibleEntry(this.readEntry(peer), this.now()) !== undefined
  }

  /** Every peer with something visible, sorted by peer ID string. */
  all (): PeerRecord[] {
    this.assertOpen()
    const now = this.now()
    const records: PeerRecord[] = []
    for (const [peer, entry] of this.readAllEntries()) {
      const visible = entries.visibleEntry(entry, now)
      if (visible !== undefined) records.push(toRecord(peer, visible))
    }
    const keyed = records.map(r => ({ key: r.id.toString(), r }))
    keyed.sort((a, b) => a.key < b.key ? -1 : a.key > b.key ? 1 : 0)
    return keyed.map(({ r }) => r)
  }

  addAddresses (peer: PeerId, addrs: Multiaddr[], ttlMs: number = Infinity): void {
    const inputs = this.addressInputs(peer, addrs)
    const ttl = checkTtl(ttlMs)
    this.mutate(peer, (entry, now) => entries.addAddresses(entry, inputs, entries.expiryOf(now, ttl), now, this.limits))
  }

  setAddresses (peer: PeerId, addrs: Multiaddr[], ttlMs: number = Infinity): void {
    const inputs = this.addressInputs(peer, addrs)
    const ttl = checkTtl(ttlMs)
    this.mutate(peer, (entry, now) => entries.setAddresses(entry, inputs, entries.expiryOf(now, ttl), now, this.limits))
  }

  removeAddress (peer: PeerId, addr: Multiaddr): void {
    const [input] = this.addressInputs(peer, [addr])
    if (input === undefined) return
    this.mutate(peer, entry => entries.removeAddress(entry, input.key))
  }

  setProtocols (peer: PeerId, protocols: string[]): void {
    const checked = this.protocolInputs(protocols)
    this.mutate(peer, entry => entries.setProtocols(entry, checked, this.limits))
  }

  addProtocols (peer: PeerId, protocols: string[]): void {
    const checked = this.protocolInputs(protocols)
    this.mutate(peer, entry => entries.addProtocols(entry, checked, this.limits))
  }

  removeProtocols (peer: PeerId, protocols: string[]): void {
    const checked = this.protocolInputs(protocols)
    this.mutate(peer, entry => entries.removeProtocols(entry, checked))
  }

  setPublicKey (peer: PeerId, key: PublicKey): void {
    this.assertOpen()
    checkPeer(peer)
    checkPublicKey(peer, key)
    this.mutate(peer, entry => entries.setPublicKey(entry, key))
  }

  setMetadata (peer: PeerId, key: string, value: string): void {
    const k = entries.checkMetadataKey(key, this.limits)
    const v = entries.checkMetadataValue(k, value, this.limits)
    this.mutate(peer, entry => entries.setMetadata(entry, k, v, this.limits))
  }

  deleteMetadata (peer: PeerId, key: string): void {
    const k = entries.checkMetadataKey(key, this.limits)
    this.mutate(peer, entry => entries.deleteMetadata(entry, k))
  }

  update (peer: PeerId, changes: PeerUpdate): void {
    this.assertOpen()
    checkPeer(peer)
    const key = changes.setPublicKey
    if (key !== undefined) checkPublicKey(peer, key)
    // dropInvalid: a value the checks refuse is left out, not the update failed
    const keep = changes.dropInvalid === true ? dropRefused : throwRefused
    const addrs = changes.addAddresses === undefined ? undefined : this.addressInputs(peer, changes.addAddresses, keep)
    const announced = changes.setListenAddresses === undefined ? undefined : this.addressInputs(peer, changes.setListenAddresses, keep)
    const given = changes.certifiedRecord
    const record = given === undefined ? undefined : keep(() => entries.checkCertifiedRecord(given, this.limits))
    const certified = record === undefined ? undefined : { record, addrs: this.addressInputs(peer, record.addresses, keep) }
    const ttl = checkTtl(changes.addressTtlMs ?? Infinity)
    const protocols = changes.setProtocols === undefined ? undefined : this.protocolInputs(changes.setProtocols, keep)
    const metadata: Array<[string, string]> = []
    for (const [name, value] of Object.entries(changes.setMetadata ?? {})) {
      const entry = keep(() => {
        const k = entries.checkMetadataKey(name, this.limits)
        return [k, entries.checkMetadataValue(k, value, this.limits)] as [string, string]
      })
      if (entry !== undefined) metadata.push(entry)
    }
    this.mutate(peer, (entry, now) => {
      const expiresAt = entries.expiryOf(now, ttl)
      let next = entry
      if (key !== undefined) next = entries.setPublicKey(next, key)
      if (addrs !== undefined) next = entries.addAddresses(next, addrs, expiresAt, now, this.limits)
      if (announced !== undefined) next = entries.setListenAddresses(next, announced, expiresAt, now, this.limits)
      if (certified !== undefined) next = entries.setCertifiedRecord(next, certified.record, certified.addrs, expiresAt, now, this.limits)
      if (protocols !== undefined) next = entries.setProtocols(next, protocols, this.limits)
      for (const [k, v] of metadata) next = entries.setMetadata(next, k, v, this.limits)
      return next
    })
  }

  delete (peer: PeerId): void {
    try {
      this.mutate(peer, () => entries.EMPTY_ENTRY)
    } catch (err) {
      // A record that no longer decodes can still be forgotten (no event:
      // there is no `previous` to show).
      if (!isP2PError(err, PeerStoreErrorCode.CORRUPT_RECORD)) throw err
      this.transaction(() => { this.writeEntry(peer, undefined, undefined) })
    }
  }

  expireConnectedAddresses (peer: PeerId, ttlMs: number = entries.RECENTLY_CONNECTED_TTL_MS): void {
    const ttl = checkTtl(ttlMs)
    this.mutate(peer, (entry, now) => entries.expireConnected(entry, entries.expiryOf(now, ttl)))
  }

  pruneExpired (): void {
    this.assertOpen()
    const now = this.now()
    this.transaction(() => { this.pruneStorage(now) })
  }

  close (): void {
    if (this.closed) return
    this.closed = true
    this.closeBackend()
  }

  protected assertOpen (): void {
    if (this.closed) throw new P2PError(PeerStoreErrorCode.CLOSED, 'expected an open peer store, but close() was called')
  }

  /**
   * The one path by which a peer changes: read, compute, write, all in one
   * transaction; then the event, if `get()` would now answer differently.
   */
  private mutate (peer: PeerId, change: (entry: PeerEntry, now: number) => PeerEntry): void {
    this.assertOpen()
    checkPeer(peer)
    const now = this.now()
    let evicted: { peer: PeerId, before: PeerEntry | undefined } | undefined
    const outcome = this.transaction(() => {
      const stored = this.readEntry(peer)
      let next: PeerEntry = change(stored ?? entries.EMPTY_ENTRY, now)
      const before = entries.visibleEntry(stored, now)
      let after = entries.visibleEntry(next, now)
      const changed = !entries.sameFacts(before, after)
      if (changed && after !== undefined) {
        next = { ...next, updatedAt: now }
        after = { ...after, updatedAt: now }
      }
      // A peer with nothing visible left is not kept: no empty rows.
      const nextStored = after === undefined ? undefined : next
      // a new peer over maxPeers pushes out the one changed least recently (not a connected one)
      if (stored === undefined && nextStored !== undefined && this.countPeers() >= this.limits.maxPeers) evicted = this.evictOne(peer, now)
      if (!entries.sameEntry(stored, nextStored)) this.writeEntry(peer, stored, nextStored)
      return changed ? { before, after } : undefined
    })
    if (evicted?.before !== undefined) this.emit('change', { peerId: evicted.peer, previous: toRecord(evicted.peer, evicted.before) })
    if (outcome === undefined) return
    const previous = outcome.before === undefined ? undefined : toRecord(peer, outcome.before)
    const current = outcome.after === undefined ? undefined : toRecord(peer, outcome.after)
    this.emit('change', { peerId: peer, ...(previous === undefined ? {} : { previous }), ...(current === undefined ? {} : { current }) })
  }

  /** Deletes the peer changed least recently (not `newcomer`); what it showed, for the event. */
  private evictOne (newcomer: PeerId, now: number): { peer: PeerId, before: PeerEntry | undefined } | undefined {
    const victim = this.leastRecentlyUpdated(newcomer)
    if (victim === undefined) return undefined
    let entry: PeerEntry | undefined
    try {
      entry = this.readEntry(victim)
    } catch (err) {
      // a row that no longer decodes still goes (as delete() does), without an event: nothing to show
      if (!isP2PError(err, PeerStoreErrorCode.CORRUPT_RECORD)) throw err
    }
    this.writeEntry(victim, entry, undefined)
    return { peer: victim, before: entries.visibleEntry(entry, now) }
  }

  private addressInputs (peer: PeerId, addrs: readonly Multiaddr[], keep: Keep = throwRefused): AddressInput[] {
    this.assertOpen()
    checkPeer(peer)
    if (!Array.isArray(addrs)) throw new P2PError(PeerStoreErrorCode.INVALID_MULTIADDR, `expected an array of multiaddrs, got ${typeof addrs}`)
    const inputs: AddressInput[] = []
    for (const addr of addrs) {
      const multiaddr = keep(() => normaliseAddress(peer, addr, this.limits))
      if (multiaddr !== undefined) inputs.push({ multiaddr, key: entries.hexKey(multiaddr.bytes) })
    }
    return inputs
  }

  private protocolInputs (protocols: readonly string[], keep: Keep = throwRefused): string[] {
    this.assertOpen()
    if (!Array.isArray(protocols)) throw new P2PError(PeerStoreErrorCode.INVALID_PROTOCOL, `expected an array of protocol IDs, got ${typeof protocols}`)
    const checked: string[] = []
    for (const p of protocols) {
      const protocol = keep(() => entries.checkProtocol(p, this.limits))
      if (protocol !== undefined) checked.push(protocol)
    }
    return checked
  }
}

/** A fresh copy, so a caller editing a record cannot edit the store. */
export function toRecord (id: PeerId, entry: PeerEntry): PeerRecord {
  return {
    id,
    addresses: entry.addresses.map(a => ({ multiaddr: a.multiaddr, expiresAt: a.expiresAt, announced: a.announced })),
    protocols: [...entry.protocols],
    ...(entry.publicKey === undefined ? {} : { publicKey: entry.publicKey }),
    ...(entry.certifiedRecord === undefined ? {} : { certifiedRecord: { seq: entry.certifiedRecord.seq, envelope: Uint8Array.from(entry.certifiedRecord.envelope), expiresAt: entry.certifiedRecord.expiresAt } }),
    metadata: new Map(entry.metadata),
    updatedAt: entry.updatedAt
  }
}

function checkPeer (peer: PeerId): void {
  if (!(peer instanceof PeerId)) {
    throw new P2PError(PeerStoreErrorCode.INVALID_PEER_ID, `expected a PeerId, got ${peer === null ? 'null' : typeof peer}`)
  }
}

/**
 * peer-ids.md "Peer Ids": the ID is the key's protobuf bytes, "If the length
 * of the serialized bytes <= 42, then we compute the "identity" multihash";
 * "If the length is >42, then we hash it using it using the SHA256
 * multihash." So a key either hashes to the peer's ID or is not its key.
 */
function checkPublicKey (peer: PeerId, key: PublicKey): void {
  if (!peer.matchesPublicKey(key)) {
    throw new P2PError(PeerStoreErrorCode.KEY_MISMATCH, `expected the public key of ${peer.toString()}, got a ${key.type} key whose peer ID is different`)
  }
}

function checkTtl (ttlMs: number): number {
  if (typeof ttlMs !== 'number' || Number.isNaN(ttlMs) || ttlMs < 0) {
    throw new P2PError(PeerStoreErrorCode.INVALID_TTL, `expected a TTL of 0 ms or more (Infinity = permanent), got ${String(ttlMs)}`)
  }
  return ttlMs
}

function resolveLimits (overrides: Partial<PeerStoreLimits> = {}): PeerStoreLimits {
  const limits: { -readonly [K in keyof PeerStoreLimits]: number } = { ...DEFAULT_LIMITS }
  for (const name of Object.keys(DEFAULT_LIMITS) as Array<keyof PeerStoreLimits>) {
    const value = overrides[name]
    if (value === undefined) continue
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new P2PError(PeerStoreErrorCode.INVALID_LIMIT, `expected limits.${name} to be a positive integer, got ${String(value)}`)
    }
    limits[name] = value
  }
  return Object.freeze(limits)
}

/** Runs one value's check: its result, or (dropRefused) undefined when the check refuses it. */
type Keep = <T>(check: () => T) => T | undefined

const throwRefused: Keep = check => check()

/** Only the checks' own refusals (ERR_PEERSTORE_INVALID_*) are dropped; anything else still throws. */
const dropRefused: Keep = check => {
  try {
    return check()
  } catch (err) {
    if (isP2PError(err) && err.code.startsWith('ERR_PEERSTORE_INVALID_')) return undefined
    throw err
  }
}
