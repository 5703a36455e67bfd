// Our stack behind the benchmark interface (stack.ts): a Libp2pNode serving
// ping, echo and perf with limits raised for loopback load, and a client
// that dials it. Idle connections come from one client node each, because
// the switch (rightly) reuses one connection per peer; the listener then sees
// what it sees in life: a peer that answers identify.

import { Libp2pNode } from '../src/node/index.js'
import { yamux } from '../src/yamux/index.js'
import { mplex } from '../src/mplex/index.js'
import type { Connection } from '../src/upgrader/index.js'
import { ECHO_PROTOCOL, handleEcho, ping, PING_PROTOCOL, perfClient } from '../src/protocols/index.js'
import { endStream, readChunks, writeChunk } from '../src/protocols/stream-io.js'
import type { StreamMuxerFactory } from '../src/muxer/types.js'
import type { ConnectionLimits } from '../src/switch/index.js'
import { BENCH_MAX_CONNECTIONS, BENCH_MAX_STREAMS, patternBytes, sameBytes } from './stack.js'
import type { BenchClient, BenchServer, MuxerName, Stack } from './stack.js'

/** Every switch limit a benchmark reaches, raised (the defaults protect a public node). */
const LIMITS: Partial<ConnectionLimits> = {
  maxConnections: BENCH_MAX_CONNECTIONS,
  maxInboundConnections: BENCH_MAX_CONNECTIONS,
  maxOutboundConnections: BENCH_MAX_CONNECTIONS,
  maxConnectionsPerPeer: BENCH_MAX_CONNECTIONS,
  maxInboundPendingUpgrades: 1_000,
  maxStreamsPerConnection: BENCH_MAX_STREAMS,
  maxInboundStreamsPerPeer: BENCH_MAX_STREAMS,
  maxOutboundStreamsPerPeer: BENCH_MAX_STREAMS,
  maxInboundStreamsPerProtocol: BENCH_MAX_STREAMS
}

/** Concurrent dials while opening idle connections (enough to keep both cores busy). */
const IDLE_DIAL_CONCURRENCY = 8

function muxerFactory (muxer: MuxerName): StreamMuxerFactory {
  return muxer === 'yamux' ? yamux : mplex
}

async function listen (muxer: MuxerName): Promise<BenchServer> {
  const node = new Libp2pNode({
    listenAddrs: ['/ip4/127.0.0.1/tcp/0'],
    muxers: [muxerFactory(muxer)],
    limits: LIMITS,
    perf: true
  })
  node.handle(ECHO_PROTOCOL, async stream => { await handleEcho(stream) }, { maxInboundStreams: BENCH_MAX_STREAMS })
  await node.start()
  return {
    addr: node.multiaddrs[0].toString(),
    connectionCount: () => node.switch.getConnections().length,
    close: async () => { await node.stop() }
  }
}

/** One echo of `payload` on a new stream, checked byte for byte. */
async function echoOnce (connection: Connection, payload: Uint8Array): Promise<void> {
  // Connection.newStream waits while 256 yamux streams are unacknowledged
  const stream = await connection.newStream(ECHO_PROTOCOL)
  const reading = (async () => {
    const chunks: Uint8Array[] = []
    for await (const chunk of readChunks(stream)) chunks.push(chunk)
    return Buffer.concat(chunks)
  })()
  // awaited together, so a failure of either is never left unhandled
  const [back] = await Promise.all([reading, (async () => { await writeChunk(stream, payload); await endStream(stream) })()])
  if (!sameBytes(payload, back)) throw new Error(`echo returned ${back.length} bytes that differ from the ${payload.length} sent`)
}

async function client (muxer: MuxerName, identities = 1): Promise<BenchClient> {
  const node = new Libp2pNode({ muxers: [muxerFactory(muxer)], limits: LIMITS })
  await node.start()
  const idle: Libp2pNode[] = []
  const dialers = [node]
  while (dialers.length < identities) {
    const dialer = new Libp2pNode({ muxers: [muxerFactory(muxer)], limits: LIMITS })
    await dialer.start()
    dialers.push(dialer)
  }
  let nextDialer = 0

  return {
    async perf (addr, up, down) {
      // timed from before the stream's opening, as js.ts times js-libp2p's
      const start = performance.now()
      const stream = await node.newStream(addr, '/perf/1.0.0')
      await perfClient(stream, { uploadBytes: up, downloadBytes: down })
      return (performance.now() - start) / 1000
    },
    async dialPing (addr) {
      const dialer = dialers[nextDialer++ % dialers.length]
      const start = performance.now()
      const connection = await dialer.dial(addr)
      const stream = await connection.newStream(PING_PROTOCOL)
      await ping(stream, { count: 1 })
      const ms = performance.now() - start
      await connection.close()
      return ms
    },
    async openIdle (addr, count) {
      let left = count
      await Promise.all(Array.from({ length: IDLE_DIAL_CONCURRENCY }, async () => {
        while (left > 0) {
          left--
          const peer = new Libp2pNode({ muxers: [muxerFactory(muxer)] })
          idle.push(peer)
          await peer.start()
          await peer.dial(addr)
        }
      }))
    },
    async streams (addr, count, size) {
      const payload = patternBytes(size)
      const start = performance.now()
      const connection = await node.dial(addr)
      await Promise.all(Array.from({ length: count }, async () => { await echoOnce(connection, payload) }))
      return performance.now() - start
    },
    async close () {
      await Promise.all([...idle, ...dialers].map(async peer => { await peer.stop() }))
    }
  }
}

export const ours: Stack = { listen, client }
