import t from 'tap'
import net from 'node:net'
import { once } from 'node:events'
import { existsSync, readFileSync } from 'node:fs'
import { dialTcp, isTcpAddr, socketMultiaddr, TcpListener, TCP_KEEPALIVE_DELAY_MS } from '../../src/tcp/index.js'
import { Multiaddr } from '../../src/multiaddr/index.js'

async function listen (addr: string): Promise<{ listener: TcpListener, accepted: net.Socket[] }> {
  const accepted: net.Socket[] = []
  const listener = await TcpListener.listen(Multiaddr.fromString(addr), { onConnection: socket => { accepted.push(socket) } })
  return { listener, accepted }
}

t.test('tcp/0 picks a free port, reported in the listener\'s multiaddr', async t => {
  const { listener, accepted } = await listen('/ip4/127.0.0.1/tcp/0')
  const [addr] = listener.multiaddrs()
  const { host, port } = addr.toSocketAddress()
  t.equal(host, '127.0.0.1')
  t.ok(port > 0)
  const socket = await dialTcp(addr)
  socket.end('ping')
  await new Promise(resolve => setTimeout(resolve, 20))
  t.equal(accepted.length, 1)
  const [data] = await once(accepted[0], 'data') as [Buffer]
  t.equal(data.toString(), 'ping')
  t.equal(socketMultiaddr(socket, 'remote')?.toString(), addr.toString())
  t.equal(socketMultiaddr(accepted[0], 'remote')?.toString(), socketMultiaddr(socket, 'local')?.toString())
  t.equal(listener.connectionCount, 1)
  // the addresses are made once; a caller changing its copy changes nothing
  const copy = listener.multiaddrs()
  copy.pop()
  t.same(listener.multiaddrs().map(a => a.toString()), [addr.toString()])
  await listener.close({ closeConnections: true })
  t.ok(accepted[0].destroyed, 'close({ closeConnections }) destroys accepted sockets')
  t.same(listener.multiaddrs(), [], 'a closed listener has no address')
})

t.test('the connections a listener accepts share one local multiaddr; remote ones are their own', async t => {
  const { listener, accepted } = await listen('/ip4/127.0.0.1/tcp/0')
  const a = await dialTcp(listener.multiaddrs()[0])
  const b = await dialTcp(listener.multiaddrs()[0])
  while (accepted.length < 2) await new Promise(resolve => setTimeout(resolve, 5))
  const [localA, localB] = accepted.map(s => socketMultiaddr(s, 'local'))
  t.equal(localA?.toString(), listener.multiaddrs()[0].toString())
  t.equal(localA, localB, 'one instance for the listener\'s end')
  t.not(socketMultiaddr(accepted[0], 'remote'), socketMultiaddr(accepted[1], 'remote'))
  t.equal(socketMultiaddr(accepted[1], 'remote')?.toString(), socketMultiaddr(b, 'local')?.toString())
  a.destroy()
  b.destroy()
  await listener.close({ closeConnections: true })
})

t.test('a half-close from the remote leaves our side writable', async t => {
  const { listener, accepted } = await listen('/ip4/127.0.0.1/tcp/0')
  const socket = await dialTcp(listener.multiaddrs()[0])
  await new Promise(resolve => setTimeout(resolve, 20))
  const server = accepted[0]
  socket.end()
  await once(server, 'end')
  server.end('after FIN')
  const chunks: Buffer[] = []
  for await (const chunk of socket) chunks.push(chunk as Buffer)
  t.equal(Buffer.concat(chunks).toString(), 'after FIN')
  await listener.close({ closeConnections: true })
})

/**
 * The kernel's timer on the IPv4 socket from local port `local` to remote
 * port `remote` (Linux /proc/net/tcp "tr" and "tm->when": timer 2 is
 * keepalive, 0 none on an idle socket; `when` in USER_HZ ticks, 100 a second).
 */
function kernelTimer (local: number, remote: number): { timer: number, seconds: number } | undefined {
  const hex = (port: number): string => port.toString(16).toUpperCase().padStart(4, '0')
  for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/)
    if (fields.length < 6) continue
    if (fields[1].endsWith(`:${hex(local)}`) && fields[2].endsWith(`:${hex(remote)}`)) {
      const [timer, when] = fields[5].split(':')
      return { timer: parseInt(timer, 16), seconds: parseInt(when, 16) / 100 }
    }
  }
  return undefined
}

