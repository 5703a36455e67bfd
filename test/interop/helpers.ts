// Helpers shared by the interop tests (not a test file itself): our side of
// each scenario, peer-ID translation between the two stacks, byte-exact
// echo, and waiting for events with a deadline (so a missing event fails
// the test instead of hanging it).

import './polyfill.js'
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { peerIdFromString } from '@libp2p/peer-id'
import type { PeerId as JsPeerId } from '@libp2p/interface'
import { Libp2pNode } from '../../src/node/index.js'
import type { NodeInit } from '../../src/node/index.js'
import { PeerId } from '../../src/peer/index.js'
import { yamux } from '../../src/yamux/index.js'
import { mplex } from '../../src/mplex/index.js'
import type { StreamMuxerFactory } from '../../src/muxer/types.js'
import { ECHO_PROTOCOL } from '../../src/protocols/index.js'
import type { JsMuxerName } from './js-peer.js'

/** How long any single awaited event may take before the test fails. */
export const EVENT_TIMEOUT_MS = 5_000

/** 1 MiB, the echo size the issue asks for. */
export const ONE_MIB = 1024 * 1024

export const MUXER_PROTOCOL: Record<JsMuxerName, string> = { yamux: '/yamux/1.0.0', mplex: '/mplex/6.7.0' }

export function ourMuxers (names: JsMuxerName[]): StreamMuxerFactory[] {
  return names.map(name => name === 'yamux' ? yamux : mplex)
}

/** What our node's upgrade trace saw: the muxer choice and any multistream rounds inside Noise. */
export interface TraceLog {
  muxerSelected: Array<{ protocol: string, how: 'inlined' | 'multistream' }>
  secureMultistream: string[]
}

export interface OurNode {
  node: Libp2pNode
  trace: TraceLog
  /** Switch 'upgrade:error' events: an upgrade that failed on our side. */
  upgradeErrors: Error[]
}

/** Our node with echo on, listening on a loopback port unless `listen` is false. */
export async function createOurNode (options: { muxers: JsMuxerName[], listen?: boolean } & Omit<NodeInit, 'muxers' | 'trace'>): Promise<OurNode> {
  const trace: TraceLog = { muxerSelected: [], secureMultistream: [] }
  const { muxers, listen, ...rest } = options
  const node = new Libp2pNode({
    echo: true,
    listenAddrs: listen === false ? [] : ['/ip4/127.0.0.1/tcp/0'],
    ...rest,
    muxers: ourMuxers(muxers),
    trace: {
      onMuxerSelected: (protocol, how) => { trace.muxerSelected.push({ protocol, how }) },
      onMultistream: (scope, direction, message) => {
        if (scope === 'secure') trace.secureMultistream.push(`${direction} ${message}`)
      }
    }
  })
  const upgradeErrors: Error[] = []
  node.switch.on('upgrade:error', (err: Error) => { upgradeErrors.push(err) })
  await node.start()
  return { node, trace, upgradeErrors }
}

export function toJsPeerId (peer: PeerId): JsPeerId {
  return peerIdFromString(peer.toString())
}

export function toOurPeerId (peer: JsPeerId): PeerId {
  return PeerId.parse(peer.toString())
}

/** Random bytes: a wrong, dropped or reordered byte cannot echo back equal. */
export function payload (bytes: number): Buffer {
  return randomBytes(bytes)
}

/**
 * Our dialler side of an echo: write in 64 KiB pieces, half-close, read
 * everything back. Reading and writing run together, and a reset rejects
 * (instead of leaving a write waiting for 'drain' forever).
 */
export async function ourEcho (node: Libp2pNode, target: PeerId, data: Uint8Array): Promise<Buffer> {
  const stream = await node.newStream(target, ECHO_PROTOCOL)
  const reading = (async () => {
    const chunks: Buffer[] = []
    for await (const chunk of stream.iterator({ destroyOnReturn: false })) chunks.push(chunk as Buffer)
    return Buffer.concat(chunks)
  })()
  const writing = (async () => {
    for (let off = 0; off < data.length; off += 64 * 1024) {
      if (!stream.write(data.subarray(off, off + 64 * 1024))) await once(stream, 'drain')
    }
    stream.end()
  })()
  const [echoed] = await Promise.all([reading, writing])
  return echoed
}

/** Resolves when `predicate` holds, polling every 10 ms; rejects after `ms`. */
export async function waitFor (what: string, predicate: () => boolean | Promise<boolean>, ms = EVENT_TIMEOUT_MS): Promise<void> {
  const deadline = Date.now() + ms
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 10))
  }
}

/** Rejects with a message naming `what` when `promise` takes longer than `ms`. */
export async function within<T> (what: string, promise: Promise<T>, ms = EVENT_TIMEOUT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => { reject(new Error(`timed out after ${ms} ms waiting for ${what}`)) }, ms)
  })
  try {
    return await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}
