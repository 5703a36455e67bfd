// `p2p listen`: serves ping, identify (+push), perf and echo until SIGINT or
// SIGTERM, then shuts down cleanly. --trace prints the wire trace of every
// connection (src/trace); --keylog FILE appends the Noise keys to FILE.

import { parseArgs } from 'node:util'
import { Libp2pNode } from '../../node/index.js'
import { SqlitePeerStore } from '../../peerstore/index.js'
import { loadIdentity, parseMuxers } from '../options.js'
import { commandTraceSink, commandTracer } from './trace.js'
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
      trace: { type: 'boolean' },
      keylog: { type: 'string' },
      json: { type: 'boolean' }
    }
  })
  const privateKey = loadIdentity(values.identity)
  const muxers = parseMuxers(values.muxer)
  // --trace prints every connection's wire trace; --keylog alone logs keys and prints nothing more
  const trace = values.trace === true || values.keylog !== undefined
    ? commandTracer(privateKey, muxers, values.trace === true ? commandTraceSink(out) : () => {}, values.keylog)
    : undefined
  const node = new Libp2pNode({
    privateKey,
    listenAddrs: values.listen ?? [DEFAULT_LISTEN_ADDR],
    muxers,
    trace,
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