t.test('dialed and accepted sockets both probe a silent peer with TCP keepalive after 30 s idle', { skip: existsSync('/proc/net/tcp') ? false : 'needs Linux /proc/net/tcp' }, async t => {
  const { listener, accepted } = await listen('/ip4/127.0.0.1/tcp/0')
  const socket = await dialTcp(listener.multiaddrs()[0])
  while (accepted.length < 1) await new Promise(resolve => setTimeout(resolve, 5))
  // a plain socket beside them: no timer at all when idle
  const plain = net.connect({ port: Number(listener.multiaddrs()[0].toSocketAddress().port), host: '127.0.0.1' })
  await once(plain, 'connect')
  await new Promise(resolve => setTimeout(resolve, 50))
  for (const [name, s] of [['dialed', socket], ['accepted', accepted[0]]] as const) {
    const found = kernelTimer(s.localPort ?? 0, s.remotePort ?? 0)
    t.equal(found?.timer, 2, `${name}: the kernel runs a keepalive timer`)
    t.ok(found !== undefined && found.seconds > TCP_KEEPALIVE_DELAY_MS / 1000 - 5 && found.seconds <= TCP_KEEPALIVE_DELAY_MS / 1000,
      `${name}: first probe after ${TCP_KEEPALIVE_DELAY_MS / 1000} s idle (${String(found?.seconds)} s left)`)
  }
  t.equal(kernelTimer(plain.localPort ?? 0, plain.remotePort ?? 0)?.timer, 0, 'a socket without keepalive has none')
  plain.destroy()
  socket.destroy()
  await listener.close({ closeConnections: true })
})

t.test('IPv6 loopback and DNS names', async t => {
  const v6 = await listen('/ip6/::1/tcp/0').catch(() => undefined)
  if (v6 === undefined) {
    t.comment('no IPv6 loopback on this machine: IPv6 part skipped')
  } else {
    const socket = await dialTcp(v6.listener.multiaddrs()[0])
    t.equal(socket.remoteFamily, 'IPv6')
    socket.destroy()
    await v6.listener.close({ closeConnections: true })
  }
  const { listener } = await listen('/ip4/127.0.0.1/tcp/0')
  const port = listener.multiaddrs()[0].toSocketAddress().port
  const socket = await dialTcp(Multiaddr.fromString(`/dns4/localhost/tcp/${port}`))
  t.equal(socket.remoteAddress, '127.0.0.1', '/dns4 resolves to IPv4 only')
  socket.destroy()
  await listener.close({ closeConnections: true })
})

t.test('/ip6zone: dialled and listened on with the zone; a socket\'s zoned address keeps it', async t => {
  t.ok(isTcpAddr(Multiaddr.fromString('/ip6zone/eth0/ip6/fe80::1/tcp/1')))
  t.notOk(isTcpAddr(Multiaddr.fromString('/ip6zone/eth0/ip6/fe80::1/tcp/1/ws')), 'another transport over it')
  t.notOk(isTcpAddr(Multiaddr.fromString('/ip6zone/eth0/tcp/1')), 'a zone with no address')
  await t.rejects(dialTcp(Multiaddr.fromString('/ip6zone/eth0/ip6/fe80::1/udp/1')), { code: 'ERR_TRANSPORT_UNSUPPORTED_ADDR', message: /\[\/ip6zone\/ZONE\]/ })

  // Node reports a link-local address with its zone (fe80::1%eth0); no test may use a real link, so a socket's view of one is given here
  const linkLocal = { remoteAddress: 'fe80::1%eth0', remotePort: 4001, remoteFamily: 'IPv6' } as unknown as net.Socket
  t.equal(socketMultiaddr(linkLocal, 'remote')?.toString(), '/ip6zone/eth0/ip6/fe80::1/tcp/4001', 'the zone kept, so the address dials back through the same interface')
  const slashed = { remoteAddress: 'fe80::1%a/b', remotePort: 4001, remoteFamily: 'IPv6' } as unknown as net.Socket
  t.equal(socketMultiaddr(slashed, 'remote')?.toString(), '/ip6/fe80::1/tcp/4001', 'a zone a multiaddr cannot hold is left out')

  // a zone on ::1 is legal (the kernel uses it only for scoped addresses): loopback can carry the whole path
  const v6 = await listen('/ip6zone/lo/ip6/::1/tcp/0').catch(() => undefined)
  if (v6 === undefined) {
    t.comment('no IPv6 loopback on this machine (or no interface "lo"): the dial and listen part skipped')
    return
  }
  const addr = v6.listener.multiaddrs()[0]
  t.match(addr.toString(), /^\/ip6zone\/lo\/ip6\/::1\/tcp\/\d+$/, 'the listener reports the zone it was given')
  const socket = await dialTcp(addr)
  t.equal(socket.remoteAddress, '::1')
  t.equal(socket.remotePort, addr.toSocketAddress().port)
  socket.destroy()
  await v6.listener.close({ closeConnections: true })
})

