// js-libp2p 3.x (from devDependencies) behind the benchmark interface
// (stack.ts): TCP, @chainsafe/libp2p-noise, @chainsafe/libp2p-yamux or
// @libp2p/mplex, ping and identify, with the connection and stream limits
// raised as test/interop/js-peer.ts does (by default js-libp2p accepts 5
// inbound connections per second per host, which loopback load exceeds).
//
// @libp2p/perf is not installed, so /perf/1.0.0 and /echo/1.0.0 are written
// here on js-libp2p's Stream API: the same protocol bytes as ours.

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
import { multiaddr } from '@multiformats/multiaddr'
import type { Stream } from '@libp2p/interface'
import { BENCH_MAX_CONNECTIONS, BENCH_MAX_STREAMS, ECHO_PROTOCOL, PERF_PROTOCOL, patternBytes, sameBytes } from './stack.js'
import type { BenchClient, BenchServer, MuxerName, Stack } from './stack.js'

type JsNode = Libp2p<{ ping: Ping }>

/** perf.md: "a single big-endian uint64 number". */
const PERF_HEADER_LENGTH = 8
/** The write size both perf sides use (as ours: src/protocols/perf PERF_WRITE_CHUNK). */
const PERF_WRITE_CHUNK = 64 * 1024
const ZEROES = new Uint8Array(PERF_WRITE_CHUNK)
/**
 * Dials in parallel while opening idle connections. js-libp2p joins
 * concurrent dials to one peer even with `force`, so each lane is its own
 * client node dialling sequentially.
 */
const IDLE_DIAL_CONCURRENCY = 4
const UPGRADE_TIMEOUT_MS = 60_000
const STREAM_LIMITS = { maxInboundStreams: BENCH_MAX_STREAMS, maxOutboundStreams: BENCH_MAX_STREAMS }
/**
 * js mplex closes the whole connection when the remote opens more than its
 * `disconnectThreshold` (default 5) new streams in a second, and the
 * throughput warm-up opens sixteen perf streams in well under one (as
 * test/interop/js-peer.ts raises it for its tests).
 */
const MPLEX_NEW_STREAMS_PER_SECOND = 10_000

