// The resource manager on its own (src/resources): each limit refuses at its
// value with ERR_RESOURCE_LIMIT_EXCEEDED and is counted; reservations give
// their resource back exactly once; limits are validated. Then through the
// switch: refusals before the handshake, and the idle-connection timeout.

import t from 'tap'
import { DEFAULT_RESOURCE_LIMITS, LIMIT_NAMES, ResourceManager, ipLimitKey, ipv6SubnetKey, resolveLimits, muxerOptionsFor, type Admission } from '../../src/resources/index.js'
import { isP2PError } from '../../src/util/errors.js'
import { Switch } from '../../src/switch/index.js'
import { generateKeyPair } from '../../src/peer/index.js'
import { closed, connectRaw, goodPing, sleep, startTarget } from './harness.js'

function held (a: Admission): () => void {
  if (!a.ok) throw a.error
  return a.release
}

t.test('defaults are the documented values', async t => {
  t.match(DEFAULT_RESOURCE_LIMITS, {
    maxConnections: 300,
    maxConnectionsPerPeer: 2,
    maxConnectionsPerIp: 8,
    maxInboundPendingUpgrades: 32,
    maxInboundStreamsPerPeer: 256,
    maxInboundStreamsPerProtocol: 32,
    maxStreamsPerConnection: 1024,
    maxStreamBufferBytes: 16 * 1024 * 1024,
    dialTimeoutMs: 5_000,
    upgradeTimeoutMs: 10_000,
    streamNegotiationTimeoutMs: 10_000,
    socketCloseTimeoutMs: 500,
    keepAliveIntervalMs: 30_000,
    keepAliveTimeoutMs: 10_000
  })
  t.ok(Object.isFrozen(DEFAULT_RESOURCE_LIMITS))
})

t.test('limits are validated', async t => {
  t.throws(() => resolveLimits({ maxConnections: 0 }), { code: 'ERR_INVALID_PARAMETERS' })
  t.throws(() => resolveLimits({ maxConnections: 1.5 }), { code: 'ERR_INVALID_PARAMETERS' })
  t.throws(() => resolveLimits({ maxStreamBufferBytes: 1000 }), { code: 'ERR_INVALID_PARAMETERS' })
  t.throws(() => resolveLimits({ nonsense: 3 } as never), { code: 'ERR_INVALID_PARAMETERS' })
  t.equal(resolveLimits({ connectionIdleTimeoutMs: 0 }).connectionIdleTimeoutMs, 0, 'a timeout of 0 disables it')
  t.equal(resolveLimits({ keepAliveIntervalMs: 2 ** 31 - 1 }).keepAliveIntervalMs, 2 ** 31 - 1, "setTimeout's largest delay is allowed")
  t.throws(() => resolveLimits({ keepAliveIntervalMs: 2 ** 31 }), { code: 'ERR_INVALID_PARAMETERS', message: /keepAliveIntervalMs must be ≤ 2147483647 ms/ }, 'a longer one would fire at once')
  t.throws(() => resolveLimits({ dialTimeoutMs: 2 ** 32 }), { code: 'ERR_INVALID_PARAMETERS' })
  t.equal(resolveLimits({ maxConnections: 7, dialTimeoutMs: undefined }).dialTimeoutMs, 5_000, 'undefined keeps the default')
})

t.test('inbound handshakes: pending, per-IP (loopback exempt), total', async t => {
  const rm = new ResourceManager({ limits: { maxInboundPendingUpgrades: 3, maxConnectionsPerIp: 2, maxConnections: 5 } })
  const a = held(rm.reserveInboundUpgrade('10.0.0.1'))
  held(rm.reserveInboundUpgrade('10.0.0.1'))
  const third = rm.reserveInboundUpgrade('10.0.0.1')
  t.match(third, { ok: false, limit: 'maxConnectionsPerIp' })
  t.ok(!third.ok && isP2PError(third.error, 'ERR_RESOURCE_LIMIT_EXCEEDED'))
  t.match(third, { error: { message: /maxConnectionsPerIp = 2/ } }, 'the message names the limit and its value')
  held(rm.reserveInboundUpgrade('127.0.0.1'))
  t.match(rm.reserveInboundUpgrade('127.0.0.1'), { ok: false, limit: 'maxInboundPendingUpgrades' })
  a()
  a()
  t.equal(rm.usage().pendingInboundUpgrades, 2, 'release is idempotent')
  t.equal(rm.metrics.refused.maxConnectionsPerIp, 1)
  t.equal(rm.metrics.refused.maxInboundPendingUpgrades, 1)
  t.equal(rm.metrics.refusedConnections, 2)
  const strict = new ResourceManager({ limits: { maxConnectionsPerIp: 1 }, exemptLoopbackFromIpLimit: false })
  held(strict.reserveInboundUpgrade('127.0.0.1'))
  t.match(strict.reserveInboundUpgrade('127.0.0.1'), { ok: false, limit: 'maxConnectionsPerIp' }, 'loopback counts when not exempt')
})

