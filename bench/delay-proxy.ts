// A TCP proxy that holds every chunk for a fixed delay in each direction,
// keeping order: a stand-in for `tc netem` (this machine has none), so the
// time from dial to the first ping reply, divided by the round-trip time
// (2 × delay), counts application round trips.
//
// Theory of operation: each accepted socket gets an upstream socket to the
// target at once (so TCP's own handshake adds no delay: it is excluded from
// the count). Every chunk read from one side is written to the other after
// `delayMs` by a timer; Node fires timers of equal duration in the order
// they were set, so bytes keep their order. An end or error is forwarded
// after the same delay, behind the data before it. There is no
// backpressure: the proxy is for latency, not for bulk transfer.

import net from 'node:net'

export interface DelayProxy {
  port: number
  close: () => Promise<void>
}

function forward (from: net.Socket, to: net.Socket, delayMs: number): void {
  from.on('data', (chunk: Buffer) => {
    setTimeout(() => { if (!to.destroyed) to.write(chunk) }, delayMs)
  })
  from.on('end', () => {
    setTimeout(() => { if (!to.destroyed) to.end() }, delayMs)
  })
  from.on('error', () => {
    setTimeout(() => { to.destroy() }, delayMs)
  })
}

/** Listens on 127.0.0.1 (an ephemeral port) and relays to `target` with `delayMs` each way. */
export async function startDelayProxy (target: { host: string, port: number }, delayMs: number): Promise<DelayProxy> {
  const sockets = new Set<net.Socket>()
  const server = net.createServer({ noDelay: true, allowHalfOpen: true }, downstream => {
    const upstream = net.connect({ host: target.host, port: target.port, noDelay: true, allowHalfOpen: true })
    for (const s of [downstream, upstream]) {
      sockets.add(s)
      s.on('close', () => { sockets.delete(s) })
    }
    forward(downstream, upstream, delayMs)
    forward(upstream, downstream, delayMs)
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => { server.off('error', reject); resolve() })
  })
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('delay proxy: no TCP address')
  return {
    port: address.port,
    close: async () => {
      for (const s of sockets) s.destroy()
      await new Promise<void>(resolve => { server.close(() => { resolve() }) })
    }
  }
}