async function createNode (muxer: MuxerName, listen: boolean): Promise<JsNode> {
  return await createLibp2p({
    addresses: { listen: listen ? ['/ip4/127.0.0.1/tcp/0'] : [] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: muxer === 'yamux' ? [yamux(STREAM_LIMITS)] : [mplex({ disconnectThreshold: MPLEX_NEW_STREAMS_PER_SECOND })],
    services: { ping: ping(), identify: identify() },
    connectionManager: {
      inboundConnectionThreshold: BENCH_MAX_CONNECTIONS,
      maxIncomingPendingConnections: 1_000,
      maxConnections: BENCH_MAX_CONNECTIONS,
      // a loaded 2-core machine can take seconds for a handshake while hundreds queue
      inboundUpgradeTimeout: UPGRADE_TIMEOUT_MS,
      dialTimeout: UPGRADE_TIMEOUT_MS
    }
  })
}

type Chunk = Stream extends AsyncIterable<infer T> ? T : never

async function sendZeroes (stream: Stream, total: number): Promise<void> {
  for (let left = total; left > 0; left -= PERF_WRITE_CHUNK) {
    const chunk = left >= PERF_WRITE_CHUNK ? ZEROES : ZEROES.subarray(0, left)
    if (!stream.send(chunk)) await stream.onDrain()
  }
}

async function handlePerf (stream: Stream): Promise<void> {
  const header = new Uint8Array(PERF_HEADER_LENGTH)
  let headerBytes = 0
  for await (const chunk of stream as AsyncIterable<Chunk>) {
    if (headerBytes < PERF_HEADER_LENGTH) {
      const bytes = chunk.subarray()
      const take = Math.min(PERF_HEADER_LENGTH - headerBytes, bytes.length)
      header.set(bytes.subarray(0, take), headerBytes)
      headerBytes += take
    }
  }
  if (headerBytes < PERF_HEADER_LENGTH) { stream.abort(new Error('short perf request')); return }
  await sendZeroes(stream, Number(new DataView(header.buffer).getBigUint64(0, false)))
  await stream.close()
}

async function handleEcho (stream: Stream): Promise<void> {
  for await (const chunk of stream as AsyncIterable<Chunk>) {
    if (!stream.send(chunk)) await stream.onDrain()
  }
  await stream.close()
}

async function listen (muxer: MuxerName): Promise<BenchServer> {
  const node = await createNode(muxer, true)
  await node.handle(PERF_PROTOCOL, handlePerf, STREAM_LIMITS)
  await node.handle(ECHO_PROTOCOL, handleEcho, STREAM_LIMITS)
  return {
    addr: node.getMultiaddrs()[0].toString(),
    connectionCount: () => node.getConnections().length,
    close: async () => { await node.stop() }
  }
}

async function readAll (stream: Stream): Promise<{ bytes: number, chunks: Uint8Array[] }> {
  const chunks: Uint8Array[] = []
  let bytes = 0
  for await (const chunk of stream as AsyncIterable<Chunk>) {
    // a Uint8ArrayList's pieces as they are: subarray() would join them into a new buffer
    if (chunk instanceof Uint8Array) chunks.push(chunk)
    else for (const piece of chunk) chunks.push(piece)
    bytes += chunk.byteLength
  }
  return { bytes, chunks }
}

async function client (muxer: MuxerName, identities = 1): Promise<BenchClient> {
  const node = await createNode(muxer, false)
  const lanes: JsNode[] = []
  const dialers = [node]
  while (dialers.length < identities) dialers.push(await createNode(muxer, false))
  let nextDialer = 0
  return {
    async perf (addr, up, down) {
      const start = performance.now()
      const stream = await node.dialProtocol(multiaddr(addr), PERF_PROTOCOL)
      const header = new Uint8Array(PERF_HEADER_LENGTH)
      new DataView(header.buffer).setBigUint64(0, BigInt(down), false)
      stream.send(header)
      await sendZeroes(stream, up)
      await stream.close()
      let received = 0
      for await (const chunk of stream as AsyncIterable<Chunk>) received += chunk.byteLength
      if (received !== down) throw new Error(`perf: asked for ${down} bytes, received ${received}`)
      return (performance.now() - start) / 1000
    },
    async dialPing (addr) {
      const dialer = dialers[nextDialer++ % dialers.length]
      const start = performance.now()
      const connection = await dialer.dial(multiaddr(addr), { force: true })
      await dialer.services.ping.ping(connection.remotePeer)
      const ms = performance.now() - start
      await connection.close()
      return ms
    },
    async openIdle (addr, count) {
      const ma = multiaddr(addr)
      while (lanes.length < IDLE_DIAL_CONCURRENCY) lanes.push(await createNode(muxer, false))
      let left = count
      await Promise.all(lanes.map(async lane => {
        while (left > 0) {
          left--
          await lane.dial(ma, { force: true })
        }
      }))
    },
    async streams (addr, count, size) {
      const payload = patternBytes(size)
      const start = performance.now()
      const connection = await node.dial(multiaddr(addr))
      await Promise.all(Array.from({ length: count }, async () => {
        const stream = await connection.newStream(ECHO_PROTOCOL, STREAM_LIMITS)
        const reading = readAll(stream)
        if (!stream.send(payload)) await stream.onDrain()
        await stream.close()
        const back = await reading
        if (!sameBytes(payload, Buffer.concat(back.chunks))) throw new Error(`echo returned ${back.bytes} bytes that differ from the ${size} sent`)
      }))
      return performance.now() - start
    },
    async close () {
      await Promise.all([...dialers, ...lanes].map(async n => { await n.stop() }))
    }
  }
}

export const js: Stack = { listen, client }