t.test('per-IP limits: a zone or the IPv4-mapped form counts as the address itself; a global IPv6 /64 has a limit of its own', async t => {
  t.equal(ipLimitKey('10.0.0.1'), '10.0.0.1')
  t.equal(ipLimitKey('::ffff:10.0.0.1'), '10.0.0.1')
  t.equal(ipLimitKey('fe80::1%eth0'), 'fe80::1')
  t.equal(ipv6SubnetKey('2001:db8:1:2:aaaa::1'), '2001:db8:1:2::/64')
  t.equal(ipv6SubnetKey('2001:db8:1:2:aaaa::1', 56), '2001:db8:1::/56', 'the /56 keeps the top byte of the fourth group')
  t.equal(ipv6SubnetKey('2001:db8:1:2ff:aaaa::1', 56), '2001:db8:1:200::/56')
  t.equal(ipv6SubnetKey('2001:db8:1:2ff:aaaa::1', 48), '2001:db8:1::/48')
  t.equal(ipv6SubnetKey('10.0.0.1'), undefined)
  t.equal(ipv6SubnetKey('fe80::1'), undefined, 'link-local: every link\'s hosts share fe80::/64')
  const rm = new ResourceManager({ limits: { maxConnectionsPerIp: 2, maxConnectionsPerIpv6Subnet: 5, maxInboundPendingUpgrades: 100 } })
  for (let i = 1; i <= 5; i++) held(rm.reserveInboundUpgrade(`2001:db8::${i}`))
  t.match(rm.reserveInboundUpgrade('2001:db8::9'), { ok: false, limit: 'maxConnectionsPerIpv6Subnet' }, 'a sixth address of the same /64')
  t.match(rm.reserveInboundUpgrade('2001:db8:0:1::9'), { ok: true }, 'another /64 is another subnet')
  held(rm.reserveInboundUpgrade('2001:db8:0:2::1'))
  held(rm.reserveInboundUpgrade('2001:db8:0:2::1'))
  t.match(rm.reserveInboundUpgrade('2001:db8:0:2::1'), { ok: false, limit: 'maxConnectionsPerIp' }, 'and each address keeps its own limit')
  for (let i = 1; i <= 10; i++) t.match(rm.reserveInboundUpgrade(`fe80::${i}`), { ok: true }, `link-local host ${i}`)
  // admitted connections count where handshakes did, zone or not
  const zoned = new ResourceManager({ limits: { maxConnectionsPerIp: 1 } })
  held(zoned.admitConnection('peerA', 'inbound', 'fe80::1'))
  t.match(zoned.reserveInboundUpgrade('fe80::1%eth0'), { ok: false, limit: 'maxConnectionsPerIp' })
})

