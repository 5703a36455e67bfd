// Our connection monitor (src/node/connection-monitor.ts) against a real
// js-libp2p 3.x node, over yamux and mplex, both directions: its pings,
// negotiated fully, are answered by js-libp2p's ping service, round after
// round, and the connection stays open. (js-libp2p runs a monitor of its own,
// every 10 s by default; ours answers it as any ping.)

import './polyfill.js'
import t from 'tap'
import { createJsNode, multiaddr } from './js-peer.js'
import { createOurNode, toOurPeerId, waitFor } from './helpers.js'
import type { Connection } from '../../src/upgrader/index.js'

const INTERVAL_MS = 50

for (const muxer of ['yamux', 'mplex'] as const) {
  for (const dialer of ['ours', 'js'] as const) {
    t.test(`${muxer}, ${dialer === 'ours' ? 'our dialer → js listener' : 'js dialer → our listener'}: pings answered round after round`, async t => {
      const ours = await createOurNode({ muxers: [muxer], listen: dialer === 'js', connectionMonitor: { intervalMs: INTERVAL_MS, timeoutMs: 2_000 } })
      const js = await createJsNode({ muxer, listen: dialer === 'ours' })
      t.teardown(async () => { await ours.node.stop(); await js.stop() })
      const failures: Error[] = []
      ours.node.on('connection:ping-failure', ({ error }: { error: Error }) => failures.push(error))

      let connection: Connection
      if (dialer === 'ours') {
        connection = await ours.node.dial(js.getMultiaddrs()[0].toString())
      } else {
        await js.dial(multiaddr(ours.node.multiaddrs[0].toString()))
        const jsPeer = toOurPeerId(js.peerId)
        await waitFor('our side to register the inbound connection', () => ours.node.switch.getConnections(jsPeer).length === 1)
        connection = ours.node.switch.getConnections(jsPeer)[0]
      }
      t.equal(connection.muxer, muxer === 'yamux' ? '/yamux/1.0.0' : '/mplex/6.7.0')

      // each round that answers sets rtt anew: watch it change a few times
      const seen = new Set<number>()
      await waitFor('three answered rounds', () => {
        if (connection.rtt !== undefined) seen.add(connection.rtt)
        return seen.size >= 3
      })
      t.ok([...seen].every(rtt => rtt >= 0 && rtt < 2_000), `round trips ${[...seen].map(r => r.toFixed(2)).join(', ')} ms`)
      t.same(failures, [], 'no failed ping')
      t.equal(connection.status, 'open', 'the connection stays open')
    })
  }
}
