// The connection monitor (src/node/connection-monitor.ts): round trips kept
// on each connection, a peer that went silent noticed on mplex (which has no
// keepalive of its own), `na` taken as a sign of life, failures reported
// without abort when asked, and its options checked.

import t from 'tap'
import net from 'node:net'
import { Libp2pNode } from '../../src/node/index.js'
import { mplex } from '../../src/mplex/index.js'
import { PING_PROTOCOL } from '../../src/protocols/index.js'
import type { Connection } from '../../src/upgrader/index.js'
import type { P2PError } from '../../src/util/errors.js'

const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }

/** Waits (bounded) until the connection has a round trip measured. */
async function measuredRtt (connection: Connection): Promise<number | undefined> {
  for (let i = 0; i < 200 && connection.rtt === undefined; i++) await sleep(10)
  return connection.rtt
}

/**
 * A TCP relay to `port` that can be frozen: it then stops reading both
 * sockets, closing nothing, as a peer that vanished without a FIN or RST.
 */
async function freezableRelay (port: number): Promise<{ port: number, freeze: () => void, close: () => void }> {
  const sockets: net.Socket[] = []
  const server = net.createServer(inbound => {
    const outbound = net.connect(port, '127.0.0.1')
    sockets.push(inbound, outbound)
    inbound.pipe(outbound)
    outbound.pipe(inbound)
    inbound.on('error', () => {})
    outbound.on('error', () => {})
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as net.AddressInfo).port,
    freeze: () => {
      for (const socket of sockets) {
        socket.unpipe()
        socket.pause()
      }
    },
    close: () => {
      for (const socket of sockets) socket.destroy()
      server.close()
    }
  }
}

t.test('each connection keeps its round trip, on both sides', async t => {
  const server = new Libp2pNode({ listenAddrs: ['/ip4/127.0.0.1/tcp/0'], connectionMonitor: { intervalMs: 50 } })
  const client = new Libp2pNode({ connectionMonitor: { intervalMs: 50 } })
  await Promise.all([server.start(), client.start()])
  t.teardown(async () => { await Promise.all([client.stop(), server.stop()]) })
  const connection = await client.dial(server.multiaddrs[0])
  t.equal(connection.rtt, undefined, 'no round trip before the first ping')
  const rtt = await measuredRtt(connection)
  t.ok(rtt !== undefined && rtt >= 0 && rtt < 1000, `the dialer measured ${String(rtt)} ms`)
  const inbound = server.getConnections(client.peerId)[0]
  const inboundRtt = await measuredRtt(inbound)
  t.ok(inboundRtt !== undefined && inboundRtt >= 0, 'the listener measured its side too')
  t.equal(connection.status, 'open')
})

t.test('an mplex peer gone silent is noticed and its connection aborted', async t => {
  const server = new Libp2pNode({ listenAddrs: ['/ip4/127.0.0.1/tcp/0'], muxers: [mplex] })
  const client = new Libp2pNode({ muxers: [mplex], connectionMonitor: { intervalMs: 50, timeoutMs: 1000 } })
  await Promise.all([server.start(), client.start()])
  const relay = await freezableRelay(Number(server.multiaddrs[0].toString().split('/')[4]))
  t.teardown(async () => {
    relay.close()
    await Promise.all([client.stop(), server.stop()])
  })
  const failures: Array<{ connection: Connection, error: P2PError }> = []
  client.on('connection:ping-failure', event => failures.push(event))
  const connection = await client.dial(`/ip4/127.0.0.1/tcp/${relay.port}/p2p/${server.peerId.toString()}`)
  t.equal(connection.muxer, '/mplex/6.7.0')
  t.ok(await measuredRtt(connection) !== undefined, 'pinged while the peer answers')
  t.equal(failures.length, 0, 'no failure while it answers')

  let reason: P2PError | undefined
  connection.once('close', (err: P2PError) => { reason = err })
  relay.freeze()
  // the next ping, at most 50 ms away, gets no echo within 1000 ms
  for (let i = 0; i < 500 && connection.status !== 'closed'; i++) await sleep(10)
  t.equal(connection.status, 'closed', 'the connection was aborted')
  t.equal(reason?.code, 'ERR_PING_TIMEOUT', 'with the ping failure as its reason')
  t.equal(failures.length, 1)
  t.equal(failures[0].connection, connection)
  t.equal(failures[0].error.code, 'ERR_PING_TIMEOUT')
  t.same(client.getConnections(server.peerId), [], 'and the switch forgot it')
})

