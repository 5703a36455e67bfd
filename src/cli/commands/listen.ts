// `p2p listen`: serves ping, identify (+push), perf and echo until SIGINT or
// SIGTERM, then shuts down cleanly.

import { parseArgs } from 'node:util'
import { Libp2pNode } from '../../node/index.js'
import { SqlitePeerStore } from '../../peerstore/index.js'
import { loadIdentity, parseMuxers } from '../options.js'
import type { Output } from '../output.js'

export const DEFAULT_LISTEN_ADDR = '/ip4/127.0.0.1/tcp/0'

export async function listenCommand (args: string[], out: Output, stop: Promise<void>): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      listen: { type: 'string', multiple: true },
      identity: { type: 'string' },
      muxer: { type: 'string' },
      peerstore: { type: 'string' },
      json: { type: 'boolean' }
    }
  })
  const node = new Libp2pNode({
    privateKey: loadIdentity(values.identity),
    listenAddrs: values.listen ?? [DEFAULT_LISTEN_ADDR],
    muxers: parseMuxers(values.muxer),
    peerStore: values.peerstore === undefined ? undefined : new SqlitePeerStore(values.peerstore),
    echo: true,
    perf: true
  })
  node.on('peer:connect', peer => { out.line(`connected: ${String(peer)}`) })
  node.on('peer:disconnect', peer => { out.line(`disconnected: ${String(peer)}`) })
  await node.start()
  const listenAddrs = node.multiaddrs.map(a => a.toString())
  out.record({ peerId: node.peerId.toString(), listenAddrs })
  out.line(`peer ID ${node.peerId.toString()}`)
  for (const addr of listenAddrs) out.line(`listening on ${addr}`)
  await stop
  out.line('shutting down')
  await node.stop()
  return 0
}
