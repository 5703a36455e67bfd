// The peer store behaviour suite, written once and run against both
// backends (bottom of this file). Time comes from a Clock the tests move by
// hand: expiry is tested without sleeping.

import t, { type Test } from 'tap'
import { generateKeyPair, PeerId } from '../../src/peer/index.js'
import { CONNECTED_EXPIRY, CONNECTED_TTL, RECENTLY_CONNECTED_TTL_MS, type PeerStore, type PeerStoreOptions } from '../../src/peerstore/index.js'
import { addressTexts, Clock, keyFromSeed, ma, memoryBackend, peer, recordEvents, sqliteBackend, tcp, type Backend } from './fixtures.js'

const HOUR = 3_600_000

function behaviourSuite (t: Test, makeBackend: () => Backend): void {
  /** A fresh backend and store for one subtest, closed and cleaned up after it. */
  function fresh (t: Test, options: PeerStoreOptions = {}): { store: PeerStore, clock: Clock, backend: Backend } {
    const clock = new Clock()
    const backend = makeBackend()
    const store = backend.open({ now: clock.now, ...options })
    t.teardown(() => { store.close(); backend.cleanup() })
    return { store, clock, backend }
  }

  const alice = peer(1)
  const bob = peer(2)

  t.test('an empty store knows nobody', async t => {
    const { store } = fresh(t)
    t.equal(store.get(alice), undefined)
    t.equal(store.has(alice), false)
    t.same(store.all(), [])
  })

  t.test('addAddresses records addresses in order with their expiry', async t => {
    const { store, clock } = fresh(t)
    store.addAddresses(alice, [tcp(1), tcp(2)], HOUR)
    store.addAddresses(alice, [tcp(3)])
    const record = store.get(alice)
    t.ok(record)
    t.ok(record!.id.equals(alice))
    t.same(record!.addresses.map(a => [a.multiaddr.toString(), a.expiresAt]), [
      ['/ip4/127.0.0.1/tcp/1', clock.time + HOUR],
      ['/ip4/127.0.0.1/tcp/2', clock.time + HOUR],
      ['/ip4/127.0.0.1/tcp/3', Infinity]
    ])
    t.same(record!.addresses[0]!.multiaddr.bytes, Uint8Array.from([0x04, 127, 0, 0, 1, 0x06, 0, 1]))
    t.same(record!.protocols, [])
    t.equal(record!.metadata.size, 0)
    t.equal(record!.publicKey, undefined)
    t.equal(record!.updatedAt, clock.time)
    t.equal(store.has(alice), true)
    t.equal(store.has(bob), false)
  })

  t.test('addAddresses merges: a known address keeps its place and the later expiry', async t => {
    const { store, clock } = fresh(t)
    const t0 = clock.time
    store.addAddresses(alice, [tcp(1), tcp(2)], HOUR)
    clock.advance(1000)
    store.addAddresses(alice, [tcp(2), tcp(3), tcp(3)], 2 * HOUR)
    t.same(store.get(alice)!.addresses.map(a => [a.multiaddr.toString(), a.expiresAt]), [
      ['/ip4/127.0.0.1/tcp/1', t0 + HOUR],
      ['/ip4/127.0.0.1/tcp/2', t0 + 1000 + 2 * HOUR],
      ['/ip4/127.0.0.1/tcp/3', t0 + 1000 + 2 * HOUR]
    ])
    // A shorter TTL never shortens a known address's life.
    store.addAddresses(alice, [tcp(1)], 1)
    t.equal(store.get(alice)!.addresses[0]!.expiresAt, t0 + HOUR)
    // Permanent beats any TTL.
    store.addAddresses(alice, [tcp(1)])
    t.equal(store.get(alice)!.addresses[0]!.expiresAt, Infinity)
    store.addAddresses(alice, [tcp(1)], 5)
    t.equal(store.get(alice)!.addresses[0]!.expiresAt, Infinity)
  })

  t.test('a trailing /p2p/<same peer> is stripped; another peer\'s address is ignored', async t => {
    const { store } = fresh(t)
    store.addAddresses(alice, [
      ma(`/ip4/127.0.0.1/tcp/1/p2p/${alice.toString()}`),
      tcp(1),
      ma(`/ip4/127.0.0.1/tcp/2/p2p/${bob.toString()}`),
      ma(`/p2p/${alice.toString()}`),
      ma(`/ip4/127.0.0.1/tcp/3/p2p/${bob.toString()}/p2p-circuit`)
    ])
    t.same(addressTexts(store, alice), [
      '/ip4/127.0.0.1/tcp/1',
      `/ip4/127.0.0.1/tcp/3/p2p/${bob.toString()}/p2p-circuit`
    ])
    store.removeAddress(alice, ma(`/ip4/127.0.0.1/tcp/1/p2p/${alice.toString()}`))
    t.same(addressTexts(store, alice), [`/ip4/127.0.0.1/tcp/3/p2p/${bob.toString()}/p2p-circuit`])
  })

  t.test('setAddresses replaces the list; TTL 0 clears it', async t => {
    const { store, clock } = fresh(t)
    store.addAddresses(alice, [tcp(1), tcp(2)])
    store.setAddresses(alice, [tcp(3), tcp(2), tcp(3)], HOUR)
    t.same(store.get(alice)!.addresses.map(a => [a.multiaddr.toString(), a.expiresAt]), [
      ['/ip4/127.0.0.1/tcp/3', clock.time + HOUR],
      ['/ip4/127.0.0.1/tcp/2', clock.time + HOUR]
    ])
    store.setProtocols(alice, ['/p'])
    store.setAddresses(alice, [tcp(4)], 0)
    t.same(addressTexts(store, alice), [])
    t.same(store.get(alice)!.protocols, ['/p'])
  })

  t.test('expired addresses are hidden, then pruned, without sleeping', async t => {
    const { store, clock } = fresh(t)
    store.addAddresses(alice, [tcp(1)], 1000)
    store.addAddresses(alice, [tcp(2)], 2000)
    store.addAddresses(bob, [tcp(9)], 1000)
    store.setMetadata(bob, 'AgentVersion', 'x/1')
    const events = recordEvents(store)

    clock.advance(999)
    t.same(addressTexts(store, alice), ['/ip4/127.0.0.1/tcp/1', '/ip4/127.0.0.1/tcp/2'])
    clock.advance(1) // now === expiresAt of tcp/1: expired
    t.same(addressTexts(store, alice), ['/ip4/127.0.0.1/tcp/2'])
    t.same(store.all().map(r => r.addresses.length), alice.toString() < bob.toString() ? [1, 0] : [0, 1])

    clock.advance(1000)
    t.equal(store.get(alice), undefined, 'a peer with nothing unexpired is unknown')
    t.equal(store.has(alice), false)
    t.same(store.all().map(r => r.id.toString()), [bob.toString()])
    t.same(addressTexts(store, bob), [])
    t.same(store.get(bob)!.metadata, new Map([['AgentVersion', 'x/1']]))

    store.pruneExpired()
    t.equal(events.length, 0, 'expiry and pruning emit nothing: get() already hid them')
    t.equal(store.get(alice), undefined)
    t.same(store.all().map(r => r.id.toString()), [bob.toString()])

    // A re-added address starts fresh, and the peer is new again.
    store.addAddresses(alice, [tcp(2)], 1000)
    t.same(store.get(alice)!.addresses.map(a => a.expiresAt), [clock.time + 1000])
    t.equal(events.length, 1)
    t.equal(events[0]!.previous, undefined)
  })

  t.test('removeAddress removes one address; removing the last fact deletes the peer', async t => {
    const { store } = fresh(t)
    store.addAddresses(alice, [tcp(1), tcp(2)])
    const events = recordEvents(store)
    store.removeAddress(alice, tcp(7))
    t.equal(events.length, 0, 'removing an unknown address changes nothing')
    store.removeAddress(alice, tcp(1))
    t.same(addressTexts(store, alice), ['/ip4/127.0.0.1/tcp/2'])
    store.removeAddress(alice, tcp(2))
    t.equal(store.get(alice), undefined)
    t.same(store.all(), [])
    t.equal(events.length, 2)
    t.equal(events[1]!.current, undefined)
    t.same(events[1]!.previous!.addresses.map(a => a.multiaddr.toString()), ['/ip4/127.0.0.1/tcp/2'])
    store.removeAddress(bob, tcp(1))
    t.equal(events.length, 2)
  })

  t.test('protocols are a sorted set', async t => {
    const { store } = fresh(t)
    store.setProtocols(alice, ['/ipfs/ping/1.0.0', '/ipfs/id/1.0.0', '/ipfs/ping/1.0.0'])
    t.same(store.get(alice)!.protocols, ['/ipfs/id/1.0.0', '/ipfs/ping/1.0.0'])
    store.addProtocols(alice, ['/echo/1.0.0', '/ipfs/id/1.0.0'])
    t.same(store.get(alice)!.protocols, ['/echo/1.0.0', '/ipfs/id/1.0.0', '/ipfs/ping/1.0.0'])
    store.removeProtocols(alice, ['/ipfs/id/1.0.0', '/unknown'])
    t.same(store.get(alice)!.protocols, ['/echo/1.0.0', '/ipfs/ping/1.0.0'])
    store.setProtocols(alice, ['/perf/1.0.0'])
    t.same(store.get(alice)!.protocols, ['/perf/1.0.0'])
    store.setProtocols(alice, ['/ü', '/z', '/a'])
    t.same(store.get(alice)!.protocols, ['/a', '/z', '/ü'])
  })

  t.test('invalid protocol IDs are refused and nothing is written', async t => {
    const { store } = fresh(t, { limits: { maxProtocolIdBytes: 8 } })
    store.setProtocols(alice, ['/a'])
    t.throws(() => store.setProtocols(alice, ['/b', '']), { code: 'ERR_PEERSTORE_INVALID_PROTOCOL', name: 'P2PError' })
    t.throws(() => store.addProtocols(alice, ['/b', '/123456789']), { code: 'ERR_PEERSTORE_INVALID_PROTOCOL', name: 'P2PError' })
    t.throws(() => store.addProtocols(alice, ['/b', 7 as unknown as string]), { code: 'ERR_PEERSTORE_INVALID_PROTOCOL', name: 'P2PError' })
    store.addProtocols(alice, ['/1234567'])
    t.same(store.get(alice)!.protocols, ['/1234567', '/a'])
    t.throws(() => store.setProtocols(alice, ['/éééé']), { code: 'ERR_PEERSTORE_INVALID_PROTOCOL', name: 'P2PError' }, 'the bound counts UTF-8 bytes')
  })

  t.test('setPublicKey accepts the key of the peer and refuses any other', async t => {
    const { store } = fresh(t)
    store.setPublicKey(alice, keyFromSeed(1).publicKey)
    const record = store.get(alice)!
    t.ok(record.publicKey!.equals(keyFromSeed(1).publicKey))
    t.equal(record.publicKey!.type, 'Ed25519')
    t.same(record.addresses, [])
    t.throws(() => store.setPublicKey(alice, keyFromSeed(2).publicKey), { code: 'ERR_PEERSTORE_KEY_MISMATCH', name: 'P2PError' })
    t.throws(() => store.setPublicKey(bob, keyFromSeed(1).publicKey), { code: 'ERR_PEERSTORE_KEY_MISMATCH', name: 'P2PError' })
    t.equal(store.get(bob), undefined)
    t.ok(store.get(alice)!.publicKey!.equals(keyFromSeed(1).publicKey))

    // A key too long to inline: the peer ID is its sha2-256 multihash.
    const ecdsa = generateKeyPair('ECDSA').publicKey
    const hashed = PeerId.fromPublicKey(ecdsa)
    t.equal(hashed.bytes[0], 0x12, 'sha2-256 multihash')
    store.setPublicKey(hashed, ecdsa)
    t.ok(store.get(hashed)!.publicKey!.equals(ecdsa))
    t.equal(store.get(hashed)!.publicKey!.type, 'ECDSA')
  })

  t.test('metadata: set, overwrite, delete, with bounded keys and values', async t => {
    const { store } = fresh(t, { limits: { maxMetadataValueBytes: 10, maxMetadataKeyBytes: 5 } })
    store.setMetadata(alice, 'proto', 'ipfs/0.1.0')
    store.setMetadata(alice, 'agent', 'js/1')
    store.setMetadata(alice, 'agent', 'js/2')
    t.same([...store.get(alice)!.metadata], [['agent', 'js/2'], ['proto', 'ipfs/0.1.0']])
    t.throws(() => store.setMetadata(alice, 'agent', '12345678901'), { code: 'ERR_PEERSTORE_INVALID_METADATA', name: 'P2PError' })
    t.throws(() => store.setMetadata(alice, 'agent', 'éééééé'), { code: 'ERR_PEERSTORE_INVALID_METADATA', name: 'P2PError' }, 'UTF-8 bytes are counted')
    t.throws(() => store.setMetadata(alice, '', 'x'), { code: 'ERR_PEERSTORE_INVALID_METADATA', name: 'P2PError' })
    t.throws(() => store.setMetadata(alice, 'toolong', 'x'), { code: 'ERR_PEERSTORE_INVALID_METADATA', name: 'P2PError' })
    t.throws(() => store.setMetadata(alice, 'k', 1 as unknown as string), { code: 'ERR_PEERSTORE_INVALID_METADATA', name: 'P2PError' })
    t.equal(store.get(alice)!.metadata.get('agent'), 'js/2', 'a refused value leaves the old one')
    store.setMetadata(alice, 'empty', '')
    t.equal(store.get(alice)!.metadata.get('empty'), '')
    store.deleteMetadata(alice, 'agent')
    store.deleteMetadata(alice, 'none')
    t.same([...store.get(alice)!.metadata], [['empty', ''], ['proto', 'ipfs/0.1.0']])
  })

  t.test('text that UTF-8 cannot carry is stored as U+FFFD, the same in every backend', async t => {
    const { store } = fresh(t)
    const events = recordEvents(store)
    store.setMetadata(alice, 'agent\uD800', 'x\uDC00y')
    store.setMetadata(alice, 'agent\uD800', 'x\uDC00y')
    store.setProtocols(alice, ['/p\uD83D'])
    store.setProtocols(alice, ['/p\uD83D'])
    t.same([...store.get(alice)!.metadata], [['agent\uFFFD', 'x\uFFFDy']])
    t.same(store.get(alice)!.protocols, ['/p\uFFFD'])
    t.equal(events.length, 2, 're-setting the same text is no change')
  })

  t.test('delete forgets everything about one peer', async t => {
    const { store } = fresh(t)
    store.addAddresses(alice, [tcp(1)])
    store.setProtocols(alice, ['/a'])
    store.setPublicKey(alice, keyFromSeed(1).publicKey)
    store.setMetadata(alice, 'k', 'v')
    store.addAddresses(bob, [tcp(2)])
    const events = recordEvents(store)
    store.delete(alice)
    store.delete(alice)
    t.equal(store.get(alice), undefined)
    t.same(store.all().map(r => r.id.toString()), [bob.toString()])
    t.equal(events.length, 1)
    t.ok(events[0]!.peerId.equals(alice))
    t.equal(events[0]!.current, undefined)
    t.same(events[0]!.previous!.protocols, ['/a'])
    // Nothing left behind: new facts start a clean record.
    store.setMetadata(alice, 'k2', 'v2')
    t.same(store.get(alice)!.addresses, [])
    t.same(store.get(alice)!.protocols, [])
    t.equal(store.get(alice)!.publicKey, undefined)
    t.same([...store.get(alice)!.metadata], [['k2', 'v2']])
  })

  t.test('all() lists every known peer, sorted by peer ID', async t => {
    const { store } = fresh(t)
    const peers = [3, 4, 5, 6, 7].map(peer)
    for (const [i, p] of peers.entries()) store.addAddresses(p, [tcp(i + 1)])
    const ids = store.all().map(r => r.id.toString())
    t.same(ids, peers.map(p => p.toString()).sort())
    for (const r of store.all()) {
      const i = peers.findIndex(p => p.equals(r.id))
      t.same(r.addresses.map(a => a.multiaddr.toString()), [`/ip4/127.0.0.1/tcp/${i + 1}`])
    }
  })

  t.test('change events: one per real change, with previous and current', async t => {
    const { store, clock } = fresh(t)
    const events = recordEvents(store)
    const t0 = clock.time
    store.addAddresses(alice, [tcp(1)], HOUR)
    t.equal(events.length, 1)
    t.ok(events[0]!.peerId.equals(alice))
    t.equal(events[0]!.previous, undefined)
    t.same(events[0]!.current!.addresses.map(a => a.multiaddr.toString()), ['/ip4/127.0.0.1/tcp/1'])
    t.equal(events[0]!.current!.updatedAt, t0)

    clock.advance(10)
    store.addAddresses(alice, [tcp(1)], HOUR - 10) // same expiry: no change
    store.addAddresses(alice, [tcp(1)], 1) // earlier expiry: ignored, no change
    store.setProtocols(alice, [])
    store.removeProtocols(alice, ['/x'])
    store.deleteMetadata(alice, 'k')
    store.addAddresses(alice, [])
    t.equal(events.length, 1, 'no-op mutations emit nothing')
    t.equal(store.get(alice)!.updatedAt, t0, 'and do not touch updatedAt')

    store.addAddresses(alice, [tcp(1)], HOUR) // later expiry: a change
    t.equal(events.length, 2)
    t.equal(events[1]!.previous!.addresses[0]!.expiresAt, t0 + HOUR)
    t.equal(events[1]!.current!.addresses[0]!.expiresAt, t0 + 10 + HOUR)
    t.equal(events[1]!.previous!.updatedAt, t0)
    t.equal(events[1]!.current!.updatedAt, t0 + 10)

    store.setProtocols(alice, ['/b', '/a'])
    store.setProtocols(alice, ['/a', '/b'])
    t.equal(events.length, 3, 'the same set in another order is no change')
    store.setMetadata(alice, 'k', 'v')
    store.setMetadata(alice, 'k', 'v')
    t.equal(events.length, 4)
    store.setPublicKey(alice, keyFromSeed(1).publicKey)
    store.setPublicKey(alice, keyFromSeed(1).publicKey)
    t.equal(events.length, 5)
    t.ok(events[4]!.current!.publicKey!.equals(keyFromSeed(1).publicKey))
    t.equal(events[4]!.previous!.publicKey, undefined)
    t.same(store.get(alice), events[4]!.current, 'the event shows what get() returns')
  })

  t.test('update: several changes as one mutation, the same as the single calls, one event', async t => {
    const one = fresh(t)
    const single = fresh(t)
    const events = recordEvents(one.store)
    single.store.setMetadata(alice, 'keep', 'old')
    one.store.setMetadata(alice, 'keep', 'old')
    t.equal(events.length, 1)

    one.clock.advance(5)
    single.clock.advance(5)
    one.store.update(alice, {
      setPublicKey: keyFromSeed(1).publicKey,
      addAddresses: [tcp(2), tcp(1), tcp(2)],
      addressTtlMs: HOUR,
      setProtocols: ['/b', '/a'],
      setMetadata: { AgentVersion: 'x/1', keep: 'new', z: '' }
    })
    single.store.setPublicKey(alice, keyFromSeed(1).publicKey)
    single.store.addAddresses(alice, [tcp(2), tcp(1), tcp(2)], HOUR)
    single.store.setProtocols(alice, ['/b', '/a'])
    single.store.setMetadata(alice, 'AgentVersion', 'x/1')
    single.store.setMetadata(alice, 'keep', 'new')
    single.store.setMetadata(alice, 'z', '')
    t.same(one.store.get(alice), single.store.get(alice), 'the same record as the six calls')
    t.same(addressTexts(one.store, alice), ['/ip4/127.0.0.1/tcp/2', '/ip4/127.0.0.1/tcp/1'])
    t.equal(one.store.get(alice)!.addresses[0]!.expiresAt, one.clock.time + HOUR)
    t.equal(events.length, 2, 'one event for the whole update')
    t.equal(events[1]!.previous!.publicKey, undefined)
    t.same(events[1]!.current, one.store.get(alice))

    one.store.update(alice, { setProtocols: ['/a', '/b'], setMetadata: { keep: 'new' }, addAddresses: [tcp(1)], addressTtlMs: HOUR })
    one.store.update(alice, {})
    t.equal(events.length, 2, 'an update that changes nothing emits nothing')

    one.store.update(alice, { setProtocols: ['/c'] })
    t.same(one.store.get(alice)!.protocols, ['/c'], 'protocols are replaced')
    t.equal(one.store.get(alice)!.metadata.get('AgentVersion'), 'x/1', 'absent fields are unchanged')
    t.equal(events.length, 3)
  })

  t.test('update: one invalid field writes nothing', async t => {
    const { store } = fresh(t, { limits: { maxMetadataValueBytes: 10 } })
    store.addAddresses(alice, [tcp(1)])
    const events = recordEvents(store)
    const before = store.get(alice)
    t.throws(() => store.update(alice, { addAddresses: [tcp(2)], setProtocols: ['/x'], setMetadata: { AgentVersion: '12345678901' } }),
      { code: 'ERR_PEERSTORE_INVALID_METADATA', name: 'P2PError' })
    t.throws(() => store.update(alice, { addAddresses: [tcp(2)], setPublicKey: keyFromSeed(2).publicKey }),
      { code: 'ERR_PEERSTORE_KEY_MISMATCH', name: 'P2PError' })
    t.throws(() => store.update(alice, { addAddresses: [tcp(2)], setProtocols: [''] }),
      { code: 'ERR_PEERSTORE_INVALID_PROTOCOL', name: 'P2PError' })
    t.throws(() => store.update(alice, { addAddresses: [tcp(2)], addressTtlMs: -1 }),
      { code: 'ERR_PEERSTORE_INVALID_TTL', name: 'P2PError' })
    t.same(store.get(alice), before, 'the record is as it was')
    t.equal(events.length, 0)
  })

  t.test('signed peer records (RFC 0003): only a greater seq is accepted, and it replaces the addresses', async t => {
    const { store, backend, clock } = fresh(t)
    const events = recordEvents(store)
    const envelope = (n: number): Uint8Array => Uint8Array.from([0x0a, n, n, n])
    store.update(alice, { setListenAddresses: [tcp(9)], addressTtlMs: HOUR }) // announced unsigned, before any record
    store.update(alice, { certifiedRecord: { seq: 10n, envelope: envelope(10), addresses: [tcp(1), tcp(2)] }, setProtocols: ['/a'] })
    t.same(addressTexts(store, alice), ['/ip4/127.0.0.1/tcp/1', '/ip4/127.0.0.1/tcp/2'], 'the record\'s addresses replace what was known')
    t.same(store.get(alice)!.certifiedRecord, { seq: 10n, envelope: envelope(10), expiresAt: Infinity }, 'the record is kept, envelope as received')
    t.equal(events.length, 2)

    store.update(alice, { certifiedRecord: { seq: 9n, envelope: envelope(9), addresses: [tcp(3)] }, setProtocols: ['/b'] })
    t.same(addressTexts(store, alice), ['/ip4/127.0.0.1/tcp/1', '/ip4/127.0.0.1/tcp/2'], 'an older record is rejected, its addresses too')
    t.equal(store.get(alice)!.certifiedRecord!.seq, 10n)
    t.same(store.get(alice)!.protocols, ['/b'], 'the rest of the update still applies')
    store.update(alice, { certifiedRecord: { seq: 10n, envelope: envelope(11), addresses: [tcp(4)] } })
    t.same(store.get(alice)!.certifiedRecord, { seq: 10n, envelope: envelope(10), expiresAt: Infinity }, 'an equal seq is rejected too ("unless they contain a greater seq")')

    clock.advance(5)
    const big = 2n ** 64n - 1n
    store.update(alice, { certifiedRecord: { seq: big, envelope: envelope(12), addresses: [tcp(5)] } })
    t.same(addressTexts(store, alice), ['/ip4/127.0.0.1/tcp/5'], 'a newer record replaces the older')
    t.equal(store.get(alice)!.certifiedRecord!.seq, big, 'seq is a full uint64')

    const record = store.get(alice)!
    record.certifiedRecord!.envelope[0] = 0xff
    t.equal(store.get(alice)!.certifiedRecord!.envelope[0], 0x0a, 'the record handed out is a copy')

    t.throws(() => store.update(alice, { certifiedRecord: { seq: 2n ** 64n, envelope: envelope(1), addresses: [] } }), { code: 'ERR_PEERSTORE_INVALID_RECORD' })
    t.throws(() => store.update(alice, { certifiedRecord: { seq: 20n, envelope: new Uint8Array(8193), addresses: [] } }), { code: 'ERR_PEERSTORE_INVALID_RECORD' }, 'over maxCertifiedRecordBytes')
    t.equal(store.get(alice)!.certifiedRecord!.seq, big, 'nothing written by a refused update')

    if (backend.persistent) {
      store.close()
      const again = backend.open({ now: clock.now })
      t.teardown(() => { again.close() })
      t.same(again.get(alice)!.certifiedRecord, { seq: big, envelope: envelope(12), expiresAt: Infinity }, 'the record survives a reopen')
      again.update(alice, { certifiedRecord: { seq: 3n, envelope: envelope(3), addresses: [tcp(6)] } })
      t.same(addressTexts(again, alice), ['/ip4/127.0.0.1/tcp/5'], 'and still rejects an older one after it')
    }
  })

  t.test('setListenAddresses: unsigned announced addresses replace the known ones, unless a signed record is stored', async t => {
    const { store, clock } = fresh(t)
    store.update(alice, { setListenAddresses: [tcp(9)] })
    store.update(alice, { setListenAddresses: [tcp(1), tcp(2)], addressTtlMs: HOUR })
    t.same(addressTexts(store, alice), ['/ip4/127.0.0.1/tcp/1', '/ip4/127.0.0.1/tcp/2'], 'they replace what was known')
    store.update(alice, { setListenAddresses: [tcp(2)] })
    t.same(addressTexts(store, alice), ['/ip4/127.0.0.1/tcp/2'], 'one no longer announced goes')
    clock.advance(HOUR + 1)
    t.same(addressTexts(store, alice), ['/ip4/127.0.0.1/tcp/2'], 'with the TTL of its update (none: permanent)')

    store.update(alice, { certifiedRecord: { seq: 1n, envelope: Uint8Array.of(0x0a, 1), addresses: [tcp(5)] } })
    store.update(alice, { setListenAddresses: [tcp(6)], setProtocols: ['/p'] })
    t.same(addressTexts(store, alice), ['/ip4/127.0.0.1/tcp/5'], 'a stored record keeps its addresses')
    t.same(store.get(alice)!.protocols, ['/p'], 'the rest of the update still applies')
  })

  t.test('dropInvalid: values the checks refuse are left out, the rest is written', async t => {
    const { store } = fresh(t, { limits: { maxMultiaddrBytes: 16 } })
    const long = ma('/ip6/2001:db8::1/tcp/1')
    t.ok(long.bytes.length > 16, `${long.bytes.length} bytes, over maxMultiaddrBytes`)
    t.throws(() => store.update(alice, { setProtocols: ['/a', ''] }), { code: 'ERR_PEERSTORE_INVALID_PROTOCOL' }, 'without it, one bad value fails the update')
    t.equal(store.get(alice), undefined)
    store.update(alice, {
      dropInvalid: true,
      setListenAddresses: [tcp(1), long],
      setProtocols: ['/a', '', 'x'.repeat(2000), '/b'],
      setMetadata: { AgentVersion: 'y'.repeat(5000), ProtocolVersion: 'ipfs/0.1.0' }
    })
    const record = store.get(alice)!
    t.same(record.addresses.map(a => a.multiaddr.toString()), ['/ip4/127.0.0.1/tcp/1'])
    t.same(record.protocols, ['/a', '/b'])
    t.same([...record.metadata], [['ProtocolVersion', 'ipfs/0.1.0']])
    t.throws(() => store.update(alice, { dropInvalid: true, setPublicKey: keyFromSeed(2).publicKey }), { code: 'ERR_PEERSTORE_KEY_MISMATCH' }, 'another peer\'s key is never a value to drop')
  })

  t.test('addresses keep the order they were first added in, also after a prune left gaps', async t => {
    const { store, clock, backend } = fresh(t)
    store.addAddresses(alice, [tcp(5)], 10)
    store.addAddresses(alice, [tcp(3), tcp(4)])
    clock.advance(20)
    store.pruneExpired()
    store.addAddresses(alice, [tcp(2)])
    t.same(addressTexts(store, alice), ['/ip4/127.0.0.1/tcp/3', '/ip4/127.0.0.1/tcp/4', '/ip4/127.0.0.1/tcp/2'])
    if (backend.persistent) {
      store.close()
      const again = backend.open({ now: clock.now })
      t.teardown(() => { again.close() })
      t.same(addressTexts(again, alice), ['/ip4/127.0.0.1/tcp/3', '/ip4/127.0.0.1/tcp/4', '/ip4/127.0.0.1/tcp/2'], 'and after a reopen')
    }
  })

  t.test('the stored record sent again refreshes its addresses\' expiry; another with the same seq is still rejected', async t => {
    const { store, clock } = fresh(t)
    const envelope = Uint8Array.from([0x0a, 5])
    store.update(alice, { certifiedRecord: { seq: 5n, envelope, addresses: [tcp(1)] }, addressTtlMs: 100 })
    clock.advance(200)
    t.same(addressTexts(store, alice), [], 'expired')
    store.update(alice, { certifiedRecord: { seq: 5n, envelope: Uint8Array.from([0x0a, 6]), addresses: [tcp(9)] }, addressTtlMs: 100 })
    t.same(addressTexts(store, alice), [], 'a different record with the same seq: rejected (RFC 0003)')
    store.update(alice, { certifiedRecord: { seq: 5n, envelope: Uint8Array.from(envelope), addresses: [tcp(1)] }, addressTtlMs: 100 })
    t.same(addressTexts(store, alice), ['/ip4/127.0.0.1/tcp/1'], 'the same record again: its address lives again')
    t.same(store.get(alice)!.certifiedRecord, { seq: 5n, envelope, expiresAt: clock.time + 100 })
  })

  t.test('maxPeers: a new peer beyond it pushes out the one changed least recently', async t => {
    const { store, clock, backend } = fresh(t, { limits: { maxPeers: 3 } })
    const [p1, p2, p3, p4] = [peer(11), peer(12), peer(13), peer(14)]
    for (const p of [p1, p2, p3]) {
      store.setProtocols(p, ['/a'])
      clock.advance(10)
    }
    store.setProtocols(p1, ['/b']) // p1 changed last now: p2 is the oldest
    clock.advance(10)
    store.setProtocols(p3, ['/a']) // no change: p3 keeps its time
    const events = recordEvents(store)
    store.setProtocols(p4, ['/a'])
    t.same(store.all().map(r => r.id.toString()).sort(), [p1, p3, p4].map(p => p.toString()).sort(), 'p2 went')
    t.same(events.map(e => [e.peerId.toString(), e.previous !== undefined, e.current !== undefined]), [
      [p2.toString(), true, false],
      [p4.toString(), false, true]
    ], 'one event for the peer pushed out, one for the new one')
    store.setProtocols(p1, ['/c'])
    t.equal(store.all().length, 3, 'changing a stored peer pushes nobody out')
    if (backend.persistent) {
      store.close()
      const again = backend.open({ now: clock.now, limits: { maxPeers: 3 } })
      t.teardown(() => { again.close() })
      t.equal(again.all().length, 3)
      again.setProtocols(peer(15), ['/a'])
      t.notOk(again.has(p3), 'after a reopen too, the least recently changed (p3) goes')
    }
  })

  t.test('a peer known only by its record stays in the store', async t => {
    const { store } = fresh(t)
    store.update(alice, { certifiedRecord: { seq: 1n, envelope: Uint8Array.of(1), addresses: [] } })
    t.equal(store.has(alice), true)
    store.pruneExpired()
    t.equal(store.get(alice)!.certifiedRecord!.seq, 1n)
  })

  t.test('what a peer announced on an open connection lives until the last one closes, then RECENTLY_CONNECTED_TTL_MS', async t => {
    const { store, clock, backend } = fresh(t)
    store.addAddresses(alice, [tcp(9)]) // the application's own: permanent
    store.update(alice, { setListenAddresses: [tcp(7), tcp(6)], addressTtlMs: HOUR })
    store.addAddresses(alice, [tcp(8), tcp(5)], HOUR) // the application's too, for an hour
    store.update(alice, { setListenAddresses: [tcp(1), tcp(8), tcp(6), tcp(2)], addressTtlMs: CONNECTED_TTL })
    const expiries = (s: PeerStore): Array<[string, number, boolean]> => s.get(alice)!.addresses.map(a => [a.multiaddr.toString(), a.expiresAt, a.announced])
    t.same(expiries(store), [
      ['/ip4/127.0.0.1/tcp/9', Infinity, false],
      ['/ip4/127.0.0.1/tcp/6', CONNECTED_EXPIRY, true],
      ['/ip4/127.0.0.1/tcp/8', CONNECTED_EXPIRY, false],
      ['/ip4/127.0.0.1/tcp/5', clock.time + HOUR, false],
      ['/ip4/127.0.0.1/tcp/1', CONNECTED_EXPIRY, true],
      ['/ip4/127.0.0.1/tcp/2', CONNECTED_EXPIRY, true]
    ], 'tcp/7, no longer announced, went; the application\'s stay, in place; tcp/8, announced too, takes the later expiry; new ones follow')
    clock.advance(1000 * HOUR)
    t.same(addressTexts(store, alice), ['/ip4/127.0.0.1/tcp/9', '/ip4/127.0.0.1/tcp/6', '/ip4/127.0.0.1/tcp/8', '/ip4/127.0.0.1/tcp/1', '/ip4/127.0.0.1/tcp/2'], 'no time ends a connected address')
    if (backend.persistent) {
      t.same(expiries(store)[3], ['/ip4/127.0.0.1/tcp/1', CONNECTED_EXPIRY, true], 'stored as it is')
    }
    store.addAddresses(alice, [tcp(1)], HOUR)
    t.same(expiries(store)[3], ['/ip4/127.0.0.1/tcp/1', CONNECTED_EXPIRY, false], 'a shorter TTL does not shorten it; the application claims it')

    const events = recordEvents(store)
    store.expireConnectedAddresses(alice)
    const end = clock.time + RECENTLY_CONNECTED_TTL_MS
    t.equal(RECENTLY_CONNECTED_TTL_MS, 15 * 60 * 1000, 'go-libp2p\'s RecentlyConnectedAddrTTL')
    t.same(expiries(store), [
      ['/ip4/127.0.0.1/tcp/9', Infinity, false],
      ['/ip4/127.0.0.1/tcp/6', end, true],
      ['/ip4/127.0.0.1/tcp/8', end, false],
      ['/ip4/127.0.0.1/tcp/1', end, false],
      ['/ip4/127.0.0.1/tcp/2', end, true]
    ], 'connected addresses now expire, whoever added them (as go-libp2p\'s UpdateAddrs); the permanent one does not')
    t.equal(events.length, 1, 'one change event')
    store.expireConnectedAddresses(alice)
    t.equal(events.length, 1, 'nothing connected left: no change')
    clock.advance(RECENTLY_CONNECTED_TTL_MS)
    t.same(addressTexts(store, alice), ['/ip4/127.0.0.1/tcp/9'])
    t.throws(() => store.expireConnectedAddresses(alice, -1), { code: 'ERR_PEERSTORE_INVALID_TTL' })
  })

  t.test('a signed record expires with its addresses: unsigned ones are taken again, older records still refused', async t => {
    const { store, clock } = fresh(t)
    const envelope = (n: number): Uint8Array => Uint8Array.from([0x0a, n])
    store.addAddresses(alice, [tcp(9)]) // the application's: stays beside the record
    store.update(alice, { certifiedRecord: { seq: 7n, envelope: envelope(7), addresses: [tcp(1)] }, addressTtlMs: CONNECTED_TTL })
    t.same(addressTexts(store, alice), ['/ip4/127.0.0.1/tcp/9', '/ip4/127.0.0.1/tcp/1'])
    t.equal(store.get(alice)!.certifiedRecord!.expiresAt, CONNECTED_EXPIRY)
    store.update(alice, { setListenAddresses: [tcp(2)], addressTtlMs: CONNECTED_TTL })
    t.same(addressTexts(store, alice), ['/ip4/127.0.0.1/tcp/9', '/ip4/127.0.0.1/tcp/1'], 'in force: unsigned addresses are ignored')

    store.expireConnectedAddresses(alice)
    t.equal(store.get(alice)!.certifiedRecord!.expiresAt, clock.time + RECENTLY_CONNECTED_TTL_MS, 'the record expires with its addresses')
    clock.advance(RECENTLY_CONNECTED_TTL_MS)
    t.equal(store.get(alice)!.certifiedRecord, undefined, 'an expired record is not shown')
    store.update(alice, { setListenAddresses: [tcp(2)], addressTtlMs: HOUR })
    t.same(addressTexts(store, alice), ['/ip4/127.0.0.1/tcp/9', '/ip4/127.0.0.1/tcp/2'], 'and no longer holds the addresses')
    store.update(alice, { certifiedRecord: { seq: 6n, envelope: envelope(6), addresses: [tcp(3)] } })
    t.same(addressTexts(store, alice), ['/ip4/127.0.0.1/tcp/9', '/ip4/127.0.0.1/tcp/2'], 'its seq still refuses an older record (RFC 0003 MUST)')
    store.update(alice, { certifiedRecord: { seq: 7n, envelope: envelope(7), addresses: [tcp(1)] }, addressTtlMs: HOUR })
    t.same(addressTexts(store, alice), ['/ip4/127.0.0.1/tcp/9', '/ip4/127.0.0.1/tcp/1'], 'the same record again is in force again')
    t.same(store.get(alice)!.certifiedRecord, { seq: 7n, envelope: envelope(7), expiresAt: clock.time + HOUR })
  })

  t.test('a peer known only by an expired record is forgotten', async t => {
    const { store, clock, backend } = fresh(t)
    store.update(alice, { certifiedRecord: { seq: 1n, envelope: Uint8Array.of(1), addresses: [tcp(1)] }, addressTtlMs: 100 })
    store.setProtocols(bob, ['/a'])
    store.update(bob, { certifiedRecord: { seq: 1n, envelope: Uint8Array.of(2), addresses: [] }, addressTtlMs: 100 })
    clock.advance(100)
    t.equal(store.has(alice), false, 'nothing shown')
    store.pruneExpired()
    t.same(store.all().map(r => r.id.toString()), [bob.toString()], 'pruned; bob is still known by his protocols')
    store.update(bob, { certifiedRecord: { seq: 1n, envelope: Uint8Array.of(3), addresses: [tcp(4)] } })
    t.same(addressTexts(store, bob), [], 'bob\'s expired record kept its seq')
    if (backend.persistent) {
      store.close()
      const again = backend.open({ now: clock.now })
      t.teardown(() => { again.close() })
      t.equal(again.has(alice), false, 'and after a reopen')
      again.update(alice, { certifiedRecord: { seq: 1n, envelope: Uint8Array.of(9), addresses: [tcp(5)] } })
      t.same(addressTexts(again, alice), ['/ip4/127.0.0.1/tcp/5'], 'a pruned peer\'s seq is forgotten with it')
    }
  })

  t.test('maxPeers: a peer holding what it announced on an open connection is not pushed out', async t => {
    const { store, clock } = fresh(t, { limits: { maxPeers: 2 } })
    const [p1, p2, p3, p4] = [peer(21), peer(22), peer(23), peer(24)]
    store.update(p1, { setListenAddresses: [tcp(1)], addressTtlMs: CONNECTED_TTL })
    clock.advance(10)
    store.setProtocols(p2, ['/a'])
    clock.advance(10)
    store.setProtocols(p3, ['/a'])
    t.same(store.all().map(r => r.id.toString()).sort(), [p1, p3].map(p => p.toString()).sort(), 'p2 went, though p1 changed before it')
    clock.advance(10)
    store.update(p3, { certifiedRecord: { seq: 1n, envelope: Uint8Array.of(1), addresses: [] }, addressTtlMs: CONNECTED_TTL })
    store.setProtocols(p4, ['/a'])
    t.equal(store.all().length, 3, 'every stored peer connected: the store holds one more than maxPeers')
    clock.advance(10)
    store.expireConnectedAddresses(p1) // a change: p1 is now newer than p4
    clock.advance(10)
    store.setProtocols(peer(25), ['/a'])
    t.notOk(store.has(p4), 'p4 goes first')
    clock.advance(10)
    store.setProtocols(peer(26), ['/a'])
    t.notOk(store.has(p1), 'disconnected, p1 can go again')
    t.ok(store.has(p3), 'p3 is still connected')
  })

  t.test('a listener that throws cannot undo a committed write', async t => {
    const { store } = fresh(t)
    store.on('change', () => { throw new Error('listener bug') })
    t.throws(() => store.addAddresses(alice, [tcp(1)]), /listener bug/)
    t.same(addressTexts(store, alice), ['/ip4/127.0.0.1/tcp/1'])
  })

  t.test('records are copies: editing one does not edit the store', async t => {
    const { store } = fresh(t)
    store.addAddresses(alice, [tcp(1)])
    store.setProtocols(alice, ['/a'])
    store.setMetadata(alice, 'k', 'v')
    const record = store.get(alice)!
    record.addresses.pop()
    record.protocols.push('/evil')
    record.metadata.set('k', 'evil')
    t.same(addressTexts(store, alice), ['/ip4/127.0.0.1/tcp/1'])
    t.same(store.get(alice)!.protocols, ['/a'])
    t.equal(store.get(alice)!.metadata.get('k'), 'v')
  })

  t.test('address bound: extra addresses in one call are ignored', async t => {
    const { store, clock } = fresh(t, { limits: { maxAddressesPerPeer: 3 } })
    store.addAddresses(alice, [1, 2, 3, 4, 5].map(tcp), HOUR)
    t.same(addressTexts(store, alice), [1, 2, 3].map(p => `/ip4/127.0.0.1/tcp/${p}`))
    store.setAddresses(alice, [1, 1, 6, 7, 8].map(tcp), HOUR)
    t.same(addressTexts(store, alice), [1, 6, 7].map(p => `/ip4/127.0.0.1/tcp/${p}`))
    t.equal(store.get(alice)!.addresses[0]!.expiresAt, clock.time + HOUR)
  })

  t.test('address bound: a merge drops the older addresses that expire soonest', async t => {
    const { store, clock } = fresh(t, { limits: { maxAddressesPerPeer: 3 } })
    store.addAddresses(alice, [tcp(1)]) // permanent: dropped last
    store.addAddresses(alice, [tcp(2)], 2 * HOUR)
    store.addAddresses(alice, [tcp(3)], HOUR)
    clock.advance(1)
    store.addAddresses(alice, [tcp(4)], 3 * HOUR)
    t.same(addressTexts(store, alice), [1, 2, 4].map(p => `/ip4/127.0.0.1/tcp/${p}`), 'tcp/3 expired soonest')
    store.addAddresses(alice, [tcp(5), tcp(6)], HOUR)
    t.same(addressTexts(store, alice), [1, 5, 6].map(p => `/ip4/127.0.0.1/tcp/${p}`), 'a call\'s own addresses always fit')
    store.addAddresses(alice, [tcp(7), tcp(8), tcp(9)])
    t.same(addressTexts(store, alice), [7, 8, 9].map(p => `/ip4/127.0.0.1/tcp/${p}`))
    // Equal expiries: the oldest goes first.
    store.addAddresses(alice, [tcp(10)])
    t.same(addressTexts(store, alice), [8, 9, 10].map(p => `/ip4/127.0.0.1/tcp/${p}`))
  })

  t.test('protocol and metadata bounds: the extra are ignored', async t => {
    const { store } = fresh(t, { limits: { maxProtocolsPerPeer: 3, maxMetadataEntriesPerPeer: 2 } })
    store.setProtocols(alice, ['/e', '/d', '/c', '/b', '/a'])
    t.same(store.get(alice)!.protocols, ['/c', '/d', '/e'], 'the first three given, sorted')
    store.addProtocols(alice, ['/a'])
    t.same(store.get(alice)!.protocols, ['/c', '/d', '/e'])
    store.removeProtocols(alice, ['/d'])
    store.addProtocols(alice, ['/d', '/a'])
    t.same(store.get(alice)!.protocols, ['/c', '/d', '/e'])
    store.setMetadata(alice, 'a', '1')
    store.setMetadata(alice, 'b', '2')
    store.setMetadata(alice, 'c', '3')
    store.setMetadata(alice, 'a', '4')
    t.same([...store.get(alice)!.metadata], [['a', '4'], ['b', '2']])
  })

  t.test('the default bounds hold against a flood', async t => {
    const { store } = fresh(t)
    const addrs = Array.from({ length: 200 }, (_, i) => tcp(i + 1))
    store.addAddresses(alice, addrs)
    store.addAddresses(alice, addrs.slice(100))
    t.equal(store.get(alice)!.addresses.length, 64)
    store.setProtocols(alice, Array.from({ length: 1000 }, (_, i) => `/p/${i}`))
    t.equal(store.get(alice)!.protocols.length, 256)
    for (let i = 0; i < 100; i++) store.setMetadata(alice, `k${i}`, 'v')
    t.equal(store.get(alice)!.metadata.size, 64)
    t.throws(() => store.setMetadata(alice, 'k0', 'x'.repeat(4097)), { code: 'ERR_PEERSTORE_INVALID_METADATA', name: 'P2PError' })
    store.setMetadata(alice, 'k0', 'x'.repeat(4096))
    t.equal(store.get(alice)!.metadata.get('k0')!.length, 4096)
  })

  t.test('bad arguments are refused with typed errors', async t => {
    const { store } = fresh(t, { limits: { maxMultiaddrBytes: 8 } })
    const code = (c: string) => ({ code: c, name: 'P2PError' })
    t.throws(() => store.addAddresses(alice, [tcp(1)], -1), code('ERR_PEERSTORE_INVALID_TTL'))
    t.throws(() => store.addAddresses(alice, [tcp(1)], NaN), code('ERR_PEERSTORE_INVALID_TTL'))
    t.throws(() => store.setAddresses(alice, [tcp(1)], -5), code('ERR_PEERSTORE_INVALID_TTL'))
    t.throws(() => store.addAddresses(alice, ['/ip4/1.2.3.4/tcp/1' as unknown as ReturnType<typeof tcp>]), code('ERR_PEERSTORE_INVALID_MULTIADDR'))
    t.throws(() => store.addAddresses(alice, [tcp(1), ma('/ip4/127.0.0.1/tcp/1/tcp/2')]), code('ERR_PEERSTORE_INVALID_MULTIADDR'))
    t.throws(() => store.addAddresses(alice, 'x' as unknown as []), code('ERR_PEERSTORE_INVALID_MULTIADDR'))
    t.throws(() => store.setProtocols(alice, 'x' as unknown as []), code('ERR_PEERSTORE_INVALID_PROTOCOL'))
    const notAPeer = alice.toString() as unknown as PeerId
    t.throws(() => store.get(notAPeer), code('ERR_PEERSTORE_INVALID_PEER_ID'))
    t.throws(() => store.has(notAPeer), code('ERR_PEERSTORE_INVALID_PEER_ID'))
    t.throws(() => store.addAddresses(notAPeer, [tcp(1)]), code('ERR_PEERSTORE_INVALID_PEER_ID'))
    t.throws(() => store.setMetadata(notAPeer, 'k', 'v'), code('ERR_PEERSTORE_INVALID_PEER_ID'))
    t.throws(() => store.setPublicKey(notAPeer, keyFromSeed(1).publicKey), code('ERR_PEERSTORE_INVALID_PEER_ID'))
    t.throws(() => store.delete(notAPeer), code('ERR_PEERSTORE_INVALID_PEER_ID'))
    t.equal(store.get(alice), undefined, 'nothing was written')
    const backend = makeBackend()
    t.teardown(() => backend.cleanup())
    t.throws(() => backend.open({ limits: { maxAddressesPerPeer: 0 } }), code('ERR_PEERSTORE_INVALID_LIMIT'))
  })

  t.test('a write that throws inside its transaction leaves the previous state', async t => {
    const clock = new Clock()
    const backend = makeBackend()
    const store = backend.openCrashing({ now: clock.now })
    t.teardown(() => { store.close(); backend.cleanup() })
    store.addAddresses(alice, [tcp(1), tcp(2)], HOUR)
    store.setProtocols(alice, ['/a', '/b'])
    store.setMetadata(alice, 'k', 'v')
    const before = store.get(alice)
    const events = recordEvents(store)

    store.crashAfterWrite = true
    clock.advance(5)
    t.throws(() => store.setAddresses(alice, [tcp(3)]), /simulated crash/)
    t.throws(() => store.setProtocols(alice, ['/c']), /simulated crash/)
    t.throws(() => store.setPublicKey(alice, keyFromSeed(1).publicKey), /simulated crash/)
    t.throws(() => store.delete(alice), /simulated crash/)
    t.throws(() => store.addAddresses(bob, [tcp(9)]), /simulated crash/)
    store.crashAfterWrite = false

    t.same(store.get(alice), before)
    t.equal(store.get(bob), undefined)
    t.same(store.all().map(r => r.id.toString()), [alice.toString()])
    t.equal(events.length, 0, 'a rolled-back write emits nothing')
    store.addAddresses(alice, [tcp(3)])
    t.same(addressTexts(store, alice), ['/ip4/127.0.0.1/tcp/1', '/ip4/127.0.0.1/tcp/2', '/ip4/127.0.0.1/tcp/3'])
  })

  t.test('a closed store refuses every call', async t => {
    const { store } = fresh(t)
    store.addAddresses(alice, [tcp(1)])
    store.close()
    store.close()
    const closed = { code: 'ERR_PEERSTORE_CLOSED', name: 'P2PError' }
    t.throws(() => store.get(alice), closed)
    t.throws(() => store.has(alice), closed)
    t.throws(() => store.all(), closed)
    t.throws(() => store.addAddresses(alice, [tcp(2)]), closed)
    t.throws(() => store.setAddresses(alice, [tcp(2)]), closed)
    t.throws(() => store.removeAddress(alice, tcp(1)), closed)
    t.throws(() => store.setProtocols(alice, ['/a']), closed)
    t.throws(() => store.addProtocols(alice, ['/a']), closed)
    t.throws(() => store.removeProtocols(alice, ['/a']), closed)
    t.throws(() => store.setPublicKey(alice, keyFromSeed(1).publicKey), closed)
    t.throws(() => store.setMetadata(alice, 'k', 'v'), closed)
    t.throws(() => store.deleteMetadata(alice, 'k'), closed)
    t.throws(() => store.delete(alice), closed)
    t.throws(() => store.pruneExpired(), closed)
  })
}

t.test('MemoryPeerStore', async t => { behaviourSuite(t, memoryBackend) })
t.test('SqlitePeerStore', async t => { behaviourSuite(t, sqliteBackend) })
