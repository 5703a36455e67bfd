import t from 'tap'
import { once } from 'node:events'
import type { Readable } from 'node:stream'
import { Switch } from '../../src/switch/index.js'
import type { Connection } from '../../src/upgrader/index.js'
import { generateKeyPair, PeerId } from '../../src/peer/index.js'
import type { Multiaddr } from '../../src/multiaddr/index.js'
import { multiaddr } from '../../src/multiaddr/index.js'
import net from 'node:net'

function makeSwitch (listen = true, extra: Partial<ConstructorParameters<typeof Switch>[0]> = {}): Switch {
  return new Switch({ privateKey: generateKeyPair('Ed25519'), listenAddrs: listen ? ['/ip4/127.0.0.1/tcp/0'] : [], ...extra })
}

async function readAll (stream: Readable): Promise<string> {
  const chunks: Buffer[] = []
  // a plain for-await would destroy the Duplex (both directions) at the end
  for await (const chunk of stream.iterator({ destroyOnReturn: false })) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString()
}

t.test('listen reports a real port and our peer ID', async t => {
  const sw = makeSwitch()
  await sw.start()
  const [addr] = sw.multiaddrs
  t.match(addr.toString(), /^\/ip4\/127\.0\.0\.1\/tcp\/[1-9]\d*\/p2p\/12D3KooW/)
  t.equal(addr.getPeerId(), sw.peerId.toString())
  await sw.stop()
})

t.test('20 concurrent dials to one peer share one TCP connection; later dials reuse it', async t => {
  const listener = makeSwitch()
  const dialer = makeSwitch(false)
  await listener.start()
  await dialer.start()
  let inbound = 0
  const registered = once(listener, 'connection:open')
  listener.on('connection:open', () => { inbound++ })
  const addr = listener.multiaddrs[0]
  const connections = await Promise.all(Array.from({ length: 20 }, async () => await dialer.dial(addr)))
  t.ok(connections.every(c => c === connections[0]), 'every dial got the same connection')
  t.equal(await dialer.dial(addr), connections[0], 'a later dial reuses it')
  await registered
  await new Promise(resolve => setTimeout(resolve, 50))
  t.equal(inbound, 1, 'the listener saw exactly one connection')
  t.equal(dialer.getConnections().length, 1)
  await dialer.stop()
  await listener.stop()
})

t.test('dial by peer ID uses the address book; streams reach the registered handler', async t => {
  const listener = makeSwitch()
  await listener.start()
  listener.handle('/test/upper/1.0.0', stream => {
    readAll(stream).then(text => { stream.end(text.toUpperCase()) }, () => {})
  })
  const book = new Map<string, Multiaddr[]>([[listener.peerId.toString(), [listener.multiaddrs[0]]]])
  const dialer = new Switch({ privateKey: generateKeyPair('Ed25519'), peerAddresses: peer => book.get(peer.toString()) ?? [] })
  await dialer.start()
  const stream = await dialer.newStream(listener.peerId, ['/test/missing/1.0.0', '/test/upper/1.0.0'])
  t.equal(stream.protocol, '/test/upper/1.0.0', 'fell back to the second protocol')
  stream.end('shout')
  t.equal(await readAll(stream), 'SHOUT')
  await t.rejects(dialer.newStream(listener.peerId, ['/test/missing/1.0.0'], { optimistic: false }), { code: 'ERR_PROTOCOL_NOT_SUPPORTED' })
  const unknown = PeerId.fromPublicKey(generateKeyPair('Ed25519').publicKey)
  await t.rejects(dialer.dial(unknown), { code: 'ERR_NO_VALID_ADDRESSES' })
  await dialer.stop()
  await listener.stop()
})

t.test('an optimistic stream to an unsupported protocol fails on first read', async t => {
  const listener = makeSwitch()
  const dialer = makeSwitch(false)
  await listener.start()
  const stream = await dialer.newStream(listener.multiaddrs[0], '/test/missing/1.0.0')
  stream.end()
  await t.rejects(readAll(stream), { code: 'ERR_PROTOCOL_NOT_SUPPORTED' })
  await dialer.stop()
  await listener.stop()
})

t.test('peer:connect and peer:disconnect, and hangUp', async t => {
  const listener = makeSwitch()
  const dialer = makeSwitch(false)
  await listener.start()
  const connected = once(listener, 'peer:connect')
  const connection: Connection = await dialer.dial(listener.multiaddrs[0])
  const [peer] = await connected as [PeerId]
  t.ok(peer.equals(dialer.peerId))
  const disconnected = once(listener, 'peer:disconnect')
  await dialer.hangUp(connection.remotePeer)
  const [gone] = await disconnected as [PeerId]
  t.ok(gone.equals(dialer.peerId))
  t.equal(dialer.getConnections().length, 0)
  await dialer.stop()
  await listener.stop()
})

