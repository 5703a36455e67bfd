// The soak: many connections and streams against one listener, in bounded
// batches, then a check that sockets, handles, timers, the resource
// manager's counters and the heap came back to where they started
// (issue 9 "Leaks and soak"). Then stop() under load: every connection and
// stream closed, what was written delivered, nothing left running.
//
// Theory of operation: a pool of `batch` dialer switches (each its own peer,
// since a switch keeps one connection per peer); in each round every dialer
// connects, runs its share of echo streams, and hangs up. Run in a process
// started with --expose-gc so the heap is measured after a full collection.
// A first round warms everything up (JIT, lazy tables, TLS-free crypto
// contexts) and is the baseline.

import { Switch } from '../src/switch/index.js'
import { generateKeyPair } from '../src/peer/index.js'
import { ECHO_PROTOCOL, handleEcho } from '../src/protocols/index.js'
import type { Duplex } from 'node:stream'

export interface SoakOptions {
  connections: number
  streams: number
  /** Connections open at once (and dialer switches in the pool). */
  batch: number
  /** Bytes each stream echoes. */
  payload: number
  log?: (line: string) => void
}

export interface SoakFigures {
  connections: number
  streams: number
  seconds: number
  baseline: Snapshot
  after: Snapshot
  heapGrowthBytes: number
  /** Whatever stop() under load left behind (empty when clean). */
  leftAfterStop: string[]
  /** Streams whose written bytes came back whole during stop() under load. */
  flushedOnStop: number
  flushTotal: number
}

export interface Snapshot {
  heapUsed: number
  /** process.getActiveResourcesInfo(), counted by kind. */
  resources: Record<string, number>
  listenerConnections: number
  inboundStreams: number
  pendingUpgrades: number
}

/** The kinds of resource a leak would leave behind. */
export const LEAKABLE = ['TCPSocketWrap', 'TCPWrap', 'TCPServerWrap', 'Timeout', 'TTYWrap', 'FSReqCallback'] as const

async function gcAndSettle (): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc
  for (let i = 0; i < 3; i++) {
    await new Promise(resolve => setTimeout(resolve, 20))
    gc?.()
  }
}

function countResources (): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const kind of process.getActiveResourcesInfo()) counts[kind] = (counts[kind] ?? 0) + 1
  return counts
}

async function snapshot (listener: Switch): Promise<Snapshot> {
  await gcAndSettle()
  const usage = listener.resources.usage()
  return {
    heapUsed: process.memoryUsage().heapUsed,
    resources: countResources(),
    listenerConnections: listener.getConnections().length,
    inboundStreams: usage.inboundStreams,
    pendingUpgrades: usage.pendingInboundUpgrades
  }
}

async function echoOnce (stream: Duplex, payload: Uint8Array): Promise<boolean> {
  const received: Buffer[] = []
  stream.end(payload)
  for await (const chunk of stream.iterator({ destroyOnReturn: false })) received.push(chunk as Buffer)
  return Buffer.concat(received).equals(payload)
}

/** Waits until `done()` or `ms` passed. */
async function until (done: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms
  while (!done() && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 10))
}

