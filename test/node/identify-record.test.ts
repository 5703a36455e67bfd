// Signed peer records at the node (src/node/identify-service.ts): ours, one
// per set of listen addresses, signed again with a greater seq when they
// change; and the remote's, kept only while its seq grows (RFC 0003).

import t, { type Test } from 'tap'
import { once } from 'node:events'
import { Libp2pNode, type IdentifyEvent } from '../../src/node/index.js'
import { Switch } from '../../src/switch/index.js'
import { generateKeyPair, PeerId, type PrivateKey } from '../../src/peer/index.js'
import { Multiaddr } from '../../src/multiaddr/index.js'
import { IDENTIFY_PUSH_PROTOCOL, createSignedPeerRecord, openSignedPeerRecord, pushIdentify } from '../../src/protocols/index.js'
import { CONNECTED_EXPIRY, MemoryPeerStore, RECENTLY_CONNECTED_TTL_MS } from '../../src/peerstore/index.js'
import { catchUncaught } from '../helpers/uncaught.js'

t.test('identify sends the same record until the listen addresses change, then a newer one', async t => {
  const node = new Libp2pNode({ listenAddrs: ['/ip4/127.0.0.1/tcp/0'] })
  await node.start()
  const first = node.identifyService.localInfo().signedPeerRecord
  const second = node.identifyService.localInfo().signedPeerRecord
  if (first === undefined || second === undefined) throw new Error('no signed peer record')
  t.equal(Buffer.compare(first, second), 0, 'byte for byte the same while nothing changed')
  const opened = openSignedPeerRecord(first)
  t.ok(opened.peerId.equals(node.peerId))
  t.same(opened.addresses.map(a => a.toString()), node.multiaddrs.map(a => a.decapsulateCode(0x01a5).toString()))
  await node.stop() // the listener closes: no listen address any more
  const after = node.identifyService.localInfo().signedPeerRecord
  if (after === undefined) throw new Error('no signed peer record')
  const changed = openSignedPeerRecord(after)
  t.same(changed.addresses, [], 'the record follows the addresses')
  t.ok(changed.seq > opened.seq, `seq increases (${opened.seq} -> ${changed.seq})`)
})

type PushInfo = Omit<Parameters<typeof pushIdentify>[1], 'publicKey'>

/**
 * A listening node and a peer that pushes Identify messages to it;
 * `push` resolves once the node has recorded the message.
 */
async function nodeAndPusher (t: Test): Promise<{ node: Libp2pNode, pusher: Switch, key: PrivateKey, push: (info: PushInfo) => Promise<void> }> {
  const node = new Libp2pNode({ listenAddrs: ['/ip4/127.0.0.1/tcp/0'], identifyOnConnect: false })
  await node.start()
  t.teardown(async () => { await node.stop() })
  const key = generateKeyPair('Ed25519')
  const pusher = new Switch({ privateKey: key })
  t.teardown(async () => { await pusher.stop() })
  const push = async (info: PushInfo): Promise<void> => {
    const recorded = once(node, 'peer:identify')
    const stream = await pusher.newStream(node.multiaddrs[0], IDENTIFY_PUSH_PROTOCOL)
    await pushIdentify(stream, { publicKey: key.publicKey, ...info })
    await recorded
  }
  return { node, pusher, key, push }
}

