// The identify time limit (src/node/identify-service.ts): a remote that
// accepts /ipfs/id/1.0.0 and never answers, or opens /ipfs/id/push/1.0.0 and
// never sends, has its stream reset after `identifyTimeoutMs` (js-libp2p's
// 5 s by default) with ERR_IDENTIFY_TIMEOUT, instead of holding the stream,
// and with it the connection, for good.

import t, { type Test } from 'tap'
import type { Duplex } from 'node:stream'
import { Libp2pNode, type IdentifyEvent, type NodeInit } from '../../src/node/index.js'
import { Switch } from '../../src/switch/index.js'
import { generateKeyPair } from '../../src/peer/index.js'
import { IDENTIFY_PROTOCOL, IDENTIFY_PUSH_PROTOCOL, MAX_IDENTIFY_MESSAGES, encodeIdentify, handleIdentify } from '../../src/protocols/index.js'
import { publicKeyToProtobuf } from '../../src/peer/index.js'
import { encodeUvarint } from '../../src/util/varint.js'
import { isP2PError } from '../../src/util/errors.js'
import { startNode as startNodeWith } from '../helpers/node.js'

const TIMEOUT_MS = 200

/** A peer that accepts identify and identify push streams and never says a word on them. */
async function silentPeer (t: Test): Promise<{ sw: Switch, held: Duplex[] }> {
  const sw = new Switch({ privateKey: generateKeyPair('Ed25519'), listenAddrs: ['/ip4/127.0.0.1/tcp/0'] })
  const held: Duplex[] = []
  sw.handle(IDENTIFY_PROTOCOL, stream => { held.push(stream); stream.on('error', () => {}) })
  await sw.start()
  t.teardown(async () => { await sw.stop() })
  return { sw, held }
}

async function startNode (t: Test, init: NodeInit = {}): Promise<Libp2pNode> {
  return await startNodeWith(t, { identifyTimeoutMs: TIMEOUT_MS, ...init })
}

/** Resolves when `stream` has closed, however (events.once would reject on its 'error'). */
async function closed (stream: Duplex): Promise<void> {
  if (stream.closed) return
  await new Promise(resolve => stream.once('close', resolve))
}

async function waitUntil (what: string, predicate: () => boolean, ms = 3_000): Promise<void> {
  const deadline = performance.now() + ms
  while (!predicate()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 10))
  }
}

t.test('identify(): no answer within the limit rejects with ERR_IDENTIFY_TIMEOUT and resets the stream', async t => {
  const peer = await silentPeer(t)
  const node = await startNode(t, { identifyOnConnect: false })
  const connection = await node.dial(peer.sw.multiaddrs[0])
  const start = performance.now()
  const err = await node.identify(peer.sw.peerId).then(() => undefined, (e: unknown) => e)
  const elapsed = performance.now() - start
  t.ok(isP2PError(err, 'ERR_IDENTIFY_TIMEOUT'), `typed error: ${String(err)}`)
  t.match(String(err), new RegExp(`no Identify answer from ${peer.sw.peerId.toString()} within ${TIMEOUT_MS} ms`))
  t.ok(elapsed >= TIMEOUT_MS - 5, `not before the limit (${elapsed.toFixed(0)} ms)`)
  t.equal(peer.held.length, 1, 'the peer had accepted the stream')
  await closed(peer.held[0])
  t.ok(isP2PError(peer.held[0].errored, 'ERR_STREAM_RESET'), 'the peer saw the stream reset')
  await waitUntil('our side to let go of the stream', () => connection.streams.length === 0)
  t.equal(connection.status, 'open', 'only the stream is reset, the connection stays')
})

t.test('identify on connect: a silent peer is not identified, and its stream does not outlive the limit', async t => {
  const peer = await silentPeer(t)
  const node = await startNode(t)
  const identified: IdentifyEvent[] = []
  node.on('peer:identify', (event: IdentifyEvent) => { identified.push(event) })
  const connection = await node.dial(peer.sw.multiaddrs[0])
  await waitUntil('the peer to accept the identify stream', () => peer.held.length === 1)
  t.equal(connection.streams.length, 1, 'the identify stream is open while we wait')
  await waitUntil('the identify stream to be reset', () => connection.streams.length === 0)
  t.same(identified, [], 'no peer:identify')
  t.equal(connection.status, 'open')
})

t.test('identify push: a push that never comes is reset after the limit', async t => {
  const node = await startNode(t, { listenAddrs: ['/ip4/127.0.0.1/tcp/0'], identifyOnConnect: false })
  const pusher = new Switch({ privateKey: generateKeyPair('Ed25519') })
  t.teardown(async () => { await pusher.stop() })
  const start = performance.now()
  // opens the push stream, negotiates it, sends nothing
  const stream = await pusher.newStream(node.multiaddrs[0], IDENTIFY_PUSH_PROTOCOL)
  stream.on('error', () => {})
  await closed(stream)
  const elapsed = performance.now() - start
  t.ok(isP2PError(stream.errored, 'ERR_STREAM_RESET'), 'the pusher saw its stream reset')
  t.ok(elapsed >= TIMEOUT_MS - 5 && elapsed < 10 * TIMEOUT_MS, `after the limit (${elapsed.toFixed(0)} ms)`)
})

