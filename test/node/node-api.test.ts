// The node's own view of its connections, peers and protocols, and hangUp:
// what a js-libp2p user finds on a node (getConnections, getPeers,
// getProtocols, hangUp), here thin calls into the switch.

import t from 'tap'
import { once } from 'node:events'
import { Libp2pNode } from '../../src/node/index.js'

t.test('getPeers, getConnections, getProtocols and hangUp', async t => {
  const server = new Libp2pNode({ listenAddrs: ['/ip4/127.0.0.1/tcp/0'], echo: true })
  const a = new Libp2pNode()
  const b = new Libp2pNode()
  await Promise.all([server.start(), a.start(), b.start()])
  t.teardown(async () => { await Promise.all([a.stop(), b.stop(), server.stop()]) })

  t.same(server.getPeers(), [])
  t.same(server.getProtocols(), ['/echo/1.0.0', '/ipfs/id/1.0.0', '/ipfs/id/push/1.0.0', '/ipfs/ping/1.0.0'])
  server.handle('/x/1.0.0', () => {})
  t.ok(server.getProtocols().includes('/x/1.0.0'), 'a handler is a protocol served')

  const connected = once(server, 'peer:connect')
  await a.dial(server.multiaddrs[0])
  await connected
  await b.dial(server.multiaddrs[0])
  // the switch keeps one connection per peer: a second dial reuses it
  await a.dial(server.peerId)
  t.same(a.getPeers().map(p => p.toString()), [server.peerId.toString()])
  t.equal(a.getConnections(server.peerId).length, 1)
  const bPeer = b.peerId.toString()
  // b's connection reaches the server's books when its upgrade ends there, at most a moment later
  for (let i = 0; i < 100 && server.getPeers().length < 2; i++) await new Promise(resolve => setTimeout(resolve, 10))
  t.same(server.getPeers().map(p => p.toString()).sort(), [a.peerId.toString(), bPeer].sort())
  t.equal(server.getConnections().length, 2)
  t.equal(server.getConnections(a.peerId).length, 1)
  t.equal(server.getConnections(a.peerId)[0].remotePeer.toString(), a.peerId.toString())

  const disconnected = once(server, 'peer:disconnect')
  await server.hangUp(a.peerId)
  t.same(server.getConnections(a.peerId), [], 'hangUp closed the connection to that peer')
  t.same(server.getPeers().map(p => p.toString()), [bPeer], 'and only that one')
  await disconnected
})