t.test('RFC 0003 seq: a peer store keeps the newest signed record; an older or equal one is rejected', async t => {
  const { node, pusher, key, push: pushInfo } = await nodeAndPusher(t)
  const addr = (port: number): Multiaddr => Multiaddr.fromString(`/ip4/10.0.0.1/tcp/${port}`)
  /** Pushes a message carrying a record with `seq` and `ports`. */
  const push = async (seq: number, ports: number[]): Promise<void> => {
    const addrs = ports.map(addr)
    await pushInfo({ listenAddrs: addrs, protocols: [`/seq/${seq}`], signedPeerRecord: createSignedPeerRecord(key, pusher.peerId, addrs, seq) })
  }
  const stored = (): { ports: string[], seq: bigint | undefined, protocols: string[] } => {
    const record = node.peerStore.get(pusher.peerId)
    return { ports: record?.addresses.map(a => a.multiaddr.toString()) ?? [], seq: record?.certifiedRecord?.seq, protocols: record?.protocols ?? [] }
  }

  await push(10, [1, 2])
  t.same(stored(), { ports: ['/ip4/10.0.0.1/tcp/1', '/ip4/10.0.0.1/tcp/2'], seq: 10n, protocols: ['/seq/10'] })
  const envelope = node.peerStore.get(pusher.peerId)?.certifiedRecord?.envelope
  t.same(envelope === undefined ? undefined : openSignedPeerRecord(envelope).seq, 10n, 'the envelope is kept as received and still opens')
  await push(5, [3])
  t.same(stored(), { ports: ['/ip4/10.0.0.1/tcp/1', '/ip4/10.0.0.1/tcp/2'], seq: 10n, protocols: ['/seq/5'] }, 'an older record is rejected; the rest of the message still counts')
  await push(10, [4])
  t.same(stored().ports, ['/ip4/10.0.0.1/tcp/1', '/ip4/10.0.0.1/tcp/2'], 'an equal seq is rejected too')
  await push(11, [5])
  t.same(stored(), { ports: ['/ip4/10.0.0.1/tcp/5'], seq: 11n, protocols: ['/seq/11'] }, 'a newer record replaces the addresses')
})

t.test('a record the node cannot use (another peer\'s) is set aside; the message\'s own fields count', async t => {
  const { node, pusher, push } = await nodeAndPusher(t)
  const stranger = generateKeyPair('Ed25519')
  const strangerRecord = createSignedPeerRecord(stranger, PeerId.fromPublicKey(stranger.publicKey), [Multiaddr.fromString('/ip4/10.6.6.6/tcp/6')], 99)
  await push({ listenAddrs: [Multiaddr.fromString('/ip4/10.0.0.3/tcp/3')], protocols: ['/kept/1'], signedPeerRecord: strangerRecord })
  const record = node.peerStore.get(pusher.peerId)
  t.same(record?.protocols, ['/kept/1'])
  t.same(record?.addresses.map(a => a.multiaddr.toString()), ['/ip4/10.0.0.3/tcp/3'], 'the unsigned address, not the stranger\'s')
  t.equal(record?.certifiedRecord, undefined, 'no record kept')
})

t.test('identify push: fields a push leaves out keep their values in the peer store', async t => {
  const { node, pusher, push } = await nodeAndPusher(t)
  await push({ listenAddrs: [Multiaddr.fromString('/ip4/10.0.0.2/tcp/1')], protocols: ['/a/1'], agentVersion: 'pusher/1' })
  // identify/README.md "identify/push": missing fields should be ignored
  await push({ listenAddrs: [], protocols: ['/b/1'] })
  const record = node.peerStore.get(pusher.peerId)
  t.same(record?.protocols, ['/b/1'], 'the protocols it sent replace the old ones')
  t.same(record?.addresses.map(a => a.multiaddr.toString()), ['/ip4/10.0.0.2/tcp/1'], 'addresses it left out are kept')
  t.equal(record?.metadata.get('AgentVersion'), 'pusher/1', 'so is the agent version')
})