t.test('a global IPv6 address counts against its /56 and /48 too (go-libp2p counts by both): many /64s of one customer or site do not buy many connections', async t => {
  t.match(DEFAULT_RESOURCE_LIMITS, { maxConnectionsPerIpv6Prefix56: 64, maxConnectionsPerIpv6Prefix48: 128, maxInboundPendingUpgradesPerIpv6Prefix56: 16, maxInboundPendingUpgradesPerIpv6Prefix48: 16 })
  const rm = new ResourceManager({
    limits: { maxInboundPendingUpgrades: 1000, maxConnectionsPerIpv6Subnet: 2, maxConnectionsPerIpv6Prefix56: 4, maxConnectionsPerIpv6Prefix48: 6 }
  })
  // two /64s of 2001:db8:0:0100::/56, two addresses each
  for (const net of ['100', '101']) for (const host of ['1', '2']) held(rm.reserveInboundUpgrade(`2001:db8:0:${net}::${host}`))
  t.match(rm.reserveInboundUpgrade('2001:db8:0:1ff::1'), { ok: false, limit: 'maxConnectionsPerIpv6Prefix56', error: { message: /connections from 2001:db8:0:100::\/56/ } }, 'a third /64 of the same /56')
  t.match(rm.reserveInboundUpgrade('2001:db8:0:200::1'), { ok: true }, 'the next /56 of the /48 has room')
  held(rm.reserveInboundUpgrade('2001:db8:0:201::1'))
  t.match(rm.reserveInboundUpgrade('2001:db8:0:300::1'), { ok: false, limit: 'maxConnectionsPerIpv6Prefix48' }, 'the /48 is full: six connections over two /56s')
  t.match(rm.reserveInboundUpgrade('2001:db8:1::1'), { ok: true }, 'another /48 is another site')
  t.equal(rm.metrics.refused.maxConnectionsPerIpv6Prefix56, 1)
  t.equal(rm.metrics.refused.maxConnectionsPerIpv6Prefix48, 1)

  // handshakes: a /56's share of the slots, then the /48's
  const pending = new ResourceManager({
    limits: { maxInboundPendingUpgrades: 1000, maxInboundPendingUpgradesPerIpv6Subnet: 2, maxInboundPendingUpgradesPerIpv6Prefix56: 3, maxInboundPendingUpgradesPerIpv6Prefix48: 4 }
  })
  const first = held(pending.reserveInboundUpgrade('2001:db8:0:100::1'))
  held(pending.reserveInboundUpgrade('2001:db8:0:101::1'))
  held(pending.reserveInboundUpgrade('2001:db8:0:102::1'))
  t.match(pending.reserveInboundUpgrade('2001:db8:0:103::1'), { ok: false, limit: 'maxInboundPendingUpgradesPerIpv6Prefix56' })
  first()
  t.match(pending.reserveInboundUpgrade('2001:db8:0:103::1'), { ok: true }, 'a finished handshake gives the /56 its slot back')
  held(pending.reserveInboundUpgrade('2001:db8:0:200::1'))
  t.match(pending.reserveInboundUpgrade('2001:db8:0:300::1'), { ok: false, limit: 'maxInboundPendingUpgradesPerIpv6Prefix48' })
  t.equal(pending.metrics.refused.maxInboundPendingUpgradesPerIpv6Prefix56, 1)
  t.equal(pending.metrics.refused.maxInboundPendingUpgradesPerIpv6Prefix48, 1)
  t.match(pending.reserveInboundUpgrade('fe80::1'), { ok: true }, 'link-local addresses have no prefix tiers')
})

t.test('one host (an address, a /64) holds only a share of the handshake slots; released ones come back', async t => {
  t.match(DEFAULT_RESOURCE_LIMITS, { maxInboundPendingUpgradesPerIp: 4, maxInboundPendingUpgradesPerIpv6Subnet: 8 })
  const rm = new ResourceManager({ limits: { maxInboundPendingUpgrades: 32, maxConnectionsPerIpv6Subnet: 32 } })
  const first = held(rm.reserveInboundUpgrade('10.0.0.1'))
  for (let i = 0; i < 3; i++) held(rm.reserveInboundUpgrade('10.0.0.1'))
  t.match(rm.reserveInboundUpgrade('10.0.0.1'), { ok: false, limit: 'maxInboundPendingUpgradesPerIp', error: { code: 'ERR_RESOURCE_LIMIT_EXCEEDED', message: /already 4 inbound handshakes from 10\.0\.0\.1/ } })
  t.match(rm.reserveInboundUpgrade('::ffff:10.0.0.1'), { ok: false, limit: 'maxInboundPendingUpgradesPerIp' }, 'its IPv4-mapped form is the same host')
  t.match(rm.reserveInboundUpgrade('10.0.0.2'), { ok: true }, 'another address still gets a slot')
  first()
  t.match(rm.reserveInboundUpgrade('10.0.0.1'), { ok: true }, 'a finished handshake gives its slot back')
  for (let i = 1; i <= 4; i++) {
    held(rm.reserveInboundUpgrade(`2001:db8::${i}`))
    held(rm.reserveInboundUpgrade(`2001:db8::${i}`))
  }
  t.match(rm.reserveInboundUpgrade('2001:db8::5'), { ok: false, limit: 'maxInboundPendingUpgradesPerIpv6Subnet' }, 'a fifth address of the /64 finds its eight slots taken')
  t.equal(rm.metrics.refused.maxInboundPendingUpgradesPerIp, 2)
  t.equal(rm.metrics.refused.maxInboundPendingUpgradesPerIpv6Subnet, 1)
  t.match(rm.reserveInboundUpgrade('127.0.0.1'), { ok: true }, 'loopback stays exempt')
  t.throws(() => resolveLimits({ toString: 3 } as never), { code: 'ERR_INVALID_PARAMETERS', message: /unknown resource limit "toString"/ }, 'an inherited name is no limit')
})

