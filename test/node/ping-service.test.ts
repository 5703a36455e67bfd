// The node's ping and the stream rules of ping.md (src/node/ping-service.ts):
// "The dialing peer MUST NOT keep more than one outbound stream for the ping
// protocol per peer" and "The listening peer SHOULD accept at most two
// streams per peer"; and the time limits that keep a silent peer from
// holding a ping, or the next one, for good.

import t, { type Test } from 'tap'
import type { Duplex } from 'node:stream'
import { Libp2pNode, type NodeInit } from '../../src/node/index.js'
import { Switch } from '../../src/switch/index.js'
import { generateKeyPair } from '../../src/peer/index.js'
import { PING_PROTOCOL, handlePing, ping } from '../../src/protocols/index.js'
import { isP2PError } from '../../src/util/errors.js'
import { startNode as startNodeWith } from '../helpers/node.js'

/** A ping listener whose handler the test writes; it counts the streams open at once. */
async function listener (t: Test, handler: (stream: Duplex) => void | Promise<void>): Promise<{ sw: Switch, maxOpen: () => number, total: () => number }> {
  const sw = new Switch({ privateKey: generateKeyPair('Ed25519'), listenAddrs: ['/ip4/127.0.0.1/tcp/0'] })
  let open = 0
  let max = 0
  let total = 0
  sw.handle(PING_PROTOCOL, async stream => {
    open++
    total++
    max = Math.max(max, open)
    stream.once('close', () => { open-- })
    stream.on('error', () => {})
    await handler(stream)
  }, { maxInboundStreams: 100 })
  await sw.start()
  t.teardown(async () => { await sw.stop() })
  return { sw, maxOpen: () => max, total: () => total }
}

async function startNode (t: Test, init: NodeInit = {}): Promise<Libp2pNode> {
  return await startNodeWith(t, { identifyOnConnect: false, ...init })
}

const closed = async (stream: Duplex): Promise<void> => {
  if (!stream.closed) await new Promise(resolve => stream.once('close', resolve))
}

t.test('concurrent pings to one peer: one stream at a time, every ping answered', async t => {
  const peer = await listener(t, async stream => { await handlePing(stream) })
  const node = await startNode(t)
  const results = await Promise.all(Array.from({ length: 5 }, async () => await node.ping(peer.sw.multiaddrs[0], { count: 2 })))
  for (const rtts of results) t.equal(rtts.length, 2)
  t.equal(peer.total(), 5, 'five streams, one per ping')
  t.equal(peer.maxOpen(), 1, 'never two at once')
})

t.test('a peer that never echoes: ERR_PING_TIMEOUT, and the next ping is not held back', async t => {
  const held: Duplex[] = []
  const peer = await listener(t, stream => { held.push(stream); stream.resume() })
  const node = await startNode(t)
  const err = await node.ping(peer.sw.multiaddrs[0], { timeoutMs: 150 }).catch(e => e)
  t.ok(isP2PError(err, 'ERR_PING_TIMEOUT'), String(err))
  const start = performance.now()
  const second = await node.ping(peer.sw.multiaddrs[0], { timeoutMs: 150 }).catch(e => e)
  t.ok(isP2PError(second, 'ERR_PING_TIMEOUT'), 'the second ping ran, and timed out on its own')
  t.ok(performance.now() - start < 1_000, 'without waiting for anything else first')
  await closed(held[0])
  t.ok(isP2PError(held[0].errored, 'ERR_STREAM_RESET'), 'the first stream was reset')
})

t.test('a ping with a bad option fails before it takes the peer\'s one ping stream', async t => {
  const peer = await listener(t, async stream => { await handlePing(stream) })
  const node = await startNode(t)
  const connection = await node.dial(peer.sw.multiaddrs[0])
  await t.rejects(node.pingService.pingConnection(connection, { count: 0 }), { code: 'ERR_INVALID_PARAMETERS' })
  t.notOk(node.pingService.busy(connection.remotePeer), 'the slot is free')
  t.equal(connection.streams.length, 0, 'no stream was opened')
  const rtts = await node.ping(peer.sw.multiaddrs[0], { timeoutMs: 2000 })
  t.equal(rtts.length, 1, 'the next ping runs at once')
})