t.test('unsigned listen addresses replace the ones the peer announced before; a stored signed record keeps its own', async t => {
  const { node, pusher, key, push } = await nodeAndPusher(t)
  const addrs = (text: string[]): Multiaddr[] => text.map(a => Multiaddr.fromString(a))
  const stored = (): string[] => node.peerStore.get(pusher.peerId)?.addresses.map(a => a.multiaddr.toString()) ?? []
  // rust-libp2p pushes no signed record by default: what it announces now is where it listens now
  await push({ listenAddrs: addrs(['/ip4/10.0.0.1/tcp/1']), protocols: ['/a/1'] })
  await push({ listenAddrs: addrs(['/ip4/10.0.0.2/tcp/2', '/ip4/10.0.0.3/tcp/3']), protocols: ['/a/1'] })
  t.same(stored(), ['/ip4/10.0.0.2/tcp/2', '/ip4/10.0.0.3/tcp/3'], 'the address it stopped announcing is gone')

  const signed = addrs(['/ip4/10.0.0.4/tcp/4'])
  await push({ listenAddrs: signed, protocols: ['/a/1'], signedPeerRecord: createSignedPeerRecord(key, pusher.peerId, signed, 1) })
  t.same(stored(), ['/ip4/10.0.0.4/tcp/4'], 'the signed record\'s addresses')
  await push({ listenAddrs: addrs(['/ip4/10.6.6.6/tcp/6']), protocols: ['/b/1'] })
  t.same(stored(), ['/ip4/10.0.0.4/tcp/4'], 'unsigned addresses do not replace signed ones (RFC 0003)')
  t.same(node.peerStore.get(pusher.peerId)?.protocols, ['/b/1'], 'the rest of the message still counts')
})

t.test('one value the peer store refuses (an empty protocol ID, one over its size limit) does not cost the rest of the answer', async t => {
  const { node, pusher, push } = await nodeAndPusher(t)
  const oversized = `/${'x'.repeat(1100)}`
  await push({ listenAddrs: [Multiaddr.fromString('/ip4/10.0.0.7/tcp/7')], protocols: ['/ipfs/id/1.0.0', '', oversized, '/ipfs/ping/1.0.0'], agentVersion: 'pusher/1', protocolVersion: 'ipfs/0.1.0' })
  const record = node.peerStore.get(pusher.peerId)
  t.same(record?.protocols, ['/ipfs/id/1.0.0', '/ipfs/ping/1.0.0'], 'the empty and the oversized protocol IDs left out')
  t.same(record?.addresses.map(a => a.multiaddr.toString()), ['/ip4/10.0.0.7/tcp/7'])
  t.equal(record?.metadata.get('AgentVersion'), 'pusher/1')
  t.ok(record?.publicKey !== undefined, 'and the key recorded')
})

t.test('observedAddr: a connection dialled by name is observed at the IP it reached', async t => {
  const a = new Libp2pNode({ listenAddrs: ['/ip4/127.0.0.1/tcp/0'] })
  const b = new Libp2pNode({ listenAddrs: ['/ip4/127.0.0.1/tcp/0'] })
  await a.start()
  await b.start()
  t.teardown(async () => { await Promise.all([a.stop(), b.stop()]) })
  const port = a.multiaddrs[0].toSocketAddress().port
  // both sides identify on connect: a's answer from b says where b sees a
  const identifiedByA = once(a, 'peer:identify') as Promise<[IdentifyEvent]>
  const connection = await b.dial(Multiaddr.fromString(`/dns4/localhost/tcp/${port}/p2p/${a.peerId.toString()}`))
  t.equal(connection.remoteAddr.toString(), `/ip4/127.0.0.1/tcp/${port}`, 'the remote end is the resolved address')
  const [{ result }] = await identifiedByA
  t.equal(result.observedAddr?.toString(), `/ip4/127.0.0.1/tcp/${port}`, 'identify/README.md: "of the form /ip4/x.x.x.x/tcp/xx"')
})

