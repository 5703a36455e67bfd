// yamux keepalive against a real js-libp2p 3.x node, both directions. Our
// session pings after keepAliveIntervalMs of silence and closes the
// connection when nothing arrives keepAliveTimeoutMs after the ping, so a js
// peer that did not answer would be dropped; js-libp2p pings every interval
// too (it never gives up on its own). An idle connection stays open.

import './polyfill.js'
import t from 'tap'
import { createJsNode, multiaddr } from './js-peer.js'
import { createOurNode, toJsPeerId, toOurPeerId, waitFor, type OurNode } from './helpers.js'
import type { JsNode } from './js-peer.js'
import type { YamuxSession } from '../../src/yamux/index.js'
import type { Connection } from '../../src/upgrader/index.js'

const INTERVAL_MS = 100
// generous: a js event loop busy for a moment must not look like a dead peer
const TIMEOUT_MS = 500
const IDLE_MS = 1_500
// js pings on a fixed period: longer than ours, so that each of its periods
// holds a whole interval of silence for ours
const JS_INTERVAL_MS = 150

async function connect (dialer: 'ours' | 'js', ours: OurNode, js: JsNode): Promise<Connection> {
  if (dialer === 'ours') return await ours.node.dial(js.getMultiaddrs()[0].toString())
  await js.dial(multiaddr(ours.node.multiaddrs[0].toString()))
  const jsPeer = toOurPeerId(js.peerId)
  await waitFor('our side to register the inbound connection', () => ours.node.switch.getConnections(jsPeer).length === 1)
  return ours.node.switch.getConnections(jsPeer)[0]
}

/** Counts the pings our session sends from now on (keepalive calls its own ping()). */
function countPings (connection: Connection): () => number {
  const session = connection.muxerSession as YamuxSession
  let pings = 0
  const ping = session.ping.bind(session)
  session.ping = async () => { pings++; return await ping() }
  return () => pings
}

for (const dialer of ['ours', 'js'] as const) {
  for (const jsKeepAlive of [false, true]) {
    const name = `${dialer === 'ours' ? 'our dialer → js listener' : 'js dialer → our listener'}, js keepalive ${jsKeepAlive ? 'on' : 'off'}: an idle connection outlives the keepalive rounds`
    t.test(name, async t => {
      const ours = await createOurNode({ muxers: ['yamux'], listen: dialer === 'js', identifyOnConnect: false, limits: { keepAliveIntervalMs: INTERVAL_MS, keepAliveTimeoutMs: TIMEOUT_MS } })
      const js = await createJsNode({ muxer: 'yamux', listen: dialer === 'ours', yamuxKeepAliveIntervalMs: jsKeepAlive ? JS_INTERVAL_MS : 0 })
      t.teardown(async () => { await ours.node.stop(); await js.stop() })
      const connection = await connect(dialer, ours, js)
      const pings = countPings(connection)
      let closedWith: unknown = 'open'
      connection.once('close', (err?: Error) => { closedWith = err })

      await new Promise(resolve => setTimeout(resolve, IDLE_MS))
      t.equal(closedWith, 'open', 'our side kept the connection')
      t.equal(connection.status, 'open')
      t.equal(js.getConnections(toJsPeerId(ours.node.peerId)).length, 1, 'js kept it too')
      t.ok(pings() >= 2, `we pinged the js peer ${pings()} times and it answered each in time`)
    })
  }
}