export async function runSoak (options: SoakOptions): Promise<SoakFigures> {
  const log = options.log ?? (() => {})
  const listener = new Switch({ privateKey: generateKeyPair('Ed25519'), listenAddrs: ['/ip4/127.0.0.1/tcp/0'] })
  listener.handle(ECHO_PROTOCOL, async stream => { await handleEcho(stream) }, { maxInboundStreams: 1024 })
  await listener.start()
  const addr = listener.multiaddrs[0]
  const dialers = Array.from({ length: options.batch }, () => new Switch({ privateKey: generateKeyPair('Ed25519') }))
  const payload = new Uint8Array(options.payload).map((_, i) => i * 7)
  const streamsPerConnection = Math.max(1, Math.round(options.streams / options.connections))

  let connections = 0
  let streams = 0
  let failures = 0
  const round = async (): Promise<void> => {
    await Promise.all(dialers.map(async dialer => {
      const connection = await dialer.dial(addr)
      connections++
      // the streams of one connection run in parallel: the muxer's concurrency is part of the test
      const results = await Promise.all(Array.from({ length: streamsPerConnection }, async () => {
        const stream = await connection.newStream(ECHO_PROTOCOL)
        return await echoOnce(stream, payload)
      }))
      streams += results.length
      failures += results.filter(ok => !ok).length
      await dialer.hangUp(connection.remotePeer)
    }))
  }

  await round()
  await until(() => listener.getConnections().length === 0, 2_000)
  const baseline = await snapshot(listener)
  log(`baseline: heap ${(baseline.heapUsed / 1e6).toFixed(1)} MB, resources ${JSON.stringify(baseline.resources)}`)

  const started = performance.now()
  connections = 0
  streams = 0
  while (connections < options.connections) {
    await round()
    if (connections % (options.batch * 20) === 0) log(`${connections} connections, ${streams} streams, heap ${(process.memoryUsage().heapUsed / 1e6).toFixed(1)} MB`)
  }
  const seconds = (performance.now() - started) / 1000
  if (failures > 0) throw new Error(`${failures} streams did not echo their bytes back`)
  await until(() => listener.getConnections().length === 0 && listener.resources.usage().inboundStreams === 0, 5_000)
  const after = await snapshot(listener)
  log(`after: heap ${(after.heapUsed / 1e6).toFixed(1)} MB, resources ${JSON.stringify(after.resources)}`)

  // stop() under load: on every dialer, streams whose bytes are written but
  // not yet echoed back; then everybody stops. A graceful stop lets them finish.
  const flushTotal = dialers.length * 4
  let flushedOnStop = 0
  // big enough that the echo is still in flight when stop() begins
  const flushPayload = new Uint8Array(256 * 1024).map((_, i) => i * 13)
  const inFlight = dialers.map(async dialer => {
    const connection = await dialer.dial(addr)
    await Promise.all(Array.from({ length: 4 }, async () => {
      const stream = await connection.newStream(ECHO_PROTOCOL, { optimistic: false })
      stream.on('error', () => {})
      const received: Buffer[] = []
      const done = (async () => {
        for await (const chunk of stream.iterator({ destroyOnReturn: false })) received.push(chunk as Buffer)
      })()
      stream.end(flushPayload)
      try {
        await done
        if (Buffer.concat(received).equals(flushPayload)) flushedOnStop++
      } catch {}
    }))
  })
  // wait until every dialer has its streams open and written (or failed)
  await until(() => listener.resources.usage().inboundStreams >= flushTotal, 5_000)
  await Promise.all(dialers.map(async d => { await d.stop() }))
  await listener.stop()
  await Promise.allSettled(inFlight)
  await gcAndSettle()
  const left = countResources()
  const leftAfterStop = LEAKABLE.filter(kind => kind !== 'TTYWrap' && kind !== 'FSReqCallback' && (left[kind] ?? 0) > 0)
    .map(kind => `${kind} × ${left[kind]}`)

  return {
    connections,
    streams,
    seconds,
    baseline,
    after,
    heapGrowthBytes: after.heapUsed - baseline.heapUsed,
    leftAfterStop,
    flushedOnStop,
    flushTotal
  }
}

/** What counts as a leak: returns the problems found (empty when clean). */
export function leaks (figures: SoakFigures, heapMarginBytes: number): string[] {
  const problems: string[] = []
  const { baseline, after } = figures
  for (const kind of LEAKABLE) {
    const grew = (after.resources[kind] ?? 0) - (baseline.resources[kind] ?? 0)
    if (grew > 0) problems.push(`${grew} more ${kind} than at the start`)
  }
  if (after.listenerConnections !== 0) problems.push(`${after.listenerConnections} connections still registered on the listener`)
  if (after.inboundStreams !== 0) problems.push(`${after.inboundStreams} inbound stream reservations never released`)
  if (after.pendingUpgrades !== 0) problems.push(`${after.pendingUpgrades} handshake reservations never released`)
  if (figures.heapGrowthBytes > heapMarginBytes) {
    problems.push(`heap grew by ${(figures.heapGrowthBytes / 1e6).toFixed(1)} MB (margin ${(heapMarginBytes / 1e6).toFixed(1)} MB)`)
  }
  problems.push(...figures.leftAfterStop.map(s => `left after stop(): ${s}`))
  return problems
}
