import t from 'tap'
import net from 'node:net'
import { Upgrader } from '../../src/upgrader/index.js'
import type { Connection, UpgradeTrace } from '../../src/upgrader/index.js'
import { generateKeyPair, PeerId } from '../../src/peer/index.js'
import type { PrivateKey } from '../../src/peer/index.js'
import { Multiaddr } from '../../src/multiaddr/index.js'
import { yamux } from '../../src/yamux/index.js'
import { mplex } from '../../src/mplex/index.js'
import type { MuxedStream, StreamMuxerFactory } from '../../src/muxer/types.js'
import { handleProtocols, readOptimisticAccept, writeOptimisticProposal } from '../../src/multistream/index.js'
import { secureOutbound } from '../../src/noise/index.js'
import { StreamReader } from '../../src/util/stream-reader.js'
import { tcpPair } from '../helpers/duplex-pair.js'

const addr = Multiaddr.fromString('/ip4/127.0.0.1/tcp/1')

interface Side { key: PrivateKey, muxers?: StreamMuxerFactory[], inline?: boolean, trace?: UpgradeTrace }

/** Upgrades both ends of a loopback socket pair; the listener echoes /echo/1.0.0. */
async function upgradePair (client: Side, server: Side, expected?: PeerId): Promise<[Connection, Connection]> {
  const [a, b] = await tcpPair()
  const onStream = (stream: MuxedStream): void => {
    stream.on('error', () => {})
    handleProtocols(stream, ['/echo/1.0.0']).then(() => { stream.pipe(stream) }, () => { stream.destroy() })
  }
  const dialer = new Upgrader({ privateKey: client.key, muxers: client.muxers ?? [yamux, mplex], inlineMuxerNegotiation: client.inline, trace: client.trace, onStream })
  const listener = new Upgrader({ privateKey: server.key, muxers: server.muxers ?? [yamux, mplex], inlineMuxerNegotiation: server.inline, trace: server.trace, onStream })
  return await Promise.all([
    dialer.upgradeOutbound(a, { remoteAddr: addr, remotePeer: expected }),
    listener.upgradeInbound(b, { remoteAddr: addr })
  ])
}

async function echo (connection: Connection, text: string): Promise<string> {
  const stream = await connection.newStream('/echo/1.0.0')
  stream.end(Buffer.from(text))
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString()
}

t.test('both sides learn each other\'s peer ID and agree on the muxer inside Noise', async t => {
  const clientKey = generateKeyPair('Ed25519')
  const serverKey = generateKeyPair('Ed25519')
  const selected: string[] = []
  const trace: UpgradeTrace = { onMuxerSelected: (protocol, how) => { selected.push(`${protocol} ${how}`) } }
  const [out, inb] = await upgradePair({ key: clientKey, trace }, { key: serverKey, trace }, PeerId.fromPublicKey(serverKey.publicKey))
  t.ok(out.remotePeer.equals(PeerId.fromPublicKey(serverKey.publicKey)))
  t.ok(inb.remotePeer.equals(PeerId.fromPublicKey(clientKey.publicKey)))
  t.equal(out.encryption, '/noise')
  t.equal(out.muxer, '/yamux/1.0.0')
  t.equal(inb.muxer, '/yamux/1.0.0')
  t.same(selected, ['/yamux/1.0.0 inlined', '/yamux/1.0.0 inlined'])
  t.equal(await echo(out, 'hello over yamux'), 'hello over yamux')
  out.abort(new Error('done'))
})

t.test('falls back to multistream-select for the muxer when one side does not inline', async t => {
  const selected: string[] = []
  const trace: UpgradeTrace = { onMuxerSelected: (protocol, how) => { selected.push(`${protocol} ${how}`) } }
  const [out, inb] = await upgradePair(
    { key: generateKeyPair('Ed25519'), muxers: [mplex, yamux], trace },
    { key: generateKeyPair('Ed25519'), inline: false, trace })
  t.equal(out.muxer, '/mplex/6.7.0', 'the dialer\'s first choice wins in multistream-select')
  t.equal(inb.muxer, '/mplex/6.7.0')
  t.same(selected, ['/mplex/6.7.0 multistream', '/mplex/6.7.0 multistream'])
  t.equal(await echo(out, 'hello over mplex'), 'hello over mplex')
  out.abort(new Error('done'))
})

