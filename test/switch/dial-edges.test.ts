// The switch's dials at their edges: joiners that give up alone, dials that
// expect different peers at one address, stop() with dials in flight, our
// own address, addresses of other transports, busy connections and the idle
// timeout, and a switch that is started twice or after it stopped.

import t, { type Test } from 'tap'
import net from 'node:net'
import { once } from 'node:events'
import { Switch } from '../../src/switch/index.js'
import { generateKeyPair, PeerId } from '../../src/peer/index.js'
import { Multiaddr } from '../../src/multiaddr/index.js'
import type { Connection } from '../../src/upgrader/index.js'
import { catchUncaught } from '../helpers/uncaught.js'

function makeSwitch (listen = true, extra: Partial<ConstructorParameters<typeof Switch>[0]> = {}): Switch {
  return new Switch({ privateKey: generateKeyPair('Ed25519'), listenAddrs: listen ? ['/ip4/127.0.0.1/tcp/0'] : [], ...extra })
}

/** A TCP server that accepts and never says a word (a dial to it waits in its upgrade); counts the sockets it holds. */
async function silentServer (t: Test): Promise<{ addr: Multiaddr, open: () => number }> {
  const sockets = new Set<net.Socket>()
  const server = net.createServer(socket => {
    sockets.add(socket)
    socket.on('close', () => { sockets.delete(socket) })
    socket.on('error', () => {})
    socket.resume() // reads (and drops) whatever comes, so that it sees the dialer's end
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(() => {
    for (const socket of sockets) socket.destroy()
    server.close()
  })
  const { port } = server.address() as net.AddressInfo
  return { addr: Multiaddr.fromString(`/ip4/127.0.0.1/tcp/${port}`), open: () => sockets.size }
}

async function settle<T> (promise: Promise<T>): Promise<{ value?: T, error?: any }> {
  try {
    return { value: await promise }
  } catch (error) {
    return { error }
  }
}

const tick = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }

t.test('a joiner\'s signal bounds its own wait; the attempt stops when the last joiner gives up', async t => {
  const silent = await silentServer(t)
  const dialer = makeSwitch(false)
  t.teardown(async () => { await dialer.stop() })
  const first = new AbortController()
  const second = new AbortController()
  const one = settle(dialer.dial(silent.addr, { signal: first.signal }))
  const two = settle(dialer.dial(silent.addr, { signal: second.signal }))
  await tick(50)
  t.equal(silent.open(), 1, 'one attempt for both')
  first.abort(new Error('caller 1 gave up'))
  t.equal((await one).error?.message, 'caller 1 gave up')
  let twoSettled = false
  void two.then(() => { twoSettled = true })
  await tick(50)
  t.notOk(twoSettled, 'caller 2 still waits: caller 1\'s abort is its own')
  t.equal(silent.open(), 1, 'and the attempt goes on for it')
  second.abort(new Error('caller 2 gave up'))
  t.equal((await two).error?.message, 'caller 2 gave up')
  for (let i = 0; i < 100 && silent.open() > 0; i++) await tick(10)
  t.equal(silent.open(), 0, 'nobody waits any more: the attempt was aborted, its socket closed')
  t.equal(dialer.metrics.failedUpgrades, 0, 'an upgrade abandoned by its callers is not a failed one')
})

t.test('a dial right after the last joiner gave up starts afresh, not inside the attempt being aborted', async t => {
  const listener = makeSwitch()
  await listener.start()
  const dialer = makeSwitch(false)
  t.teardown(async () => { await dialer.stop(); await listener.stop() })
  const addr = listener.multiaddrs[0]
  const impatient = new AbortController()
  const first = settle(dialer.dial(addr, { signal: impatient.signal }))
  impatient.abort(new Error('timed out'))
  const retry = await dialer.dial(addr) // no signal: the usual "time out, then retry"
  t.equal(retry.status, 'open')
  t.equal((await first).error?.message, 'timed out')
})

t.test('a bare dial and a dial of the same peer just after it end with one connection', async t => {
  const listener = makeSwitch()
  await listener.start()
  const dialer = makeSwitch(false)
  t.teardown(async () => { await dialer.stop(); await listener.stop() })
  const [bare, byPeer] = await Promise.all([dialer.dial(listener.listenAddrs[0]), dialer.dial(listener.multiaddrs[0])])
  t.equal(bare, byPeer, 'the same connection for both')
  await tick(50)
  t.equal(dialer.getConnections(listener.peerId).length, 1)
})

t.test('a bare dial that meets a dial of a peer takes its connection only if it reached the peer at that address', async t => {
  const peer = makeSwitch()
  const other = makeSwitch()
  await peer.start()
  await other.start()
  // the peer store still lists an address of the peer's that another peer now listens on
  const stale = other.listenAddrs[0]
  const dialer = makeSwitch(false, { peerAddresses: () => [stale, peer.listenAddrs[0]] })
  t.teardown(async () => { await dialer.stop(); await peer.stop(); await other.stop() })
  const [byPeer, bare] = await Promise.all([dialer.dial(peer.peerId), dialer.dial(stale)])
  t.ok(byPeer.remotePeer.equals(peer.peerId), 'the dial of the peer reaches it (at its live address)')
  t.ok(bare.remotePeer.equals(other.peerId), 'the bare dial reaches whoever listens at its address')
  t.equal(bare.remoteAddr.toString(), stale.toString())
})

t.test('a dial of a peer never inherits a bare dial\'s failure at one of its addresses', async t => {
  const silent = await silentServer(t)
  const listener = makeSwitch()
  await listener.start()
  const book = new Map([[listener.peerId.toString(), [silent.addr, listener.listenAddrs[0]]]])
  const dialer = makeSwitch(false, { peerAddresses: peer => book.get(peer.toString()) ?? [] })
  t.teardown(async () => { await dialer.stop(); await listener.stop() })
  const stale = new AbortController()
  const bare = settle(dialer.dial(silent.addr, { signal: stale.signal }))
  await tick(20)
  const started = Date.now()
  const connection = await dialer.dial(listener.peerId)
  t.ok(connection.remotePeer.equals(listener.peerId), 'reached through its live address')
  t.ok(Date.now() - started < 2_000, 'without waiting for the silent address')
  stale.abort(new Error('done'))
  await bare
})

t.test('a dial of a peer that meets a narrower dial of it (one dead address) dials its own addresses when that one fails', async t => {
  // a port nobody listens on: refused at once
  const closed = net.createServer()
  closed.listen(0, '127.0.0.1')
  await once(closed, 'listening')
  const deadPort = (closed.address() as net.AddressInfo).port
  await new Promise<void>(resolve => { closed.close(() => { resolve() }) })
  const dead = Multiaddr.fromString(`/ip4/127.0.0.1/tcp/${deadPort}`)
  const listener = makeSwitch()
  await listener.start()
  const book = new Map([[listener.peerId.toString(), [dead, listener.listenAddrs[0]]]])
  const dialer = makeSwitch(false, { peerAddresses: peer => book.get(peer.toString()) ?? [] })
  t.teardown(async () => { await dialer.stop(); await listener.stop() })
  const [narrow, byPeer] = await Promise.all([
    settle(dialer.dial(dead.encapsulate(`/p2p/${listener.peerId.toString()}`))),
    settle(dialer.dial(listener.peerId))
  ])
  t.equal(narrow.error?.code, 'ERR_CONNECTION_FAILED', 'the dial of the dead address fails')
  t.ok(byPeer.value?.remotePeer.equals(listener.peerId), `the dial by peer ID reaches it at its live address (${String(byPeer.error?.code ?? 'ok')})`)
})

t.test('a dial whose signal has already aborted rejects with a typed error, whatever the reason was', async t => {
  const dialer = makeSwitch(false)
  t.teardown(async () => { await dialer.stop() })
  const controller = new AbortController()
  controller.abort('bye')
  const aborted = await settle(dialer.dial('/ip4/127.0.0.1/tcp/9', { signal: controller.signal }))
  t.equal(aborted.error?.code, 'ERR_ABORTED', 'a P2PError, not the bare string')
  t.equal(aborted.error?.cause, 'bye', 'the reason as its cause')
})

t.test('a bare dial joining a dial that expected another peer there dials on its own', async t => {
  const listener = makeSwitch()
  await listener.start()
  const dialer = makeSwitch(false)
  t.teardown(async () => { await dialer.stop(); await listener.stop() })
  const stranger = PeerId.fromPublicKey(generateKeyPair('Ed25519').publicKey)
  const addr = listener.listenAddrs[0]
  const [wrong, bare] = await Promise.all([
    settle(dialer.dial(addr.encapsulate(`/p2p/${stranger.toString()}`))),
    settle(dialer.dial(addr))
  ])
  t.equal(wrong.error?.code, 'ERR_UNEXPECTED_PEER')
  t.ok(bare.value?.remotePeer.equals(listener.peerId), 'the bare dial reached whoever is there')
  t.equal(bare.value?.status, 'open')
})

t.test('stop() ends the dials in flight: they reject with ERR_SWITCH_STOPPED, and nothing stays open', async t => {
  const silent = await silentServer(t)
  const dialer = makeSwitch(false)
  const dialling = settle(dialer.dial(silent.addr))
  await tick(50)
  t.equal(silent.open(), 1)
  await dialer.stop()
  t.equal((await dialling).error?.code, 'ERR_SWITCH_STOPPED', 'settled by the time stop() resolves')
  t.equal(dialer.metrics.failedUpgrades, 0, 'nor is one that stop() ended')
  await t.rejects(dialer.dial(silent.addr), { code: 'ERR_SWITCH_STOPPED' }, 'and so does any dial after')
  for (let i = 0; i < 100 && silent.open() > 0; i++) await tick(10)
  t.equal(silent.open(), 0, 'its socket closed')
  await t.rejects(dialer.dial(silent.addr), { code: 'ERR_SWITCH_STOPPED' })
})

t.test('failedUpgrades: an inbound handshake that fails counts; one that stop() ends does not', async t => {
  const listener = makeSwitch()
  await listener.start()
  const addr = listener.multiaddrs[0]!
  const { port } = addr.toSocketAddress()
  const garbage = net.connect(port, '127.0.0.1')
  garbage.on('error', () => {})
  garbage.end(Buffer.from('not multistream-select\n'))
  for (let i = 0; i < 100 && listener.metrics.failedUpgrades === 0; i++) await tick(10)
  t.equal(listener.metrics.failedUpgrades, 1, 'a peer that speaks nonsense: failed')
  const quiet = net.connect(port, '127.0.0.1')
  quiet.on('error', () => {})
  await once(quiet, 'connect')
  await tick(50)
  const ended = once(listener, 'upgrade:error')
  await listener.stop()
  quiet.destroy()
  await ended
  t.equal(listener.metrics.failedUpgrades, 1, 'a handshake under way at stop(): abandoned, not failed')
})

t.test('stop(): a second call waits for the first, and when either resolves the sockets are closed', async t => {
  const listener = makeSwitch()
  await listener.start()
  t.teardown(async () => { await listener.stop() })
  const dialer = makeSwitch(false)
  const connection = await dialer.dial(listener.multiaddrs[0])
  const socket = (connection as unknown as { transport: net.Socket }).transport
  t.ok(socket instanceof net.Socket, 'the connection\'s socket')
  const first = dialer.stop()
  await dialer.stop()
  t.ok(socket.closed, 'closed when the second stop() resolves')
  await first
  t.equal(dialer.getConnections().length, 0)
})

t.test('our own address is refused after the handshake tells who answered: ERR_DIALED_SELF, no connection', async t => {
  const sw = makeSwitch()
  await sw.start()
  t.teardown(async () => { await sw.stop() })
  let connected = 0
  sw.on('peer:connect', () => { connected++ })
  await t.rejects(sw.dial(sw.listenAddrs[0]), { code: 'ERR_DIALED_SELF' })
  await t.rejects(sw.dial(sw.multiaddrs[0]), { code: 'ERR_DIALED_SELF' }, 'and by our peer ID, before any dial')
  await tick(50)
  t.equal(sw.getConnections().length, 0)
  t.equal(connected, 0)
})

t.test('addresses of other transports are not dialled as TCP', async t => {
  const listener = makeSwitch()
  await listener.start()
  const dialer = makeSwitch(false)
  t.teardown(async () => { await dialer.stop(); await listener.stop() })
  const tcp = listener.listenAddrs[0].toString()
  const id = listener.peerId.toString()
  for (const addr of [`${tcp}/ws`, `${tcp}/tls/ws`, `${tcp}/p2p/${id}/p2p-circuit`, `${tcp}/p2p/${id}/p2p-circuit/p2p/${PeerId.fromPublicKey(generateKeyPair('Ed25519').publicKey).toString()}`]) {
    await t.rejects(dialer.dial(addr), { code: 'ERR_TRANSPORT_UNSUPPORTED_ADDR' }, addr)
  }
  t.equal(dialer.getConnections().length, 0, 'not the relay either')
  // known for a peer (from identify): only its TCP address is dialled
  const book = new Map([[id, [Multiaddr.fromString(`${tcp}/ws`), Multiaddr.fromString(`/ip4/127.0.0.1/udp/1/quic-v1`), listener.listenAddrs[0]]]])
  const byPeer = makeSwitch(false, { peerAddresses: peer => book.get(peer.toString()) ?? [] })
  t.teardown(async () => { await byPeer.stop() })
  t.ok((await byPeer.dial(listener.peerId)).remotePeer.equals(listener.peerId))
})

t.test('streams opened and closed between idle checks keep a connection from being closed as idle', async t => {
  const limits = { connectionIdleTimeoutMs: 300 }
  const listener = makeSwitch(true, { limits })
  await listener.start()
  listener.handle('/test/echo/1.0.0', stream => { stream.pipe(stream) })
  const dialer = makeSwitch(false, { limits })
  t.teardown(async () => { await dialer.stop(); await listener.stop() })
  const connection: Connection = await dialer.dial(listener.multiaddrs[0])
  // one short request every 60 ms for 900 ms: never an open stream when a check runs, mostly
  for (let i = 0; i < 15; i++) {
    const stream = await connection.newStream('/test/echo/1.0.0')
    stream.end('x')
    for await (const chunk of stream.iterator({ destroyOnReturn: false })) void chunk
    await tick(60)
  }
  t.equal(connection.status, 'open', 'busy, so not idle')
  // and idle, it goes
  for (let i = 0; i < 100 && connection.status === 'open'; i++) await tick(20)
  t.not(connection.status, 'open', 'closed once idle')
})

t.test('start(): again while started does nothing; after stop() it throws; a failed start leaves nothing bound', async t => {
  const sw = makeSwitch()
  await sw.start()
  await sw.start()
  t.equal(sw.listenAddrs.length, 1)
  await sw.stop()
  await t.rejects(sw.start(), { code: 'ERR_SWITCH_STOPPED' })

  const taken = net.createServer()
  taken.listen(0, '127.0.0.1')
  await once(taken, 'listening')
  t.teardown(() => { taken.close() })
  const { port } = taken.address() as net.AddressInfo
  const clash = new Switch({ privateKey: generateKeyPair('Ed25519'), listenAddrs: ['/ip4/127.0.0.1/tcp/0', `/ip4/127.0.0.1/tcp/${port}`] })
  await t.rejects(clash.start())
  t.same(clash.listenAddrs, [], 'the first address was closed again')
  await clash.stop()
})

t.test('start() and stop() at once: stop wins, nothing stays bound; two starts share one', async t => {
  const sw = new Switch({ privateKey: generateKeyPair('Ed25519'), listenAddrs: ['/ip4/127.0.0.1/tcp/0', '/ip4/127.0.0.1/tcp/0'] })
  const starting = sw.start()
  const stopping = sw.stop()
  await t.rejects(starting, { code: 'ERR_SWITCH_STOPPED' }, 'the start learns of the stop')
  await stopping
  t.same(sw.listenAddrs, [], 'no listener left open after stop() resolved')
  await t.rejects(sw.start(), { code: 'ERR_SWITCH_STOPPED' })

  const twice = new Switch({ privateKey: generateKeyPair('Ed25519'), listenAddrs: ['/ip4/127.0.0.1/tcp/0', '/ip4/127.0.0.1/tcp/0'] })
  t.teardown(async () => { await twice.stop() })
  const first = twice.start()
  await twice.start()
  t.equal(twice.listenAddrs.length, 2, 'the second start resolved only once both addresses were bound')
  await first
})

t.test('a dial that crosses one from the peer never resolves with a closed connection (one connection per peer allowed)', async t => {
  const limits = { maxConnectionsPerPeer: 1 }
  const a = makeSwitch(true, { limits })
  const b = makeSwitch(true, { limits })
  await a.start()
  await b.start()
  t.teardown(async () => { await a.stop(); await b.stop() })
  const results = await Promise.all([settle(a.dial(b.multiaddrs[0])), settle(b.dial(a.multiaddrs[0]))])
  for (const [i, result] of results.entries()) {
    if (result.value !== undefined) t.equal(result.value.status, 'open', `dial ${i + 1} resolved with an open connection`)
    else t.equal(result.error?.code, 'ERR_RESOURCE_LIMIT_EXCEEDED', `dial ${i + 1} failed with a typed error`)
  }
})

t.test('an application\'s \'connection:close\' listener that throws: hangUp() still resolves, the books are right, peer:disconnect still comes', async t => {
  const listener = makeSwitch()
  const dialer = makeSwitch(false)
  await listener.start()
  t.teardown(async () => { await dialer.stop(); await listener.stop() })
  const uncaught = catchUncaught(t)
  const bug = new Error('a bug in the listener')
  dialer.on('connection:close', () => { throw bug })
  const disconnected: PeerId[] = []
  dialer.on('peer:disconnect', (peer: PeerId) => { disconnected.push(peer) })
  await dialer.dial(listener.multiaddrs[0]!)
  const hungUp = await Promise.race([dialer.hangUp(listener.peerId).then(() => true), tick(2000).then(() => false)])
  t.ok(hungUp, 'hangUp() resolved')
  await tick(10)
  t.same(uncaught, [bug], 'the listener\'s exception is thrown again, uncaught')
  t.same(dialer.getConnections(listener.peerId), [], 'the closed connection is gone from the books')
  t.equal(dialer.resources.usage().connections, 0, 'and its slot given back')
  t.same(disconnected.map(p => p.toString()), [listener.peerId.toString()], 'peer:disconnect still emitted')
})
