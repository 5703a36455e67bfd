// A started Libp2pNode that the test stops when it ends (tests in test/node/).

import type { Test } from 'tap'
import { Libp2pNode, type NodeInit } from '../../src/node/index.js'

export async function startNode (t: Test, init: NodeInit = {}): Promise<Libp2pNode> {
  const node = new Libp2pNode(init)
  await node.start()
  t.teardown(async () => { await node.stop() })
  return node
}