t.test('inlined negotiation picks the initiator\'s first common muxer, and the initiator sends only that one', async t => {
  const payloads: string[] = []
  const trace: UpgradeTrace = { onHandshakeMessage: m => { if (m.direction === 'sent') payloads.push(`${m.index + 1}: ${m.payload}`) } }
  const [out, inb] = await upgradePair(
    { key: generateKeyPair('Ed25519'), muxers: [mplex, yamux], trace },
    { key: generateKeyPair('Ed25519'), muxers: [yamux, mplex] })
  t.equal(out.muxer, '/mplex/6.7.0')
  t.equal(inb.muxer, '/mplex/6.7.0')
  // "It MAY choose a single multiplexer from the responder's list and only
  // send that value": then a responder that picks from its own list (as
  // js-libp2p's initiator does) cannot pick another
  t.equal(payloads.length, 2)
  t.match(payloads[1], /^3: .*stream_muxers \[\/mplex\/6\.7\.0\]$/, 'message 3 lists the chosen muxer alone')
  out.abort(new Error('done'))
})

t.test('no common muxer fails the upgrade with ERR_MUXER_UNAVAILABLE', async t => {
  const results = await Promise.allSettled(await upgradePairSettled(
    { key: generateKeyPair('Ed25519'), muxers: [mplex] },
    { key: generateKeyPair('Ed25519'), muxers: [yamux] }))
  t.match(results[0], { status: 'rejected', reason: { code: 'ERR_MUXER_UNAVAILABLE' } })
})

t.test('the responder side of inlined negotiation, against a hand-driven initiator', async t => {
  // inlined-muxer-negotiation.md: the responder takes the first of the
  // initiator's muxers it supports; "If there is no overlap ... the
  // handshake MUST fail". Our own dialer gives up before its third message
  // when there is no overlap, so the responder's side needs a raw initiator.
  const cases: Array<[string[], string | undefined]> = [
    [['/foo/1'], undefined],
    [['/mplex/6.7.0'], '/mplex/6.7.0'],
    [['/foo/1', '/mplex/6.7.0', '/yamux/1.0.0'], '/mplex/6.7.0']
  ]
  for (const [offered, expected] of cases) {
    const [a, b] = await tcpPair()
    const listener = new Upgrader({ privateKey: generateKeyPair('Ed25519'), muxers: [yamux, mplex] })
    const inbound = listener.upgradeInbound(b, { remoteAddr: addr })
    writeOptimisticProposal(a, '/noise')
    const reader = new StreamReader(a)
    const initiator = secureOutbound(a, {
      privateKey: generateKeyPair('Ed25519'),
      extensions: { streamMuxers: offered },
      beforeFirstRead: async () => { await readOptimisticAccept(reader, '/noise') }
    })
    a.on('error', () => {})
    const [inboundResult, initiatorResult] = await Promise.allSettled([inbound, initiator])
    if (initiatorResult.status === 'fulfilled') initiatorResult.value.stream.on('error', () => {})
    if (expected === undefined) {
      t.match(inboundResult, { status: 'rejected', reason: { code: 'ERR_MUXER_UNAVAILABLE' } }, `${offered.join(',')}: no overlap fails the responder's upgrade`)
    } else {
      t.equal(inboundResult.status === 'fulfilled' ? inboundResult.value.muxer : String((inboundResult as PromiseRejectedResult).reason), expected, `${offered.join(',')}: the responder takes ${expected}`)
      if (inboundResult.status === 'fulfilled') inboundResult.value.abort(new Error('done'))
    }
    a.destroy()
  }
})

