// Listening on an address after start, and no longer listening on one:
// the node accepts connections on the new address, keeps those of the old
// one, and tells connected peers with an identify push (identify/README.md,
// identify/push), its signed peer record signed again with a greater seq.

import t from 'tap'
import { once } from 'node:events'
import { Libp2pNode } from '../../src/node/index.js'
import type { IdentifyEvent } from '../../src/node/index.js'

const addressesOf = (node: Libp2pNode, peer: Libp2pNode): string[] =>
  (node.peerStore.get(peer.peerId)?.addresses ?? []).map(a => a.multiaddr.toString()).sort()

/** The next identify push `node` receives; rejects when none comes within 5 s. */
async function nextPush (node: Libp2pNode): Promise<IdentifyEvent> {
  return await new Promise<IdentifyEvent>((resolve, reject) => {
    const timer = setTimeout(() => {
      node.off('peer:identify', onIdentify)
      reject(new Error('no identify push within 5 s'))
    }, 5_000)
    const onIdentify = (event: IdentifyEvent): void => {
      if (!event.push) return
      clearTimeout(timer)
      node.off('peer:identify', onIdentify)
      resolve(event)
    }
    node.on('peer:identify', onIdentify)
  })
}

t.test('listen() and unlisten() after start: connections, and a push to connected peers', async t => {
  const server = new Libp2pNode({ listenAddrs: ['/ip4/127.0.0.1/tcp/0'] })
  const client = new Libp2pNode()
  await Promise.all([server.start(), client.start()])
  t.teardown(async () => { await Promise.all([client.stop(), server.stop()]) })

  const [first] = server.switch.listenAddrs
  // both sides identify: the server pushes only to peers it knows take pushes
  const identified = Promise.all([once(client, 'peer:identify'), once(server, 'peer:identify')])
  const connection = await client.dial(server.multiaddrs[0])
  await identified
  t.same(addressesOf(client, server), [first.toString()], 'the client knows the first address')
  const firstSeq = client.peerStore.get(server.peerId)?.certifiedRecord?.seq
  t.ok(firstSeq !== undefined, 'and holds a signed record of it')

  // a second address: the client hears of it by push, and it takes connections
  let pushed = nextPush(client)
  const bound = await server.listen('/ip4/127.0.0.1/tcp/0')
  t.equal(bound.length, 1)
  t.not(bound[0].toString(), first.toString(), 'a port of its own')
  t.same(server.switch.listenAddrs.map(a => a.toString()), [first.toString(), bound[0].toString()])
  const push = await pushed
  t.same(push.result.listenAddrs.map(a => a.toString()).sort(), [first.toString(), bound[0].toString()].sort(), 'the push carries both')
  t.same(addressesOf(client, server), [first.toString(), bound[0].toString()].sort(), 'the client knows both')
  const secondSeq = client.peerStore.get(server.peerId)?.certifiedRecord?.seq
  t.ok(secondSeq !== undefined && firstSeq !== undefined && secondSeq > firstSeq, 'a new signed record, with a greater seq')

  const other = new Libp2pNode()
  await other.start()
  t.teardown(async () => { await other.stop() })
  const viaSecond = await other.dial(`${bound[0].toString()}/p2p/${server.peerId.toString()}`)
  t.ok(viaSecond.remotePeer.equals(server.peerId), 'the new address accepts connections')

  // the first address goes: its connection stays, new dials to it fail, the client hears of it
  pushed = nextPush(client)
  t.equal(await server.unlisten(`${first.toString()}/p2p/${server.peerId.toString()}`), true, 'unlisten takes an address with our /p2p too')
  await pushed
  t.same(addressesOf(client, server), [bound[0].toString()], 'the client knows only the second address now')
  t.same(server.switch.listenAddrs.map(a => a.toString()), [bound[0].toString()])
  t.equal(connection.status, 'open', 'a connection the old listener accepted stays open')
  const [rtt] = await client.ping(server.peerId)
  t.ok(rtt >= 0, 'and still carries pings')
  const third = new Libp2pNode()
  await third.start()
  t.teardown(async () => { await third.stop() })
  await t.rejects(third.dial(`${first.toString()}/p2p/${server.peerId.toString()}`), 'the old address refuses new connections')
  t.equal(await server.unlisten(first), false, 'a second unlisten finds nothing')
})

t.test('listen() needs a started node; a stopped one refuses it', async t => {
  const node = new Libp2pNode()
  await t.rejects(node.listen('/ip4/127.0.0.1/tcp/0'), { code: 'ERR_SWITCH_NOT_STARTED' })
  await node.start()
  await node.stop()
  await t.rejects(node.listen('/ip4/127.0.0.1/tcp/0'), { code: 'ERR_SWITCH_NOT_STARTED' })
})