t.test('a name\'s addresses are tried in turn until one connects', async t => {
  const { listener, accepted } = await listen('/ip4/127.0.0.1/tcp/0')
  const port = listener.multiaddrs()[0].toSocketAddress().port
  // 127.0.0.2 is loopback too, but nobody listens there: refused, then the next
  const asked: Array<[string, number]> = []
  const lookup = async (hostname: string, family: 0 | 4 | 6): Promise<Array<{ address: string, family: number }>> => {
    asked.push([hostname, family])
    return [{ address: '127.0.0.2', family: 4 }, { address: '127.0.0.1', family: 4 }]
  }
  const socket = await dialTcp(Multiaddr.fromString(`/dns/peer.example/tcp/${port}`), { lookup })
  t.same(asked, [['peer.example', 0]], 'asked once, for any family')
  t.equal(socket.remoteAddress, '127.0.0.1', 'connected to the second address')
  socket.destroy()
  await new Promise(resolve => setTimeout(resolve, 20))
  t.equal(accepted.length, 1)

  // /dns4 asks for IPv4 and tries nothing else, even if the resolver offers it
  const v6only = async (): Promise<Array<{ address: string, family: number }>> => [{ address: '::1', family: 6 }]
  await t.rejects(dialTcp(Multiaddr.fromString(`/dns4/peer.example/tcp/${port}`), { lookup: v6only }), { code: 'ERR_DNS_RESOLVE', message: /no IPv4 address/ })

  // every address refused: one error naming each
  await listener.close({ closeConnections: true })
  const err = await dialTcp(Multiaddr.fromString(`/dns/peer.example/tcp/${port}`), { lookup }).then(() => undefined, (e: Error) => e)
  t.match(err, { code: 'ERR_CONNECTION_FAILED', message: new RegExp(`127\\.0\\.0\\.2:${port} .*; 127\\.0\\.0\\.1:${port} `) })
})

t.test('the dial\'s time limit and signal cover the name\'s lookup', async t => {
  let finish!: () => void
  const stalled = async (): Promise<Array<{ address: string, family: number }>> => {
    await new Promise<void>(resolve => { finish = resolve })
    return [{ address: '127.0.0.1', family: 4 }]
  }
  const addr = Multiaddr.fromString('/dns4/slow.example/tcp/9')
  const started = performance.now()
  await t.rejects(dialTcp(addr, { lookup: stalled, timeoutMs: 80 }), { code: 'ERR_DIAL_TIMEOUT' })
  t.ok(performance.now() - started < 2000, 'not waiting for the resolver')
  finish()

  // aborted while the name is looked up: the lookup answering afterwards connects nothing
  let connected = 0
  const probe = net.createServer(socket => { connected++; socket.destroy() })
  await new Promise<void>(resolve => probe.listen(0, '127.0.0.1', resolve))
  const probeAddr = Multiaddr.fromString(`/dns4/slow.example/tcp/${(probe.address() as net.AddressInfo).port}`)
  const controller = new AbortController()
  const dialing = dialTcp(probeAddr, { lookup: stalled, signal: controller.signal })
  await new Promise(resolve => setTimeout(resolve, 10))
  controller.abort(new Error('user gave up during the lookup'))
  await t.rejects(dialing, { message: 'user gave up during the lookup' })
  finish()
  await new Promise(resolve => setTimeout(resolve, 50))
  t.equal(connected, 0, 'no connection after the abort')
  // the same lookup, not aborted, does reach the probe
  const socket = await dialTcp(probeAddr, { lookup: async () => [{ address: '127.0.0.1', family: 4 }] })
  await new Promise(resolve => setTimeout(resolve, 50))
  t.equal(connected, 1, 'the probe counts a connection')
  socket.destroy()
  await new Promise(resolve => probe.close(resolve))
})

t.test('dial failures are typed errors', async t => {
  const { listener } = await listen('/ip4/127.0.0.1/tcp/0')
  const addr = listener.multiaddrs()[0]
  await listener.close()
  await t.rejects(dialTcp(addr), { code: 'ERR_CONNECTION_FAILED' }, 'nobody listening')
  const controller = new AbortController()
  controller.abort(new Error('user gave up'))
  await t.rejects(dialTcp(addr, { signal: controller.signal }), { message: 'user gave up' })
  await t.rejects(dialTcp(Multiaddr.fromString('/ip4/127.0.0.1/udp/1')), { code: 'ERR_TRANSPORT_UNSUPPORTED_ADDR' })
  await t.rejects(TcpListener.listen(Multiaddr.fromString('/ip4/127.0.0.1/udp/0'), { onConnection: () => {} }), { code: 'ERR_TRANSPORT_UNSUPPORTED_ADDR' })
  t.ok(isTcpAddr(Multiaddr.fromString('/dns/example.com/tcp/1')))
  t.notOk(isTcpAddr(Multiaddr.fromString('/ip4/1.2.3.4/udp/1/quic-v1')))
  // another transport over TCP is not TCP: dialled as TCP it would reach the wrong protocol or peer
  t.notOk(isTcpAddr(Multiaddr.fromString('/ip4/1.2.3.4/tcp/1/ws')))
  t.notOk(isTcpAddr(Multiaddr.fromString('/ip4/1.2.3.4/tcp/1/tls/ws')))
  await t.rejects(dialTcp(Multiaddr.fromString('/ip4/127.0.0.1/tcp/1/ws')), { code: 'ERR_TRANSPORT_UNSUPPORTED_ADDR' })
})

t.test('a port already in use is ERR_LISTEN_FAILED', async t => {
  const { listener } = await listen('/ip4/127.0.0.1/tcp/0')
  await t.rejects(listen(listener.multiaddrs()[0].toString()), { code: 'ERR_LISTEN_FAILED' })
  await listener.close()
})
