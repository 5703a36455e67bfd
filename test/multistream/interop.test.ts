// Our multistream-select against js-libp2p's @libp2p/multistream-select
// (an independent implementation), over in-memory pairs and TCP, both roles.

import t from 'tap'
import type { Duplex } from 'node:stream'
import {
  handleProtocols, listProtocols, MULTISTREAM_PROTOCOL_ID, readOptimisticAccept, selectOptimistic, selectProtocol, writeOptimisticProposal
} from '../../src/multistream/index.js'
import { duplexPair, tcpPair } from '../helpers/duplex-pair.js'
import { StreamReader } from '../../src/util/stream-reader.js'
import { JS_PROTOCOL_ID, jsHandle, jsRead, jsSelect, jsStream } from './fixtures/js-libp2p.js'

const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString()

t.test('both implementations name the same header', async t => {
  t.equal(JS_PROTOCOL_ID, MULTISTREAM_PROTOCOL_ID)
})

const pairs: Array<[string, () => Promise<[Duplex, Duplex]>]> = [
  ['duplexPair', async () => duplexPair()],
  ['tcpPair', async () => await tcpPair()]
]

for (const [name, makePair] of pairs) {
  t.test(`${name}: our dialer, js listener, fallback after na, data after agreement`, async t => {
    const [ours, theirs] = await makePair()
    const js = jsStream(theirs, 'inbound')
    const [selected, handled] = await Promise.all([
      selectProtocol(ours, ['/tls/1.0.0', '/noise']),
      jsHandle(js, ['/noise'])
    ])
    t.equal(selected, '/noise')
    t.equal(handled, '/noise')
    const received = jsRead(js, 5)
    ours.write('hello')
    t.equal(text(await received), 'hello')
    js.send(new TextEncoder().encode('back'))
    t.equal(text(await new StreamReader(ours).readExactly(4)), 'back')
    ours.destroy()
    theirs.destroy()
  })

  t.test(`${name}: js dialer, our listener, fallback after na, data after agreement`, async t => {
    const [theirs, ours] = await makePair()
    const js = jsStream(theirs, 'outbound')
    const [selected, handled] = await Promise.all([
      jsSelect(js, ['/mplex/6.7.0', '/yamux/1.0.0']),
      handleProtocols(ours, ['/yamux/1.0.0']).then(p => { ours.write('welcome'); return p })
    ])
    t.equal(selected, '/yamux/1.0.0')
    t.equal(handled, '/yamux/1.0.0')
    t.equal(text(await jsRead(js, 7)), 'welcome')
    ours.destroy()
    theirs.destroy()
  })
}

t.test('our optimistic dialer (both forms) against the js listener, data in the first packet', async t => {
  {
    const [ours, theirs] = duplexPair()
    const js = jsStream(theirs, 'inbound')
    writeOptimisticProposal(ours, '/noise')
    ours.write('noise msg 1') // before any answer
    const handled = jsHandle(js, ['/noise'])
    const received = handled.then(async () => await jsRead(js, 11))
    t.equal(await readOptimisticAccept(new StreamReader(ours), '/noise'), '/noise')
    t.equal(await handled, '/noise')
    t.equal(text(await received), 'noise msg 1')
    ours.destroy()
  }
  {
    const [ours, theirs] = duplexPair()
    const js = jsStream(theirs, 'inbound')
    const stream = selectOptimistic(ours, '/echo/1.0.0')
    stream.write('ping')
    t.equal(await jsHandle(js, ['/echo/1.0.0']), '/echo/1.0.0')
    t.equal(text(await jsRead(js, 4)), 'ping')
    js.send(new TextEncoder().encode('pong'))
    const reply = await new Promise<Buffer>(resolve => stream.once('data', resolve))
    t.equal(reply.toString(), 'pong')
    stream.destroy()
  }
})

t.test('our optimistic dialer is refused by the js listener with ERR_PROTOCOL_NOT_SUPPORTED', async t => {
  const [ours, theirs] = duplexPair()
  const js = jsStream(theirs, 'inbound')
  void jsHandle(js, ['/noise']).catch(() => {})
  writeOptimisticProposal(ours, '/tls/1.0.0')
  await t.rejects(readOptimisticAccept(new StreamReader(ours), '/tls/1.0.0'), { code: 'ERR_PROTOCOL_NOT_SUPPORTED' })
  ours.destroy()
})

t.test('ls: our dialer reads the js listener\'s list, then selects', async t => {
  const [ours, theirs] = duplexPair()
  const js = jsStream(theirs, 'inbound')
  const handled = jsHandle(js, ['/ipfs/ping/1.0.0', '/ipfs/id/1.0.0'])
  t.same(await listProtocols(ours), ['/ipfs/ping/1.0.0', '/ipfs/id/1.0.0'])
  t.equal(await selectProtocol(ours, ['/ipfs/id/1.0.0'], { headerExchanged: true }), '/ipfs/id/1.0.0')
  t.equal(await handled, '/ipfs/id/1.0.0')
  ours.destroy()
})

t.test('js dialer whose every proposal we refuse fails; our listener stays well-behaved', async t => {
  const [theirs, ours] = duplexPair()
  const js = jsStream(theirs, 'outbound')
  const listening = handleProtocols(ours, ['/only/this'])
  await t.rejects(jsSelect(js, ['/a', '/b']))
  theirs.destroy()
  await t.rejects(listening, { code: 'ERR_UNEXPECTED_EOF' })
})
