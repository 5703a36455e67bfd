// One benchmark process: the runner forks it and sends it requests
// (protocol.ts) -- be a listener of one stack, be a client of one stack and
// do some work, be the delay proxy, or the raw TCP ends. Each side of every
// benchmark runs in its own process, so the two never share an event loop
// (or a garbage collector, or a core's time slice) and the listener's memory
// is its own. Started with --expose-gc so 'memory' can collect first.

import type { Envelope, MemorySample, Reply, Request } from './protocol.js'
import type { BenchClient, BenchServer, Stack, StackName } from './stack.js'
// the proxy and the ceilings (raw.js loads our Noise code and the native
// addon, 5 MiB of RSS) are imported only by the workers that run them, so a
// js-libp2p process holds none of our code in its memory figures

let server: BenchServer | undefined
let client: BenchClient | undefined
const closers: Array<() => Promise<void>> = []

async function loadStack (name: StackName): Promise<Stack> {
  // js-libp2p is loaded only when asked for, so an "ours only" run never imports it
  if (name === 'js') return (await import('./js.js')).js
  return (await import('./ours.js')).ours
}

function need<T> (value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`this worker has no ${what} yet`)
  return value
}

async function collect (): Promise<MemorySample> {
  const gc = (globalThis as { gc?: () => void }).gc
  for (let i = 0; i < 3; i++) {
    gc?.()
    await new Promise(resolve => setTimeout(resolve, 50))
  }
  const { rss, heapUsed, heapTotal } = process.memoryUsage()
  return { rss, heapUsed, heapTotal }
}

/** Closes everything this worker opened, newest first, and forgets it. */
async function closeAll (): Promise<void> {
  const all = closers.splice(0).reverse()
  server = undefined
  client = undefined
  await Promise.allSettled(all.map(async close => { await close() }))
}

async function handle (request: Request): Promise<unknown> {
  switch (request.op) {
    case 'listen':
      server = await (await loadStack(request.stack)).listen(request.muxer)
      closers.push(server.close)
      return server.addr
    case 'connectionCount':
      return need(server, 'listener').connectionCount()
    case 'memory':
      return await collect()
    case 'client':
      client = await (await loadStack(request.stack)).client(request.muxer, request.identities)
      closers.push(client.close)
      return null
    case 'perf':
      return await need(client, 'client').perf(request.addr, request.up, request.down)
    case 'dialPing': {
      const c = need(client, 'client')
      const ms: number[] = []
      for (let i = 0; i < request.count; i++) ms.push(await c.dialPing(request.addr))
      return ms
    }
    case 'openIdle':
      await need(client, 'client').openIdle(request.addr, request.count)
      return null
    case 'streams':
      return await need(client, 'client').streams(request.addr, request.count, request.size)
    case 'proxy': {
      const { startDelayProxy } = await import('./delay-proxy.js')
      const proxy = await startDelayProxy({ host: request.host, port: request.port }, request.delayMs)
      closers.push(proxy.close)
      return proxy.port
    }
    case 'rawListen': {
      const { rawTcpListen } = await import('./raw.js')
      const raw = await rawTcpListen(request.kind)
      closers.push(raw.close)
      return raw.port
    }
    case 'rawSend':
      return await (await import('./raw.js')).rawTcpSend(request.port, request.bytes, request.kind)
    case 'maxRss':
      // resourceUsage().maxRSS is in KiB: the peak resident set of this process's life
      return process.resourceUsage().maxRSS * 1024
    case 'cpu': {
      // user + system CPU time of this process so far, in ms
      const { user, system } = process.cpuUsage()
      return (user + system) / 1000
    }
    case 'reset':
      await closeAll()
      return null
    case 'exit': {
      const timer = setTimeout(() => { process.exit(0) }, 3_000)
      await closeAll()
      clearTimeout(timer)
      setImmediate(() => { process.exit(0) })
      return null
    }
    default: {
      const unknown: never = request
      throw new Error(`unknown request ${JSON.stringify(unknown)}`)
    }
  }
}

process.on('message', (message: Envelope) => {
  handle(message.request).then(
    result => { process.send?.({ id: message.id, ok: true, result } satisfies Reply) },
    (err: unknown) => {
      const error = err instanceof Error ? `${err.name}: ${err.message}` : String(err)
      process.send?.({ id: message.id, ok: false, error } satisfies Reply)
    }
  )
})
process.on('disconnect', () => { process.exit(0) })
// hostile or broken peers must not kill a benchmark run: report, keep going
process.on('unhandledRejection', err => { process.stderr.write(`worker: unhandled rejection: ${String(err)}\n`) })
