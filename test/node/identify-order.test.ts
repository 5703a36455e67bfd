// Identify starts once the frames of a connection's first turn have left
// (src/node/identify-service.ts afterThisTurnsFrames): the application's
// first stream reaches the peer ahead of identify's, on both sides.

import t, { type Test } from 'tap'
import type { Duplex } from 'node:stream'
import { Libp2pNode, type NodeInit } from '../../src/node/index.js'
import { IDENTIFY_PROTOCOL, PING_PROTOCOL, handleIdentify, handlePing, ping } from '../../src/protocols/index.js'

async function startNode (t: Test, init: NodeInit = {}): Promise<Libp2pNode> {
  const node = new Libp2pNode(init)
  await node.start()
  t.teardown(async () => { await node.stop() })
  return node
}

/** Replaces `node`'s ping and identify handlers with the same ones that also note, in order, which protocol's stream came in. */
function recordInbound (node: Libp2pNode, seen: string[]): void {
  node.switch.handle(PING_PROTOCOL, async (stream: Duplex) => {
    seen.push(PING_PROTOCOL)
    await handlePing(stream)
  })
  node.switch.handle(IDENTIFY_PROTOCOL, async (stream, connection) => {
    seen.push(IDENTIFY_PROTOCOL)
    await handleIdentify(stream, node.identifyService.localInfo(connection))
  })
}

t.test('a dialer\'s first stream reaches the listener before the dialer\'s identify', async t => {
  const listener = await startNode(t, { listenAddrs: ['/ip4/127.0.0.1/tcp/0'] })
  const seen: string[] = []
  recordInbound(listener, seen)
  const dialer = await startNode(t)
  const identified = Promise.all([listener, dialer].map(async node => { await new Promise(resolve => { node.identifyService.once('identify', resolve) }) }))
  const connection = await dialer.dial(listener.multiaddrs[0])
  // opened as soon as the dial resolves, in the same event-loop turn
  const stream = await connection.newStream(PING_PROTOCOL)
  await ping(stream)
  await identified
  t.same(seen, [PING_PROTOCOL, IDENTIFY_PROTOCOL], 'the ping stream first, then identify')
})

t.test('identify still runs on every new connection, both ways', async t => {
  const listener = await startNode(t, { listenAddrs: ['/ip4/127.0.0.1/tcp/0'] })
  const dialer = await startNode(t)
  const dialerIdentified = new Promise(resolve => { dialer.identifyService.once('identify', resolve) })
  const listenerIdentified = new Promise(resolve => { listener.identifyService.once('identify', resolve) })
  await dialer.dial(listener.multiaddrs[0])
  await Promise.all([dialerIdentified, listenerIdentified])
  t.ok(dialer.peerStore.get(listener.peerId)?.protocols.includes(PING_PROTOCOL), 'the dialer learnt the listener\'s protocols')
  t.ok(listener.peerStore.get(dialer.peerId)?.protocols.includes(PING_PROTOCOL), 'the listener learnt the dialer\'s')
})

t.test('a connection closed before identify starts is not identified, and nothing is left unhandled', async t => {
  const listener = await startNode(t, { listenAddrs: ['/ip4/127.0.0.1/tcp/0'] })
  const dialer = await startNode(t)
  let identifies = 0
  dialer.identifyService.on('identify', () => { identifies++ })
  const connection = await dialer.dial(listener.multiaddrs[0])
  await connection.close()
  await new Promise(resolve => setTimeout(resolve, 50))
  t.equal(identifies, 0)
  t.equal(connection.status, 'closed')
})
