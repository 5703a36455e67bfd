// Interop with a real js-libp2p 3.x node over loopback TCP, in both roles
// (our dialer → js listener, js dialer → our listener), with Noise + yamux
// and Noise + mplex. Each scenario checks, from both sides:
//   connect   the connection's peer, encryption and muxer; the muxer was
//             agreed inside the Noise handshake (inlined-muxer-negotiation.md),
//             so no multistream round ran inside the encrypted channel
//   ping      /ipfs/ping/1.0.0 both ways, RTTs returned
//   identify  both sides run it on connect; each peer store ends up with the
//             other's protocols, agent version and public key (ours) or
//             signed peer record (js's); then identify push both ways
//   echo      1 MiB on each of 10 concurrent /echo/1.0.0 streams, both ways,
//             byte-exact
//   close     the dialer hangs up; both sides report the peer disconnected,
//             our connection closes without an error, none are left over

import './polyfill.js'
import t from 'tap'
import { createJsNode, jsEcho, multiaddr } from './js-peer.js'
import type { JsMuxerName } from './js-peer.js'
import {
  createOurNode, toJsPeerId, toOurPeerId, payload, ourEcho, waitFor, within,
  MUXER_PROTOCOL, ONE_MIB
} from './helpers.js'
import { CODE_P2P } from '../../src/multiaddr/index.js'
import { AGENT_VERSION } from '../../src/node/index.js'
import type { IdentifyEvent } from '../../src/node/index.js'
import { PeerId } from '../../src/peer/index.js'
import type { Connection } from '../../src/upgrader/index.js'
import type { IdentifyResult as JsIdentifyResult } from '@libp2p/interface'

/** Concurrent streams per direction in the echo step, 1 MiB each. */
const ECHO_STREAMS = 10

const OUR_PROTOCOLS = ['/echo/1.0.0', '/ipfs/id/1.0.0', '/ipfs/id/push/1.0.0', '/ipfs/ping/1.0.0']
const JS_PROTOCOLS = ['/echo/1.0.0', '/ipfs/id/1.0.0', '/ipfs/id/push/1.0.0', '/ipfs/ping/1.0.0']

/** Registered after the connection is up, to be announced by identify push. */
const OUR_PUSHED_PROTOCOL = '/interop/ours-pushed/1.0.0'
const JS_PUSHED_PROTOCOL = '/interop/js-pushed/1.0.0'