t.test('close() resolves once the socket has closed, through the remote\'s end (not the timeout)', async t => {
  for (const muxer of [yamux, mplex]) {
    const [a, b] = await tcpPair()
    // a bound far beyond the test's own timeout: only the remote's end can close the sockets
    const init = { muxers: [muxer], socketCloseTimeoutMs: 10 * 60_000 }
    const dialer = new Upgrader({ privateKey: generateKeyPair('Ed25519'), ...init })
    const listener = new Upgrader({ privateKey: generateKeyPair('Ed25519'), ...init })
    const [out, inb] = await Promise.all([dialer.upgradeOutbound(a, { remoteAddr: addr }), listener.upgradeInbound(b, { remoteAddr: addr })])
    const inboundClosed = new Promise(resolve => inb.once('close', resolve))
    await out.close()
    t.equal(out.status, 'closed', `${muxer.protocol}: closed`)
    t.ok(a.closed, `${muxer.protocol}: our socket has closed when close() resolves`)
    await inboundClosed
    await inb.close()
    t.ok(b.closed, `${muxer.protocol}: the remote's close() on an already closed connection waits for its socket too`)
  }
})

t.test('a dialer that expected another peer fails with ERR_UNEXPECTED_PEER', async t => {
  const other = PeerId.fromPublicKey(generateKeyPair('Ed25519').publicKey)
  const results = await Promise.allSettled(await upgradePairSettled(
    { key: generateKeyPair('Ed25519') }, { key: generateKeyPair('Ed25519') }, other))
  t.match(results[0], { status: 'rejected', reason: { code: 'ERR_UNEXPECTED_PEER' } })
})

t.test('a peer that stalls is dropped at the upgrade timeout', async t => {
  const server = net.createServer(() => {}) // accepts, never answers
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const socket = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1')
  socket.on('error', () => {})
  const upgrader = new Upgrader({ privateKey: generateKeyPair('Ed25519'), muxers: [yamux], timeoutMs: 200 })
  const started = Date.now()
  await t.rejects(upgrader.upgradeOutbound(socket, { remoteAddr: addr }), { code: 'ERR_UPGRADE_TIMEOUT' })
  t.ok(Date.now() - started < 2000, 'gave up near the timeout')
  t.ok(socket.destroyed, 'the raw socket is closed')
  server.close()
})

t.test('an upgrade timeout longer than the Noise handshake\'s default of 10 s is the one that counts', async t => {
  const server = net.createServer(() => {}) // accepts, never answers
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { server.close() })
  const socket = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1')
  socket.on('error', () => {})
  const upgrader = new Upgrader({ privateKey: generateKeyPair('Ed25519'), muxers: [yamux], timeoutMs: 10_400 })
  const started = Date.now()
  await t.rejects(upgrader.upgradeOutbound(socket, { remoteAddr: addr }), { code: 'ERR_UPGRADE_TIMEOUT', message: /within 10400 ms/ }, 'not ERR_NOISE_HANDSHAKE_TIMEOUT at 10 s')
  t.ok(Date.now() - started >= 10_300, 'the whole time given')
})

t.test('the caller\'s signal ends an upgrade with the caller\'s reason, not a timeout, and leaves no timer', async t => {
  const server = net.createServer(() => {}) // accepts, never answers
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const socket = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1')
  socket.on('error', () => {})
  const timers = (): number => process.getActiveResourcesInfo().filter(kind => kind === 'Timeout').length
  const before = timers()
  const upgrader = new Upgrader({ privateKey: generateKeyPair('Ed25519'), muxers: [yamux], timeoutMs: 60_000 })
  const controller = new AbortController()
  const reason = new Error('the caller gave up')
  setTimeout(() => { controller.abort(reason) }, 50)
  await t.rejects(upgrader.upgradeOutbound(socket, { remoteAddr: addr, signal: controller.signal }), reason)
  t.ok(socket.destroyed, 'the raw socket is closed')
  t.equal(timers(), before, 'the upgrade\'s 60 s timer is gone with it')
  server.close()
})

async function upgradePairSettled (client: Side, server: Side, expected?: PeerId): Promise<Array<Promise<Connection>>> {
  const [a, b] = await tcpPair()
  const dialer = new Upgrader({ privateKey: client.key, muxers: client.muxers ?? [yamux], timeoutMs: 2000 })
  const listener = new Upgrader({ privateKey: server.key, muxers: server.muxers ?? [yamux], timeoutMs: 2000 })
  const promises = [
    dialer.upgradeOutbound(a, { remoteAddr: addr, remotePeer: expected }),
    listener.upgradeInbound(b, { remoteAddr: addr })
  ]
  for (const p of promises) p.then(c => { c.abort(new Error('done')) }, () => {})
  return promises
}
