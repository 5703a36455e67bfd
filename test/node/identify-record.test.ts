// The node's signed peer record (src/node/identify-service.ts): one record
// per set of listen addresses, signed again with a greater seq when they change.

import t from 'tap'
import { Libp2pNode } from '../../src/node/index.js'
import { openSignedPeerRecord } from '../../src/protocols/index.js'

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
