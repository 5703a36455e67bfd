// Dial queue against js-libp2p: twenty concurrent dials to one peer must
// open one TCP connection (issue 5, "Switch": "a second dial to the same peer
// while one is in flight joins it; an existing open connection is reused").
// The js side counts the TCP connections it accepted, so a second socket
// cannot hide behind our bookkeeping.
//
// Recorded js-libp2p 3.x behaviour (the second test): every one of twenty
// concurrent js dials to us resolves to the same connection, but
//   - with /p2p/<id> in the address, js opens one TCP connection;
//   - without a peer ID, js opens twenty TCP connections, upgrades all of
//     them, keeps one and closes the other nineteen once it learns they
//     reach the same peer. Our listener accepts all twenty and ends with
//     one as well.

import './polyfill.js'
import t from 'tap'
import { createJsNode, multiaddr } from './js-peer.js'
import type { JsNode } from './js-peer.js'
import { createOurNode, toJsPeerId, toOurPeerId, waitFor } from './helpers.js'
import { CODE_P2P } from '../../src/multiaddr/index.js'
import type { OurNode } from './helpers.js'
import type { Connection } from '../../src/upgrader/index.js'

/** The number of concurrent dials. */
const CONCURRENT_DIALS = 20

/** Lets late sockets (a second TCP connection would arrive here) reach the js side. */
const SETTLE_MS = 200

async function settle (): Promise<void> {
  await new Promise(resolve => setTimeout(resolve, SETTLE_MS))
}

/** Counts inbound TCP connections the js node accepted. */
function countJsOpens (js: JsNode): { count: number } {
  const counter = { count: 0 }
  js.addEventListener('connection:open', () => { counter.count++ })
  return counter
}

t.test(`${CONCURRENT_DIALS} concurrent dials from our node to one js peer open one TCP connection`, async t => {
  const js = await createJsNode({ muxer: 'yamux' })
  t.teardown(async () => { await js.stop() })
  const withId = js.getMultiaddrs()[0].toString()
  const bare = js.getMultiaddrs()[0].decapsulateCode(CODE_P2P).toString()

  const forms: Array<[string, (i: number) => string]> = [
    ['/ip4/…/tcp/…/p2p/<id>', () => withId],
    ['/ip4/…/tcp/… (no peer ID)', () => bare]
  ]
  for (const [name, target] of forms) {
    t.test(name, async t => {
      const ours: OurNode = await createOurNode({ muxers: ['yamux'], listen: false })
      t.teardown(async () => { await ours.node.stop() })
      const opens = countJsOpens(js)
      const connections = await Promise.all(Array.from({ length: CONCURRENT_DIALS }, async (_, i) => await ours.node.dial(target(i))))
      t.equal(new Set(connections).size, 1, 'every dial resolved to the same Connection')
      await settle()
      t.equal(js.getConnections(toJsPeerId(ours.node.peerId)).length, 1, 'js: getConnections(ourPeer).length === 1')
      t.equal(opens.count, 1, 'js accepted one TCP connection')
      t.equal(ours.node.switch.getConnections().length, 1)
      // a later dial reuses the open connection: no new socket
      const again: Connection = await ours.node.dial(withId)
      t.equal(again, connections[0], 'a later dial reuses the open connection')
      await settle()
      t.equal(opens.count, 1, 'still one TCP connection')
      await ours.node.stop()
      await waitFor('js to see us leave', () => js.getConnections().length === 0)
    })
  }
})

/**
 * Our dial queue knows a dial by its peer ID and by every address it tries,
 * so dials naming one peer by /p2p/ address and by bare address join.
 */
t.test(`${CONCURRENT_DIALS} concurrent dials mixing /p2p/<id> and bare addresses of one js peer`, async t => {
  const js = await createJsNode({ muxer: 'yamux' })
  const ours = await createOurNode({ muxers: ['yamux'], listen: false })
  t.teardown(async () => { await ours.node.stop(); await js.stop() })
  const opens = countJsOpens(js)
  const withId = js.getMultiaddrs()[0].toString()
  const bare = js.getMultiaddrs()[0].decapsulateCode(CODE_P2P).toString()
  const connections = await Promise.all(Array.from({ length: CONCURRENT_DIALS }, async (_, i) => await ours.node.dial(i % 2 === 0 ? withId : bare)))
  t.equal(new Set(connections).size, 1, 'every dial resolved to the same Connection')
  await settle()
  t.equal(js.getConnections().length, 1, 'one connection is left')
  t.comment(`js accepted ${opens.count} TCP connection(s)`)
  t.equal(opens.count, 1, 'js accepted one TCP connection: the dial queue joins dials by any shared key')
})

t.test(`${CONCURRENT_DIALS} concurrent js dials to our node (recorded js behaviour)`, async t => {
  const ours = await createOurNode({ muxers: ['yamux'] })
  t.teardown(async () => { await ours.node.stop() })
  const withId = ours.node.multiaddrs[0].toString()
  const bare = ours.node.multiaddrs[0].decapsulateCode(CODE_P2P).toString()
  const forms: Array<[string, string, number]> = [
    ['with /p2p/<id>: js opens one connection', withId, 1],
    ['without a peer ID: js opens one connection per dial, then keeps one', bare, CONCURRENT_DIALS]
  ]
  for (const [name, target, expectedOpens] of forms) {
    t.test(name, async t => {
      const js = await createJsNode({ muxer: 'yamux', listen: false })
      t.teardown(async () => { await js.stop() })
      let ourOpens = 0
      const onOpen = (): void => { ourOpens++ }
      ours.node.on('connection:open', onOpen)
      t.teardown(() => { ours.node.off('connection:open', onOpen) })
      const connections = await Promise.all(Array.from({ length: CONCURRENT_DIALS }, async () => await js.dial(multiaddr(target))))
      t.equal(new Set(connections.map(c => c.id)).size, 1, 'js: every dial resolved to the same connection')
      await waitFor(`our side to accept ${expectedOpens} connection(s)`, () => ourOpens >= expectedOpens)
      await settle()
      t.equal(ourOpens, expectedOpens, `we accepted ${expectedOpens} connection(s)`)
      await waitFor('one connection left on each side', () =>
        ours.node.switch.getConnections(toOurPeerId(js.peerId)).length === 1 && js.getConnections().length === 1)
      t.equal(ours.node.switch.getConnections(toOurPeerId(js.peerId))[0].status, 'open')
      t.equal(js.getConnections()[0].id, connections[0].id, 'js kept the connection its dials resolved to')
      t.same(ours.upgradeErrors, [], 'no failed upgrades on our side')
      await js.stop()
      await waitFor('our side to see js leave', () => ours.node.switch.getConnections().length === 0)
    })
  }
})