t.test('an answer within the limit is unaffected', async t => {
  const server = await startNode(t, { listenAddrs: ['/ip4/127.0.0.1/tcp/0'], identifyOnConnect: false })
  const node = await startNode(t, { identifyOnConnect: false })
  await node.dial(server.multiaddrs[0])
  const result = await node.identify(server.peerId)
  t.ok(result.protocols.includes(IDENTIFY_PROTOCOL))
  // the timer was cleared: nothing resets the (finished) exchange later
  await new Promise(resolve => setTimeout(resolve, TIMEOUT_MS + 50))
  t.equal(node.switch.getConnections(server.peerId)[0]?.status, 'open')
})

t.test('a slow answer that still comes within the limit is taken', async t => {
  const key = generateKeyPair('Ed25519')
  const slow = new Switch({ privateKey: key, listenAddrs: ['/ip4/127.0.0.1/tcp/0'] })
  slow.handle(IDENTIFY_PROTOCOL, async stream => {
    await new Promise(resolve => setTimeout(resolve, TIMEOUT_MS / 2))
    await handleIdentify(stream, { publicKey: key.publicKey, listenAddrs: [], protocols: ['/slow/1.0.0'] })
  })
  await slow.start()
  t.teardown(async () => { await slow.stop() })
  const node = await startNode(t, { identifyOnConnect: false })
  const start = performance.now()
  const result = await node.identify(slow.multiaddrs[0])
  t.ok(performance.now() - start >= TIMEOUT_MS / 2 - 5, 'the answer did come late')
  t.same(result.protocols, ['/slow/1.0.0'], 'and it is the result')
})

t.test('identifyTimeoutMs is validated', async t => {
  for (const value of [0, -1, 1.5, 2 ** 31]) {
    t.throws(() => new Libp2pNode({ identifyTimeoutMs: value }), { code: 'ERR_INVALID_PARAMETERS' }, String(value))
  }
})

t.test('a peer that reads our Identify answer and never closes its side has the stream reset after the limit', async t => {
  const node = await startNode(t, { listenAddrs: ['/ip4/127.0.0.1/tcp/0'] })
  const peer = new Switch({ privateKey: generateKeyPair('Ed25519') })
  t.teardown(async () => { await peer.stop() })
  const stream = await peer.newStream(node.multiaddrs[0], IDENTIFY_PROTOCOL)
  stream.on('error', () => {})
  // read the answer to its end, and never end our side
  for await (const chunk of stream.iterator({ destroyOnReturn: false })) t.ok((chunk as Buffer).length > 0)
  t.ok(stream.readableEnded, 'the answer came, and its end')
  await closed(stream)
  t.ok(isP2PError(stream.errored, 'ERR_STREAM_RESET'), 'the node reset the stream it had finished with')
  const connection = node.getConnections(peer.peerId)[0]!
  await waitUntil('the node to let go of the stream', () => connection.streams.length === 0)
})

t.test('a peer that pushes Identify and never closes its side has the stream reset after the limit', async t => {
  const node = await startNode(t, { listenAddrs: ['/ip4/127.0.0.1/tcp/0'] })
  const key = generateKeyPair('Ed25519')
  const peer = new Switch({ privateKey: key })
  t.teardown(async () => { await peer.stop() })
  const recorded = new Promise(resolve => node.once('peer:identify', resolve))
  const stream = await peer.newStream(node.multiaddrs[0], IDENTIFY_PUSH_PROTOCOL)
  stream.on('error', () => {})
  // ten empty Identify messages (the most a reader takes), and no end
  stream.write(Buffer.alloc(10))
  await recorded
  await closed(stream)
  t.ok(isP2PError(stream.errored, 'ERR_STREAM_RESET'), 'the node reset the stream it had finished with')
})

t.test('an answer refused after it was read (another peer\'s key, ten messages, no end): the stream is still reset after the limit', async t => {
  const sw = new Switch({ privateKey: generateKeyPair('Ed25519'), listenAddrs: ['/ip4/127.0.0.1/tcp/0'] })
  const held: Duplex[] = []
  const other = generateKeyPair('Ed25519')
  sw.handle(IDENTIFY_PROTOCOL, stream => {
    held.push(stream)
    stream.on('error', () => {})
    stream.resume()
    // the most messages a reader takes, each naming another peer's key, and no end
    const message = encodeIdentify({ listenAddrs: [], protocols: ['/x/1'], publicKey: publicKeyToProtobuf(other.publicKey) })
    for (let i = 0; i < MAX_IDENTIFY_MESSAGES; i++) stream.write(Buffer.concat([encodeUvarint(message.length), message]))
  })
  await sw.start()
  t.teardown(async () => { await sw.stop() })
  const node = await startNode(t, { identifyOnConnect: false })
  const connection = await node.dial(sw.multiaddrs[0])
  await t.rejects(node.identify(sw.peerId), { code: 'ERR_IDENTIFY_PEER_MISMATCH' })
  await waitUntil('our identify stream to be reset', () => connection.streams.length === 0)
  await closed(held[0])
  t.ok(isP2PError(held[0].errored, 'ERR_STREAM_RESET'), 'the remote saw the reset')
})
