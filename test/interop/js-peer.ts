// A real js-libp2p node (libp2p 3.x from npm) for interop tests: TCP, Noise,
// yamux or mplex, ping, identify and an /echo/1.0.0 handler. Its connection
// limits are raised: by default it accepts 5 inbound connections per second
// per host, which loopback tests exceed.

import './polyfill.js'
import { createLibp2p } from 'libp2p'
import type { Libp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { mplex } from '@libp2p/mplex'
import { ping } from '@libp2p/ping'
import type { Ping } from '@libp2p/ping'
import { identify } from '@libp2p/identify'
import type { Identify } from '@libp2p/identify'
import { multiaddr } from '@multiformats/multiaddr'
import type { Stream } from '@libp2p/interface'

export type JsNode = Libp2p<{ ping: Ping, identify: Identify }>

export async function createJsNode (options: { muxer: 'yamux' | 'mplex', listen?: boolean }): Promise<JsNode> {
  const node = await createLibp2p({
    addresses: { listen: options.listen === false ? [] : ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: options.muxer === 'yamux' ? [yamux()] : [mplex()],
    services: { ping: ping(), identify: identify() },
    connectionManager: { inboundConnectionThreshold: 10_000, maxIncomingPendingConnections: 1000, maxConnections: 10_000 }
  })
  await node.handle('/echo/1.0.0', async (stream: Stream) => {
    for await (const chunk of stream) {
      if (!stream.send(chunk)) await stream.onDrain()
    }
    await stream.close()
  })
  return node
}

/** js-libp2p dialler side of an echo: send, half-close, read everything back. */
export async function jsEcho (node: JsNode, target: string, payload: Uint8Array): Promise<Uint8Array> {
  const stream = await node.dialProtocol(multiaddr(target), '/echo/1.0.0')
  const reading = (async () => {
    const chunks: Uint8Array[] = []
    for await (const chunk of stream) chunks.push(chunk.subarray())
    return Buffer.concat(chunks)
  })()
  for (let off = 0; off < payload.length; off += 64 * 1024) {
    if (!stream.send(payload.subarray(off, off + 64 * 1024))) await stream.onDrain()
  }
  await stream.close()
  return await reading
}

export { multiaddr }