t.test('connections: per peer, inbound, outbound, total; release gives them back', async t => {
  const rm = new ResourceManager({ limits: { maxConnections: 4, maxConnectionsPerPeer: 1, maxOutboundConnections: 2, maxInboundConnections: 2 } })
  const c1 = held(rm.admitConnection('peerA', 'inbound', '10.0.0.1'))
  t.match(rm.admitConnection('peerA', 'outbound', '10.0.0.1'), { ok: false, limit: 'maxConnectionsPerPeer' })
  held(rm.admitConnection('peerB', 'inbound', '10.0.0.2'))
  t.match(rm.reserveInboundUpgrade('10.0.0.3'), { ok: false, limit: 'maxInboundConnections' })
  const d1 = held(rm.reserveOutboundDial())
  held(rm.reserveOutboundDial())
  t.match(rm.reserveOutboundDial(), { ok: false, limit: 'maxConnections' })
  c1()
  t.match(rm.reserveOutboundDial(), { ok: false, limit: 'maxOutboundConnections' }, 'room in total, none outbound')
  d1()
  t.same(rm.usage(), { connections: 1, inboundConnections: 1, outboundConnections: 0, pendingInboundUpgrades: 0, pendingOutboundDials: 1, inboundStreams: 0, outboundStreams: 0, peers: 1, bufferBytes: 0 })
  rm.refuseAll()
  t.match(rm.reserveOutboundDial(), { ok: false, limit: 'stopping' })
})

t.test('streams: per peer both ways, per protocol and connection', async t => {
  const rm = new ResourceManager({ limits: { maxInboundStreamsPerPeer: 2, maxOutboundStreamsPerPeer: 1, maxInboundStreamsPerProtocol: 1 } })
  const s1 = held(rm.reserveInboundStream('p'))
  held(rm.reserveInboundStream('p'))
  t.match(rm.reserveInboundStream('p'), { ok: false, limit: 'maxInboundStreamsPerPeer' })
  held(rm.reserveInboundStream('q'))
  s1()
  held(rm.reserveInboundStream('p'))
  held(rm.reserveOutboundStream('p'))
  t.match(rm.reserveOutboundStream('p'), { ok: false, limit: 'maxOutboundStreamsPerPeer' })
  held(rm.reserveProtocolStream('c1', '/x'))
  t.match(rm.reserveProtocolStream('c1', '/x'), { ok: false, limit: 'maxInboundStreamsPerProtocol' })
  held(rm.reserveProtocolStream('c2', '/x'))
  held(rm.reserveProtocolStream('c1', '/x', 5))
  t.equal(rm.metrics.refusedStreams, 3)
  t.same(Object.keys(rm.metrics.refused), [...LIMIT_NAMES])
})

t.test('the muxers get the per-connection limits', async t => {
  const options = muxerOptionsFor(resolveLimits({ maxStreamsPerConnection: 50, maxStreamBufferBytes: 2 * 1024 * 1024, keepAliveIntervalMs: 1_000, keepAliveTimeoutMs: 300 }))
  t.same(options['/yamux/1.0.0'], { maxStreams: 50, maxStreamWindow: 2 * 1024 * 1024, keepAliveIntervalMs: 1_000, keepAliveTimeoutMs: 300 })
  t.same(options['/mplex/6.7.0'], { maxInboundStreams: 50, maxOutboundStreams: 50, maxStreamBufferSize: 2 * 1024 * 1024 })
})