t.test('abortOnFailure: false reports failures and keeps the connection', async t => {
  const server = new Libp2pNode({ listenAddrs: ['/ip4/127.0.0.1/tcp/0'] })
  // a ping handler that reads and never echoes
  server.unhandle(PING_PROTOCOL)
  server.handle(PING_PROTOCOL, stream => { stream.resume() })
  const client = new Libp2pNode({ connectionMonitor: { intervalMs: 50, timeoutMs: 100, abortOnFailure: false } })
  await Promise.all([server.start(), client.start()])
  t.teardown(async () => { await Promise.all([client.stop(), server.stop()]) })
  const failures: P2PError[] = []
  client.on('connection:ping-failure', ({ error }: { error: P2PError }) => failures.push(error))
  const connection = await client.dial(server.multiaddrs[0])
  for (let i = 0; i < 300 && failures.length < 2; i++) await sleep(10)
  t.ok(failures.length >= 2, `failures keep being reported (${failures.length})`)
  t.ok(failures.every(e => e.code === 'ERR_PING_TIMEOUT'), 'each a ping timeout')
  t.equal(connection.status, 'open', 'the connection stays open')
  t.equal(connection.rtt, undefined, 'no round trip was measured')
})

t.test('a ping of the user\'s that holds the peer\'s ping stream is not held against the connection', async t => {
  const server = new Libp2pNode({ listenAddrs: ['/ip4/127.0.0.1/tcp/0'] })
  // the first ping stream is echoed after 700 ms, every later one at once
  let streams = 0
  server.unhandle(PING_PROTOCOL)
  server.handle(PING_PROTOCOL, async stream => {
    const delayMs = streams++ === 0 ? 700 : 0
    stream.on('data', (chunk: Buffer) => { setTimeout(() => { if (stream.writable) stream.write(chunk) }, delayMs) })
    stream.on('end', () => { setTimeout(() => { stream.end() }, delayMs) })
  })
  // no round of its own in this test: the test calls check() when it wants
  const client = new Libp2pNode({ connectionMonitor: { intervalMs: 3_600_000, timeoutMs: 350 } })
  await Promise.all([server.start(), client.start()])
  t.teardown(async () => { await Promise.all([client.stop(), server.stop()]) })
  const failures: P2PError[] = []
  client.on('connection:ping-failure', ({ error }: { error: P2PError }) => failures.push(error))
  const connection = await client.dial(server.multiaddrs[0])
  const userPing = client.ping(server.peerId, { timeoutMs: 2000 })
  // the user's ping holds the peer's one outbound ping stream for 700 ms, past the monitor's 350
  for (let i = 0; i < 100 && !client.pingService.busy(server.peerId); i++) await sleep(1)
  t.ok(client.pingService.busy(server.peerId), 'the user\'s ping holds the stream')
  const monitorPing = client.connectionMonitor?.check(connection)
  const [userRtt] = await userPing
  await monitorPing
  t.ok(userRtt >= 650, `the user's ping took its ${userRtt.toFixed(0)} ms`)
  t.ok(connection.rtt !== undefined && connection.rtt < 350, `then the monitor's ping got its turn (${String(connection.rtt)} ms)`)
  t.same(failures, [], 'waiting for the user\'s ping was no failure')
  t.equal(connection.status, 'open')
})

t.test('a peer that answers na to ping is alive: the time to its na is the round trip', async t => {
  const server = new Libp2pNode({ listenAddrs: ['/ip4/127.0.0.1/tcp/0'] })
  server.unhandle(PING_PROTOCOL)
  const client = new Libp2pNode({ connectionMonitor: { intervalMs: 50, timeoutMs: 1000 } })
  await Promise.all([server.start(), client.start()])
  t.teardown(async () => { await Promise.all([client.stop(), server.stop()]) })
  let failures = 0
  client.on('connection:ping-failure', () => { failures++ })
  const connection = await client.dial(server.multiaddrs[0])
  t.ok(await measuredRtt(connection) !== undefined, 'a round trip from the na')
  await sleep(200)
  t.equal(failures, 0, 'never a failure')
  t.equal(connection.status, 'open')
})

t.test('off by default; options are checked', async t => {
  const node = new Libp2pNode()
  t.equal(node.connectionMonitor, undefined)
  t.ok(new Libp2pNode({ connectionMonitor: true }).connectionMonitor !== undefined, 'true: the defaults')
  for (const bad of [{ intervalMs: 0 }, { timeoutMs: -1 }, { intervalMs: Number.NaN }, { intervalMs: 2 ** 31 }, { timeoutMs: 1.5 }]) {
    t.throws(() => new Libp2pNode({ connectionMonitor: bad }), { code: 'ERR_INVALID_PARAMETERS' }, JSON.stringify(bad))
  }
})