t.test('a peer that echoes but never closes its side: the next ping waits at most the time limit', async t => {
  const peer = await listener(t, stream => {
    // echoes every payload, never ends the stream
    stream.on('data', (chunk: Uint8Array) => { stream.write(chunk) })
  })
  const node = await startNode(t)
  t.equal((await node.ping(peer.sw.multiaddrs[0], { timeoutMs: 200 })).length, 1)
  const start = performance.now()
  t.equal((await node.ping(peer.sw.multiaddrs[0], { timeoutMs: 200 })).length, 1, 'the second ping is answered too')
  const waited = performance.now() - start
  t.ok(waited >= 150, `it waited for the first stream to be reset (${waited.toFixed(0)} ms)`)
  t.ok(waited < 2_000, 'and no longer')
  t.equal(peer.maxOpen(), 1, 'still never two at once')
})

t.test('a ping waiting for the peer\'s previous one can be aborted', async t => {
  const peer = await listener(t, stream => { stream.resume() })
  const node = await startNode(t)
  const first = node.ping(peer.sw.multiaddrs[0], { timeoutMs: 5_000 }).catch(e => e)
  const controller = new AbortController()
  const second = node.ping(peer.sw.multiaddrs[0], { signal: controller.signal }).catch(e => e)
  setTimeout(() => { controller.abort(new Error('no longer needed')) }, 50)
  t.match(String(await second), /no longer needed/, 'the waiting ping rejects with the abort reason')
  t.equal(peer.total(), 1, 'it never opened a stream')
  await node.stop()
  t.ok(await first instanceof Error, 'the first fails when the node stops')
})

t.test('our listener accepts at most two ping streams per peer; a third is reset', async t => {
  const node = await startNode(t, { listenAddrs: ['/ip4/127.0.0.1/tcp/0'] })
  const dialer = new Switch({ privateKey: generateKeyPair('Ed25519') })
  t.teardown(async () => { await dialer.stop() })
  const streams = [
    await dialer.newStream(node.multiaddrs[0], PING_PROTOCOL),
    await dialer.newStream(node.multiaddrs[0], PING_PROTOCOL),
    await dialer.newStream(node.multiaddrs[0], PING_PROTOCOL)
  ]
  for (const s of streams) s.on('error', () => {})
  const [first, second, third] = await Promise.all(streams.map(async s => await ping(s).catch(e => e)))
  t.equal(first.length, 1, 'the first is served')
  t.equal(second.length, 1, 'so is the second')
  t.ok(third instanceof Error, `the third is refused: ${String(third)}`)
  t.equal(node.switch.metrics.refused.maxInboundStreamsPerProtocol, 1, 'counted as a refusal')
  // once one of the two has finished, a new one is served again
  await closed(streams[0])
  const again = await dialer.newStream(node.multiaddrs[0], PING_PROTOCOL)
  t.equal((await ping(again)).length, 1)
})

t.test('optimistic: false: a peer without ping always answers na', async t => {
  const server = await startNode(t, { listenAddrs: ['/ip4/127.0.0.1/tcp/0'] })
  server.unhandle(PING_PROTOCOL)
  const client = await startNode(t)
  const codes = new Set<string>()
  for (let i = 0; i < 20; i++) {
    await client.ping(server.multiaddrs[0], { optimistic: false }).then(
      () => { codes.add('answered') },
      (err: unknown) => { codes.add(isP2PError(err) ? err.code : String(err)) })
  }
  t.same([...codes], ['ERR_PROTOCOL_NOT_SUPPORTED'], 'twenty times na, never a reset')
})