t.test('a protocol\'s inbound stream limit resets the extra streams', async t => {
  const listener = makeSwitch()
  const dialer = makeSwitch(false)
  await listener.start()
  listener.handle('/test/hold/1.0.0', () => {}, { maxInboundStreams: 2 })
  const connection = await dialer.dial(listener.multiaddrs[0])
  const first = await connection.newStream('/test/hold/1.0.0', { optimistic: false })
  const second = await connection.newStream('/test/hold/1.0.0', { optimistic: false })
  // the listener agrees, then resets: the reset may overtake the agreement
  const third = await connection.newStream('/test/hold/1.0.0', { optimistic: false }).catch((err: Error) => err)
  if (!(third instanceof Error)) {
    third.resume()
    await new Promise(resolve => third.once('close', resolve))
  }
  t.equal(listener.metrics.refusedStreams, 1)
  t.notOk(first.destroyed || second.destroyed, 'streams within the limit stay open')
  await dialer.stop()
  await listener.stop()
})

t.test('inbound connections over the limit are refused before the handshake', async t => {
  const listener = makeSwitch(true, { limits: { maxConnections: 1 } })
  await listener.start()
  const first = makeSwitch(false)
  const second = makeSwitch(false)
  await first.dial(listener.multiaddrs[0])
  await t.rejects(second.dial(listener.multiaddrs[0]))
  t.equal(listener.metrics.refusedConnections, 1)
  await Promise.all([first.stop(), second.stop(), listener.stop()])
})

t.test('stop() closes everything and leaves no sockets behind', async t => {
  const before = (process as unknown as { _getActiveHandles: () => unknown[] })._getActiveHandles().length
  const listener = makeSwitch()
  const dialer = makeSwitch(false)
  await listener.start()
  listener.handle('/test/hold/1.0.0', () => {})
  const connection = await dialer.dial(listener.multiaddrs[0])
  await connection.newStream('/test/hold/1.0.0', { optimistic: false })
  await dialer.stop()
  await listener.stop()
  await new Promise(resolve => setTimeout(resolve, 50))
  const after = (process as unknown as { _getActiveHandles: () => unknown[] })._getActiveHandles().length
  t.ok(after <= before, `active handles ${before} before, ${after} after`)
  await t.rejects(dialer.dial(listener.multiaddrs[0]), { code: 'ERR_SWITCH_STOPPED' })
})

t.test('a dial of one address, aborted by the caller, rejects with the caller\'s reason and leaves nothing pending', async t => {
  const silent = net.createServer(() => {}) // accepts, never answers
  await new Promise<void>(resolve => silent.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { silent.close() })
  const dialer = makeSwitch(false)
  t.teardown(async () => { await dialer.stop() })
  const controller = new AbortController()
  const reason = new Error('the caller gave up')
  setTimeout(() => { controller.abort(reason) }, 50)
  const peer = PeerId.fromPublicKey(generateKeyPair('Ed25519').publicKey)
  const port = (silent.address() as net.AddressInfo).port
  await t.rejects(dialer.dial(multiaddr(`/ip4/127.0.0.1/tcp/${port}/p2p/${peer.toString()}`), { signal: controller.signal }), reason)
  t.equal(dialer.getConnections().length, 0)
})

t.test('a dial of several addresses connects through the one that answers', async t => {
  const listener = makeSwitch()
  await listener.start()
  // a port nothing listens on (bound, then closed) fails; the listener's address wins
  const closed = net.createServer()
  await new Promise<void>(resolve => closed.listen(0, '127.0.0.1', resolve))
  const deadPort = (closed.address() as net.AddressInfo).port
  await new Promise<void>(resolve => closed.close(() => { resolve() }))
  const addrs = [multiaddr(`/ip4/127.0.0.1/tcp/${deadPort}`), listener.listenAddrs[0]]
  const dialer = makeSwitch(false, { peerAddresses: peer => peer.equals(listener.peerId) ? addrs : [] })
  t.teardown(async () => { await dialer.stop(); await listener.stop() })
  const connection = await dialer.dial(listener.peerId)
  t.ok(connection.remotePeer.equals(listener.peerId))
  t.equal(dialer.getConnections().length, 1)
})