for (const muxer of ['yamux', 'mplex'] as JsMuxerName[]) {
  for (const dialer of ['ours', 'js'] as const) {
    t.test(`${dialer === 'ours' ? 'our dialer → js listener' : 'js dialer → our listener'}, Noise + ${muxer}`, async t => {
      const ours = await createOurNode({ muxers: [muxer], listen: dialer === 'js' })
      const js = await createJsNode({ muxer, listen: dialer === 'ours' })
      t.teardown(async () => { await ours.node.stop(); await js.stop() })
      const jsPeer = toOurPeerId(js.peerId)
      const ourPeerForJs = toJsPeerId(ours.node.peerId)

      // every event is awaited later; listen before the connection exists
      const ourIdentify = new Promise<IdentifyEvent>(resolve => {
        ours.node.on('peer:identify', (event: IdentifyEvent) => { if (event.connection.remotePeer.equals(jsPeer)) resolve(event) })
      })
      const jsIdentify = new Promise<JsIdentifyResult>(resolve => {
        js.addEventListener('peer:identify', evt => { if (evt.detail.peerId.equals(ourPeerForJs)) resolve(evt.detail) })
      })
      const ourDisconnect = new Promise<PeerId>(resolve => { ours.node.on('peer:disconnect', resolve) })
      const jsDisconnect = new Promise<string>(resolve => {
        js.addEventListener('peer:disconnect', evt => { resolve(evt.detail.toString()) })
      })

      // connect
      let connection: Connection
      if (dialer === 'ours') {
        connection = await ours.node.dial(js.getMultiaddrs()[0].toString())
        // our upgrade can finish before js has registered its side
        await waitFor('js to register the inbound connection', () => js.getConnections(ourPeerForJs).length === 1)
      } else {
        await js.dial(multiaddr(ours.node.multiaddrs[0].toString()))
        await waitFor('our side to register the inbound connection', () => ours.node.switch.getConnections(jsPeer).length === 1)
        connection = ours.node.switch.getConnections(jsPeer)[0]
      }
      const closedWith = new Promise<Error | undefined>(resolve => { connection.once('close', resolve) })
      t.equal(connection.remotePeer.toString(), js.peerId.toString(), 'our side authenticated the js peer ID')
      t.equal(connection.direction, dialer === 'ours' ? 'outbound' : 'inbound')
      t.equal(connection.encryption, '/noise')
      t.equal(connection.muxer, MUXER_PROTOCOL[muxer])
      const jsConnections = js.getConnections(ourPeerForJs)
      t.equal(jsConnections.length, 1, 'js sees one connection to us')
      t.equal(jsConnections[0].encryption, '/noise')
      t.equal(jsConnections[0].multiplexer, MUXER_PROTOCOL[muxer])
      t.equal(jsConnections[0].direction, dialer === 'ours' ? 'inbound' : 'outbound')
      // both sides list muxers in the Noise payload, so the muxer is agreed there
      t.same(ours.trace.muxerSelected, [{ protocol: MUXER_PROTOCOL[muxer], how: 'inlined' }], 'muxer agreed inside the handshake')
      t.same(ours.trace.secureMultistream, [], 'no multistream round inside the encrypted channel')

      // ping both ways
      const rtts = await ours.node.ping(jsPeer, { count: 3 })
      t.equal(rtts.length, 3)
      for (const rtt of rtts) t.ok(Number.isFinite(rtt) && rtt >= 0, `our RTT ${rtt} ms is a duration`)
      const jsRtt = await js.services.ping.ping(ourPeerForJs)
      t.ok(Number.isFinite(jsRtt) && jsRtt >= 0, `js RTT ${jsRtt} ms is a duration`)

      // identify: each side asked on connect; check each peer store
      const ourEvent = await within('our identify of the js peer', ourIdentify)
      t.match(ourEvent.result.agentVersion, /^js-libp2p\/3\./)
      const record = ours.node.peerStore.get(jsPeer)
      t.ok(record !== undefined, 'our peer store knows the js peer')
      for (const protocol of JS_PROTOCOLS) t.ok(record?.protocols.includes(protocol), `our peer store: js serves ${protocol}`)
      t.match(record?.metadata.get('AgentVersion'), /^js-libp2p\/3\./)
      t.ok(record?.publicKey !== undefined && Buffer.from(record.publicKey.raw).equals(Buffer.from(js.peerId.publicKey?.raw ?? [])), 'our peer store holds the js public key')
      if (dialer === 'ours') {
        const jsListen = js.getMultiaddrs()[0].decapsulateCode(CODE_P2P).toString()
        t.ok(record?.addresses.some(a => a.multiaddr.toString() === jsListen), `our peer store has the js listen address ${jsListen}`)
      }
      const jsResult = await within('js identify of our peer', jsIdentify)
      t.equal(jsResult.agentVersion, AGENT_VERSION)
      const jsRecord = await js.peerStore.get(ourPeerForJs)
      for (const protocol of OUR_PROTOCOLS) t.ok(jsRecord.protocols.includes(protocol), `js peer store: we serve ${protocol}`)
      t.equal(new TextDecoder().decode(jsRecord.metadata.get('AgentVersion')), AGENT_VERSION)
      t.ok(jsRecord.peerRecordEnvelope !== undefined, 'js accepted and stored our signed peer record')
      if (dialer === 'js') {
        const ourListen = ours.node.multiaddrs[0].decapsulateCode(CODE_P2P).toString()
        t.ok(jsRecord.addresses.some(a => a.multiaddr.toString() === ourListen), `js peer store has our listen address ${ourListen}`)
      }

      // identify push both ways: a protocol registered now reaches the other
      // peer store (js delays its push by about a second, so the echoes
      // below run meanwhile)
      ours.node.handle(OUR_PUSHED_PROTOCOL, async stream => { stream.destroy() })
      await js.handle(JS_PUSHED_PROTOCOL, (stream) => { stream.abort(new Error('not used')) })
      const pushes = Promise.all([
        waitFor('js to learn our new protocol by identify push', async () => (await js.peerStore.get(ourPeerForJs)).protocols.includes(OUR_PUSHED_PROTOCOL)),
        waitFor('us to learn the js node\'s new protocol by identify push', () => ours.node.peerStore.get(jsPeer)?.protocols.includes(JS_PUSHED_PROTOCOL) === true)
      ])

      // echo: 10 concurrent 1 MiB streams each way, byte-exact
      const ourPayloads = Array.from({ length: ECHO_STREAMS }, () => payload(ONE_MIB))
      const jsPayloads = Array.from({ length: ECHO_STREAMS }, () => payload(ONE_MIB))
      const [, ourEchoes, jsEchoes] = await Promise.all([
        pushes,
        Promise.all(ourPayloads.map(async p => await ourEcho(ours.node, jsPeer, p))),
        Promise.all(jsPayloads.map(async p => await jsEcho(js, ourPeerForJs, p)))
      ])
      t.pass('identify push delivered both ways')
      t.ok(ourEchoes.every((echo, i) => echo.equals(ourPayloads[i])), `our ${ECHO_STREAMS} × 1 MiB echoed byte-exact by js`)
      t.ok(jsEchoes.every((echo, i) => Buffer.from(echo).equals(jsPayloads[i])), `js ${ECHO_STREAMS} × 1 MiB echoed byte-exact by us`)
      t.equal(ours.node.switch.getConnections().length, 1, 'still one connection after the echoes')
      t.equal(js.getConnections().length, 1)

      // close: the dialer hangs up
      if (dialer === 'ours') await ours.node.switch.hangUp(jsPeer)
      else await js.hangUp(ourPeerForJs)
      t.equal((await within('our peer:disconnect', ourDisconnect)).toString(), js.peerId.toString())
      t.equal(await within('js peer:disconnect', jsDisconnect), ours.node.peerId.toString())
      t.equal(await within('our connection close', closedWith), undefined, 'our connection closed without an error')
      t.equal(connection.status, 'closed')
      t.same(ours.node.switch.getConnections(), [], 'no connection left on our side')
      t.same(js.getConnections(), [], 'no connection left on the js side')
      t.same(ours.upgradeErrors, [], 'no failed upgrades on our side')
    })
  }
}
