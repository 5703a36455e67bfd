// A real js-libp2p node (libp2p 3.x from npm) for interop tests: TCP, Noise,
// yamux and/or mplex, ping, identify, identify push and an /echo/1.0.0
// handler. Its limits are raised: by default it accepts 5 inbound
// connections per second per host, which loopback tests exceed; and its
// mplex aborts the whole connection ("Too many open streams") when the
// remote opens more than 5 streams in one second (`disconnectThreshold`,
// although its doc says this applies only past maxInboundStreams), which 10
// concurrent echoes exceed.

import './polyfill.js'
import { createLibp2p } from 'libp2p'
import type { Libp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { mplex } from '@libp2p/mplex'
import { ping } from '@libp2p/ping'
import type { Ping } from '@libp2p/ping'
import { identify, identifyPush } from '@libp2p/identify'
import type { Identify, IdentifyPush } from '@libp2p/identify'
import { multiaddr } from '@multiformats/multiaddr'
import type { PeerId as JsPeerId, Stream } from '@libp2p/interface'

export type JsNode = Libp2p<{ ping: Ping, identify: Identify, identifyPush: IdentifyPush }>

/** Raised from js mplex's default of 5 new inbound streams per second. */
export const JS_MPLEX_NEW_STREAMS_PER_SECOND = 10_000

export type JsMuxerName = 'yamux' | 'mplex'

export interface JsNodeOptions {
  /** One muxer; or `muxers` for several, in the order js-libp2p should prefer them. */
  muxer?: JsMuxerName
  muxers?: JsMuxerName[]
  listen?: boolean
  /** js yamux's keepalive ping period (its default: 30 s); 0 turns its keepalive off. */
  yamuxKeepAliveIntervalMs?: number
}

export async function createJsNode (options: JsNodeOptions): Promise<JsNode> {
  const names = options.muxers ?? [options.muxer ?? 'yamux']
  const node = await createLibp2p({
    addresses: { listen: options.listen === false ? [] : ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: names.map(name => name === 'yamux' ? yamux(yamuxKeepAlive(options.yamuxKeepAliveIntervalMs)) : mplex({ disconnectThreshold: JS_MPLEX_NEW_STREAMS_PER_SECOND })),
    services: { ping: ping(), identify: identify(), identifyPush: identifyPush() },
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

function yamuxKeepAlive (intervalMs: number | undefined): { enableKeepAlive?: boolean, keepAliveInterval?: number } {
  if (intervalMs === undefined) return {}
  return intervalMs === 0 ? { enableKeepAlive: false } : { keepAliveInterval: intervalMs }
}

/**
 * js-libp2p dialler side of an echo: send, half-close, read everything back.
 * Reading and sending run together, so a reset rejects this promise rather
 * than leaving an unhandled rejection behind.
 */
export async function jsEcho (node: JsNode, target: string | JsPeerId, payload: Uint8Array): Promise<Uint8Array> {
  const stream = await node.dialProtocol(typeof target === 'string' ? multiaddr(target) : target, '/echo/1.0.0')
  const reading = (async () => {
    const chunks: Uint8Array[] = []
    for await (const chunk of stream) chunks.push(chunk.subarray())
    return Buffer.concat(chunks)
  })()
  const sending = (async () => {
    for (let off = 0; off < payload.length; off += 64 * 1024) {
      if (!stream.send(payload.subarray(off, off + 64 * 1024))) await stream.onDrain()
    }
    await stream.close()
  })()
  const [echoed] = await Promise.all([reading, sending])
  return echoed
}

export { multiaddr }