t.test('through the switch: over maxConnections a socket is closed before the handshake', async t => {
  const target = await startTarget(t, { maxConnections: 1 })
  const refused: Error[] = []
  target.sw.on('connection:refused', (err: Error) => { refused.push(err) })
  const good = new Switch({ privateKey: generateKeyPair('Ed25519') })
  t.teardown(async () => { await good.stop() })
  await good.dial(target.addr)
  const socket = await connectRaw(target)
  const received: Buffer[] = []
  socket.on('data', (chunk: Buffer) => received.push(chunk))
  await closed(socket)
  t.same(received, [], 'not one byte of multistream or Noise was sent to the refused socket')
  t.equal(target.sw.metrics.refused.maxConnections, 1)
  t.match(refused, [{ code: 'ERR_RESOURCE_LIMIT_EXCEEDED' }])
  t.equal(target.upgradeErrors.length, 0, 'no handshake was started')
})

t.test('through the switch: an idle connection is closed after connectionIdleTimeoutMs', async t => {
  const target = await startTarget(t, { connectionIdleTimeoutMs: 300 })
  const good = new Switch({ privateKey: generateKeyPair('Ed25519') })
  t.teardown(async () => { await good.stop() })
  const connection = await good.dial(target.addr)
  const stream = await connection.newStream('/echo/1.0.0')
  await sleep(500)
  t.equal(connection.status, 'open', 'a connection with an open stream is not idle')
  stream.end()
  stream.resume()
  await sleep(900)
  t.equal(target.sw.getConnections().length, 0, 'closed once idle')
  t.equal(connection.status, 'closed', 'and the dialer saw it close')
  t.ok(await goodPing(target) >= 0)
})

t.test('through the switch: a switch that only dials (never started) closes idle connections too', async t => {
  const target = await startTarget(t)
  const dialer = new Switch({ privateKey: generateKeyPair('Ed25519'), limits: { connectionIdleTimeoutMs: 300 } })
  t.teardown(async () => { await dialer.stop() })
  const connection = await dialer.dial(target.addr)
  await sleep(900)
  t.equal(connection.status, 'closed', 'closed by the dialer once idle')
  t.equal(dialer.getConnections().length, 0)
})

t.test('through the switch: a connection a dial hands out is not closed as idle under its caller', async t => {
  const target = await startTarget(t)
  const dialer = new Switch({ privateKey: generateKeyPair('Ed25519'), limits: { connectionIdleTimeoutMs: 1_000 } })
  t.teardown(async () => { await dialer.stop() })
  const connection = await dialer.dial(target.addr)
  await sleep(900)
  t.equal(await dialer.dial(target.sw.peerId), connection, 'the same connection, near its idle limit')
  await sleep(300)
  t.equal(connection.status, 'open', 'handing it out counted as activity')
  await sleep(1_000)
  t.equal(connection.status, 'closed', 'and unused after that, it is closed as idle')
})

t.test('through the switch: outbound stream reservations follow the streams', async t => {
  const target = await startTarget(t)
  const dialer = new Switch({ privateKey: generateKeyPair('Ed25519'), limits: { maxOutboundStreamsPerPeer: 2 } })
  t.teardown(async () => { await dialer.stop() })
  const a = await dialer.newStream(target.addr, '/echo/1.0.0')
  const b = await dialer.newStream(target.addr, '/echo/1.0.0', { optimistic: false })
  t.equal(dialer.resources.usage().outboundStreams, 2)
  await t.rejects(dialer.newStream(target.addr, '/echo/1.0.0'), { code: 'ERR_RESOURCE_LIMIT_EXCEEDED' }, 'the third is refused locally')
  for (const stream of [a, b]) {
    stream.end('x')
    const chunks: Buffer[] = []
    for await (const chunk of stream.iterator({ destroyOnReturn: false })) chunks.push(chunk as Buffer)
    t.equal(Buffer.concat(chunks).toString(), 'x')
  }
  await sleep(50)
  t.equal(dialer.resources.usage().outboundStreams, 0, 'both reservations given back when the streams finished')
  await t.resolves(dialer.newStream(target.addr, '/echo/1.0.0'), 'room again')
})
