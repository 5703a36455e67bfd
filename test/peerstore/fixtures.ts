// Shared fixtures for the peer store tests: deterministic peers and
// addresses, an injectable clock, and the two backends behind one factory so
// the behaviour suite is written once and run against both.

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ed25519PrivateKeyFromSeed, PeerId, type PrivateKey } from '../../src/peer/index.js'
import { Multiaddr } from '../../src/multiaddr/index.js'
import { MemoryPeerStore, SqlitePeerStore, type PeerStore, type PeerStoreChangeEvent, type PeerStoreOptions } from '../../src/peerstore/index.js'
import type { PeerEntry } from '../../src/peerstore/peer-entry.js'

/** A deterministic Ed25519 key from a one-byte seed. */
export function keyFromSeed (n: number): PrivateKey {
  return ed25519PrivateKeyFromSeed(new Uint8Array(32).fill(n))
}

/** The peer ID of keyFromSeed(n). */
export function peer (n: number): PeerId {
  return PeerId.fromPublicKey(keyFromSeed(n).publicKey)
}

export function ma (text: string): Multiaddr {
  return Multiaddr.fromString(text)
}

/** /ip4/127.0.0.1/tcp/<port> */
export function tcp (port: number): Multiaddr {
  return ma(`/ip4/127.0.0.1/tcp/${port}`)
}

/** A clock the test moves by hand. */
export class Clock {
  constructor (public time = 1_700_000_000_000) {}
  readonly now = (): number => this.time
  advance (ms: number): void { this.time += ms }
}

/** What a test needs from a backend: a store, a way to reopen, and cleanup. */
export interface Backend {
  readonly name: string
  readonly persistent: boolean
  open: (options?: PeerStoreOptions) => PeerStore
  /** A store whose next write throws after it has written (see `crashAfterWrite`). */
  openCrashing: (options?: PeerStoreOptions) => PeerStore & Crashing
  cleanup: () => void
}

export interface Crashing {
  /** When true, the next entry write completes and then throws, inside its transaction. */
  crashAfterWrite: boolean
}

class CrashingMemoryPeerStore extends MemoryPeerStore implements Crashing {
  crashAfterWrite = false
  protected override writeEntry (peer: PeerId, previous: PeerEntry | undefined, next: PeerEntry | undefined): void {
    super.writeEntry(peer, previous, next)
    if (this.crashAfterWrite) throw new Error('simulated crash after the write')
  }
}

class CrashingSqlitePeerStore extends SqlitePeerStore implements Crashing {
  crashAfterWrite = false
  protected override writeEntry (peer: PeerId, previous: PeerEntry | undefined, next: PeerEntry | undefined): void {
    super.writeEntry(peer, previous, next)
    if (this.crashAfterWrite) throw new Error('simulated crash after the write')
  }
}

export function tempDir (): { dir: string, cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'peerstore-test-'))
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}

export function memoryBackend (): Backend {
  return {
    name: 'memory',
    persistent: false,
    open: options => new MemoryPeerStore(options),
    openCrashing: options => new CrashingMemoryPeerStore(options),
    cleanup: () => {}
  }
}

/** Every `open` of one sqlite backend uses the same file, so reopening shows persistence. */
export function sqliteBackend (): Backend {
  const { dir, cleanup } = tempDir()
  const file = join(dir, 'peers.sqlite')
  return {
    name: 'sqlite',
    persistent: true,
    open: options => new SqlitePeerStore(file, options),
    openCrashing: options => new CrashingSqlitePeerStore(file, options),
    cleanup
  }
}

/** Collects 'change' events. */
export function recordEvents (store: PeerStore): PeerStoreChangeEvent[] {
  const events: PeerStoreChangeEvent[] = []
  store.on('change', e => events.push(e))
  return events
}

/** Addresses of a record as text, for compact assertions. */
export function addressTexts (store: PeerStore, id: PeerId): string[] {
  return store.get(id)?.addresses.map(a => a.multiaddr.toString()) ?? []
}
