// The in-memory peer store: the default, and the backend tests run fastest.
//
// Entries are immutable (./peer-entry.ts) and a mutation replaces the Map
// slot only after the whole new entry has been computed. A transaction keeps
// an undo list of the slots it replaced and puts them back if anything in it
// throws, so memory and SQLite give the same all-or-nothing guarantee.
// JavaScript's single thread means no other mutation can interleave.

import { BasePeerStore } from './base-peer-store.js'
import type { PeerId } from './deps.js'
import { isConnected, pruneAddresses, visibleEntry, type PeerEntry } from './peer-entry.js'
import type { PeerStoreOptions } from './types.js'

interface Slot {
  readonly id: PeerId
  readonly entry: PeerEntry
}

export class MemoryPeerStore extends BasePeerStore {
  /** Keyed by the peer ID's string form; the PeerId kept for `all()`. */
  readonly #peers = new Map<string, Slot>()
  /** Slots replaced by the running transaction, to restore if it throws. */
  #undo: Array<[string, Slot | undefined]> | undefined

  constructor (options: PeerStoreOptions = {}) {
    super(options)
  }

  protected readEntry (peer: PeerId): PeerEntry | undefined {
    return this.#peers.get(peer.toString())?.entry
  }

  protected writeEntry (peer: PeerId, _previous: PeerEntry | undefined, next: PeerEntry | undefined): void {
    this.#replace(peer.toString(), next === undefined ? undefined : { id: peer, entry: next })
  }

  protected readAllEntries (): Array<[PeerId, PeerEntry]> {
    return [...this.#peers.values()].map(({ id, entry }) => [id, entry])
  }

  protected transaction<T> (fn: () => T): T {
    if (this.#undo !== undefined) return fn()
    const undo: Array<[string, Slot | undefined]> = []
    this.#undo = undo
    try {
      return fn()
    } catch (err) {
      for (const [key, slot] of undo.reverse()) {
        if (slot === undefined) this.#peers.delete(key)
        else this.#peers.set(key, slot)
      }
      throw err
    } finally {
      this.#undo = undefined
    }
  }

  #replace (key: string, slot: Slot | undefined): void {
    this.#undo?.push([key, this.#peers.get(key)])
    if (slot === undefined) this.#peers.delete(key)
    else this.#peers.set(key, slot)
  }

  protected pruneStorage (now: number): void {
    for (const [key, { id, entry }] of this.#peers) {
      const pruned = pruneAddresses(entry, now)
      // nothing shown any more (an expired record alone): the peer goes
      if (visibleEntry(pruned, now) === undefined) this.#replace(key, undefined)
      else if (pruned !== entry) this.#replace(key, { id, entry: pruned })
    }
  }

  protected closeBackend (): void {
    this.#peers.clear()
  }

  protected countPeers (): number {
    return this.#peers.size
  }

  protected leastRecentlyUpdated (except: PeerId): PeerId | undefined {
    const skip = except.toString()
    let oldest: Slot | undefined
    for (const [key, slot] of this.#peers) {
      if (key === skip || isConnected(slot.entry)) continue
      // ties by peer ID bytes, as SQLite's ORDER BY updated_at, peer_id: both backends push out the same peer
      if (oldest === undefined || slot.entry.updatedAt < oldest.entry.updatedAt ||
        (slot.entry.updatedAt === oldest.entry.updatedAt && Buffer.compare(slot.id.bytes, oldest.id.bytes) < 0)) oldest = slot
    }
    return oldest?.id
  }
}
