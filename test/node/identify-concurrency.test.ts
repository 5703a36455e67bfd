// One identify and one push at a time per connection (js-libp2p takes a
// single inbound stream of each and resets a second), and no change of ours
// lost while a peer's identify is still running (src/node/identify-service.ts).

import t from 'tap'
import { IDENTIFY_PROTOCOL, IDENTIFY_PUSH_PROTOCOL, handleIdentify, handleIdentifyPush } from '../../src/protocols/index.js'
import { startNode } from '../helpers/node.js'


const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }

t.test('identify() while the automatic identify runs waits for it: the peer answers one stream', async t => {
  const a = await startNode(t, { listenAddrs: ['/ip4/127.0.0.1/tcp/0'] })
  let streams = 0
  // as js-libp2p: one inbound identify stream per connection (a second is reset)
  a.switch.handle(IDENTIFY_PROTOCOL, async (stream, connection) => {
    streams++
    await sleep(50)
    await handleIdentify(stream, a.identifyService.localInfo(connection))
  }, { maxInboundStreams: 1 })
  const b = await startNode(t)
  await b.dial(a.multiaddrs[0])
  const [first, second] = await Promise.all([b.identify(a.peerId), b.identify(a.peerId)])
  t.equal(streams, 1, 'one identify stream reached the peer')
  t.equal(first, second, 'every caller has the one answer')
  t.ok(first.protocols.includes(IDENTIFY_PROTOCOL))
  // once it is over (and its stream closed on the peer's side), a new call asks again
  await sleep(50)
  await b.identify(a.peerId)
  t.equal(streams, 2)
})

t.test('a caller\'s signal ends its own wait, not the identify others wait for', async t => {
  const a = await startNode(t, { listenAddrs: ['/ip4/127.0.0.1/tcp/0'] })
  a.switch.handle(IDENTIFY_PROTOCOL, async (stream, connection) => {
    await sleep(100)
    await handleIdentify(stream, a.identifyService.localInfo(connection))
  }, { maxInboundStreams: 1 })
  const b = await startNode(t)
  const connection = await b.dial(a.multiaddrs[0])
  const controller = new AbortController()
  const impatient = b.identifyService.identify(connection, { signal: controller.signal })
  const patient = b.identifyService.identify(connection)
  controller.abort(new Error('gave up'))
  await t.rejects(impatient, { message: 'gave up' })
  const result = await patient
  t.ok(result.protocols.length > 0, 'the other caller has its answer')
})

t.test('changes during a push are sent by one more push, never by a second stream at once', async t => {
  const a = await startNode(t, { listenAddrs: ['/ip4/127.0.0.1/tcp/0'] })
  let open = 0
  let maxOpen = 0
  let pushes = 0
  a.switch.handle(IDENTIFY_PUSH_PROTOCOL, async (stream, connection) => {
    open++
    maxOpen = Math.max(maxOpen, open)
    try {
      await sleep(30)
      const result = await handleIdentifyPush(stream, connection.remotePeer)
      pushes++
      a.peerStore.update(connection.remotePeer, { setProtocols: result.protocols })
    } finally {
      open--
    }
  }, { maxInboundStreams: 1 })
  const b = await startNode(t)
  const identified = new Promise(resolve => b.identifyService.once('identify', resolve))
  await b.dial(a.multiaddrs[0])
  await identified
  b.handle('/x/1.0.0', () => {})
  await new Promise(resolve => setImmediate(resolve))
  b.handle('/y/1.0.0', () => {})
  b.handle('/z/1.0.0', () => {})
  for (let i = 0; i < 100 && a.peerStore.get(b.peerId)?.protocols.includes('/z/1.0.0') !== true; i++) await sleep(20)
  const protocols = a.peerStore.get(b.peerId)?.protocols ?? []
  t.ok(['/x/1.0.0', '/y/1.0.0', '/z/1.0.0'].every(p => protocols.includes(p)), `the peer has the latest protocols (${protocols.join(' ')})`)
  t.equal(maxOpen, 1, 'one push stream at a time')
  t.equal(pushes, 2, 'the changes during the first push went in one more')
})

t.test('a change while our identify of the peer runs is pushed once it is over', async t => {
  const a = await startNode(t, { listenAddrs: ['/ip4/127.0.0.1/tcp/0'] })
  // a answers identify slowly: b's identify of a runs for 300 ms
  a.switch.handle(IDENTIFY_PROTOCOL, async (stream, connection) => {
    await sleep(300)
    await handleIdentify(stream, a.identifyService.localInfo(connection))
  })
  const b = await startNode(t)
  const aLearnt = new Promise(resolve => a.once('peer:identify', resolve))
  await b.dial(a.multiaddrs[0])
  await aLearnt
  b.handle('/foo/1.0.0', () => {})
  t.notOk(b.peerStore.get(a.peerId)?.protocols.includes(IDENTIFY_PUSH_PROTOCOL) === true, 'b does not know yet that a takes pushes')
  for (let i = 0; i < 100 && a.peerStore.get(b.peerId)?.protocols.includes('/foo/1.0.0') !== true; i++) await sleep(20)
  t.ok(a.peerStore.get(b.peerId)?.protocols.includes('/foo/1.0.0'), 'a learnt of /foo/1.0.0')
})