t.test('zones are not sent: not in observedAddr, nor in our listen addresses or signed record (a zone names an interface of the host that wrote it)', async t => {
  const a = new Libp2pNode({ listenAddrs: ['/ip6zone/lo/ip6/::1/tcp/0'] })
  const started = await a.start().then(() => true, () => false)
  t.teardown(async () => { await a.stop() })
  if (!started) {
    t.comment('no IPv6 loopback on this machine: skipped')
    return
  }
  const b = new Libp2pNode()
  await b.start()
  t.teardown(async () => { await b.stop() })
  const port = a.multiaddrs[0].toSocketAddress().port
  t.match(a.multiaddrs[0].toString(), /^\/ip6zone\/lo\//, 'a listens with its zone')
  const identifiedByA = once(a, 'peer:identify') as Promise<[IdentifyEvent]>
  const identifiedByB = once(b, 'peer:identify') as Promise<[IdentifyEvent]>
  const connection = await b.dial(Multiaddr.fromString(`/ip6zone/lo/ip6/::1/tcp/${port}/p2p/${a.peerId.toString()}`))
  t.equal(connection.remoteAddr.toString(), `/ip6zone/lo/ip6/::1/tcp/${port}`, 'b\'s connection keeps the zone it dialled through')
  const [{ result }] = await identifiedByA
  t.equal(result.observedAddr?.toString(), `/ip6/::1/tcp/${port}`, 'a hears where b sees it, without b\'s interface name')
  const [{ result: ofA }] = await identifiedByB
  t.same(ofA.listenAddrs.map(addr => addr.toString()), [`/ip6/::1/tcp/${port}`], 'b hears a\'s listen address without a\'s interface name')
  t.same(ofA.signedPeerRecord?.addresses.map(addr => addr.toString()), [`/ip6/::1/tcp/${port}`], 'and so says a\'s signed record')
})

t.test('a node serves /perf/1.0.0 only when asked (perf.md: "SHOULD NOT be enabled by default")', async t => {
  const plain = new Libp2pNode()
  const withPerf = new Libp2pNode({ perf: true })
  t.notOk(plain.switch.protocols.includes('/perf/1.0.0'))
  t.ok(withPerf.switch.protocols.includes('/perf/1.0.0'))
})

t.test('what identify learns lives while connected, then RECENTLY_CONNECTED_TTL_MS after the last connection closes', async t => {
  let time = 1_700_000_000_000
  const server = new Libp2pNode({ listenAddrs: ['/ip4/127.0.0.1/tcp/0'] })
  const client = new Libp2pNode({ peerStore: new MemoryPeerStore({ now: () => time }) })
  await server.start()
  await client.start()
  t.teardown(async () => { await client.stop(); await server.stop() })
  const identified = once(client, 'peer:identify')
  await client.dial(server.multiaddrs[0]!)
  await identified
  const stored = client.peerStore.get(server.peerId)!
  t.same(stored.addresses.map(a => a.multiaddr.toString()), server.multiaddrs.map(a => a.decapsulateCode(0x01a5).toString()), 'the signed addresses')
  t.same(stored.addresses.map(a => a.expiresAt), server.multiaddrs.map(() => CONNECTED_EXPIRY), 'kept while connected')
  t.equal(stored.certifiedRecord?.expiresAt, CONNECTED_EXPIRY, 'the record too')

  time += 3_600_000
  // an application listener that throws cannot skip the expiry (identify's listener runs first)
  const uncaught = catchUncaught(t)
  const bug = new Error('a bug in the application\'s listener')
  client.on('peer:disconnect', () => { throw bug })
  await client.hangUp(server.peerId)
  for (let i = 0; i < 100 && uncaught.length === 0; i++) await new Promise(resolve => setTimeout(resolve, 10))
  t.same(uncaught, [bug])
  const after = client.peerStore.get(server.peerId)!
  t.same(after.addresses.map(a => a.expiresAt), server.multiaddrs.map(() => time + RECENTLY_CONNECTED_TTL_MS), '15 minutes from the close')
  t.equal(after.certifiedRecord?.expiresAt, time + RECENTLY_CONNECTED_TTL_MS)
  time += RECENTLY_CONNECTED_TTL_MS
  t.same(client.peerStore.get(server.peerId)?.addresses ?? [], [], 'then gone')
  t.equal(client.peerStore.get(server.peerId)?.certifiedRecord, undefined)
  t.ok(client.peerStore.get(server.peerId)?.publicKey?.equals(server.peerId.publicKey!) ?? false, 'the key and protocols stay')

  client.removeAllListeners('peer:disconnect')
  const again = once(client, 'peer:identify')
  await client.dial(server.multiaddrs[0]!)
  await again
  t.same(client.peerStore.get(server.peerId)!.addresses.map(a => a.expiresAt), server.multiaddrs.map(() => CONNECTED_EXPIRY), 'connected again: kept while connected again')
})
