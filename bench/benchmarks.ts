// The benchmarks of issue 8, each a function from (stack, sizes) to named
// figures, run with fresh worker processes: a listener of the stack, a
// client of the same stack, and (for round trips) a delay proxy between.
// The runner (run.ts) calls each once per round for ours and for js-libp2p.

import { withWorkers } from './launch.js'
import type { MemorySample } from './protocol.js'
import type { MuxerName, StackName } from './stack.js'
import type { RawKind } from './raw.js'

export interface Sizes {
  /** Bytes of each perf transfer (one direction at a time). */
  perfBytes: number
  /**
   * Bytes of the throughput warm-up each way, before the measured transfers
   * (the stacks' and the ceilings' alike); undefined: twice perfBytes
   * (WARM_UP_MULTIPLE).
   */
  perfWarmup?: number
  /** Sequential fresh connections per round of the connect benchmark. */
  connections: number
  /**
   * Connections made (and closed) before those measured. V8 compiles code
   * that runs a few times per connection only after hundreds of connections,
   * so the figures depend on it: README "How to read it".
   */
  connectWarmup: number
  /**
   * Dialer identities the connect benchmark's client takes in turn (1: one
   * peer dials every connection). Ours remembers the signatures and keys it
   * has verified (a peer that comes back is not checked again); with more
   * identities than it remembers (256), the listener checks every dialer.
   */
  connectIdentities: number
  /** The delay proxy's hold time, each direction, in ms. */
  delayMs: number
  /** Fresh connections through the proxy per round (the median is kept). */
  rttSamples: number
  /** Idle connections held open for the memory benchmark. */
  idleConnections: number
  /** Concurrent streams on one connection, and bytes each way on each. */
  streams: number
  streamBytes: number
}

export const DEFAULT_SIZES: Sizes = {
  perfBytes: 256 * 1024 * 1024,
  connections: 200,
  connectWarmup: 200,
  connectIdentities: 1,
  delayMs: 50,
  rttSamples: 3,
  idleConnections: 1_000,
  streams: 1_000,
  streamBytes: 64 * 1024
}

/** A figure: its value, its unit, and whether more is better (for the ratio's reading). */
export interface Figure { value: number, unit: string, higherIsBetter: boolean }
export type Figures = Record<string, Figure>

export interface Benchmark {
  name: string
  title: string
  run: (stack: StackName, sizes: Sizes) => Promise<Figures>
}

const MiB = 1024 * 1024
/**
 * The throughput benchmarks' warm-up each way, as a multiple of the measured
 * transfer (the stacks' and the ceilings' alike): 512 MiB before 256 MiB.
 * V8's optimizing compiler works on threads of its own, on the two cores
 * that the two processes of a transfer already keep busy. After the earlier
 * warm-up of 64 MiB it was still compiling through the first two measured
 * transfers each way: the other threads of both processes took 0.12–0.39
 * CPU ms per MiB on top of the main threads' 1.2–1.5 (per-thread CPU time
 * from /proc/<pid>/task/<tid>/schedstat), 0.05–0.17 in the next two;
 * --trace-opt counted 118–129 ms of compiling in the second measured
 * transfer (the first up) and 39–50 in each of the next two. A measured
 * transfer then timed V8's compiler as much as the stack (bench/NOTES.md,
 * "The warm-up, again"). A warm-up of 1 GiB each way did no better (NOTES,
 * "Slices that stay in L1").
 * Earlier still, 4 MiB compiled the hot paths but left the first 256 MiB
 * after it to grow each process's memory (12,000–19,000 fresh pages
 * faulted in against 2,000–6,000 in the next 256 MiB).
 */
const WARM_UP_MULTIPLE = 2

/** The warm-up each way before a measured transfer of `sizes.perfBytes` (the stacks' and the ceilings' alike). */
function warmUpBytes (sizes: Sizes): number {
  return sizes.perfWarmup ?? WARM_UP_MULTIPLE * sizes.perfBytes
}

/**
 * The warm-up is this many transfers each way, each one on a new stream (a
 * new connection for the ceilings) and in one direction, as the measured
 * ones are. V8 optimizes the code a transfer runs, then deoptimizes it when
 * a new stream or the other direction brings objects of another shape
 * ("wrong map" in Node's stream code, which our socket, Noise channel and
 * yamux stream all go through). Warmed up by one transfer up and down on
 * one stream, ours was still being re-optimized through the first measured
 * transfers: 2.0–2.7 CPU ms per MiB (both processes) in the first, against
 * 1.6–1.9 after eight transfers each way of the same total (bench/NOTES.md).
 */
export const WARM_UP_TRANSFERS = 8

/** The bytes of each warm-up transfer (WARM_UP_TRANSFERS of them each way); none when the warm-up is 0. */
export function warmUpTransfers (sizes: Sizes): number[] {
  const total = warmUpBytes(sizes)
  if (total === 0) return []
  const each = Math.ceil(total / WARM_UP_TRANSFERS)
  return Array.from({ length: WARM_UP_TRANSFERS }, () => each)
}

/** Connections kept open before the memory baseline: JIT, pools and lazy tables warm up. */
const MEMORY_WARMUP_CONNECTIONS = 10
/** After the last connection opens: identify and other connect-time work finishes. */
const MEMORY_SETTLE_MS = 1_500
/** The listener must see every dialled connection within this time. */
const MEMORY_WAIT_MS = 30_000
/**
 * A burst of handshakes makes V8 grow its young generation (to 32 MiB here),
 * and it gives the pages back only once the process has idled a few seconds
 * (its memory reducer). An idle connection is measured in that steady state:
 * samples are taken once a second until the committed heap has not shrunk
 * for MEMORY_STEADY_SAMPLES samples in a row, for both stacks alike.
 */
const MEMORY_STEADY_SAMPLES = 3
const MEMORY_STEADY_MAX_MS = 30_000

export function median (values: number[]): number {
  if (values.length === 0) return NaN
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }

function throughput (muxer: MuxerName): Benchmark['run'] {
  return async (stack, sizes) => await withWorkers(2, async ([listener, dialer]) => {
    const addr = await listener.call<string>({ op: 'listen', stack, muxer })
    await dialer.call({ op: 'client', stack, muxer })
    // a warm-up each way, so that both sides' hot paths are compiled and their
    // memory has grown to its steady size before the clock runs
    for (const bytes of warmUpTransfers(sizes)) {
      await dialer.call({ op: 'perf', addr, up: 0, down: bytes })
      await dialer.call({ op: 'perf', addr, up: bytes, down: 0 })
    }
    // CPU time of both processes per MiB: on a shared machine it moves far
    // less than wall-clock throughput, so it is the figure to compare changes by
    const cpu = async (): Promise<number> => {
      const [a, b] = await Promise.all([listener.call<number>({ op: 'cpu' }), dialer.call<number>({ op: 'cpu' })])
      return a + b
    }
    const cpu0 = await cpu()
    const down = await dialer.call<number>({ op: 'perf', addr, up: 0, down: sizes.perfBytes })
    const cpu1 = await cpu()
    const up = await dialer.call<number>({ op: 'perf', addr, up: sizes.perfBytes, down: 0 })
    const cpu2 = await cpu()
    const mib = sizes.perfBytes / MiB
    return {
      down: { value: mib / down, unit: 'MiB/s', higherIsBetter: true },
      up: { value: mib / up, unit: 'MiB/s', higherIsBetter: true },
      'down CPU': { value: (cpu1 - cpu0) / mib, unit: 'CPU ms/MiB', higherIsBetter: false },
      'up CPU': { value: (cpu2 - cpu1) / mib, unit: 'CPU ms/MiB', higherIsBetter: false }
    }
  })
}

async function connect (stack: StackName, sizes: Sizes): Promise<Figures> {
  return await withWorkers(2, async ([listener, dialer]) => {
    const addr = await listener.call<string>({ op: 'listen', stack, muxer: 'yamux' })
    await dialer.call({ op: 'client', stack, muxer: 'yamux', identities: sizes.connectIdentities })
    // V8 compiles the per-connection code only after hundreds of
    // connections (each function runs a few times per connection): with 5
    // warm-up connections both stacks were measured half cold, so the
    // default warms up with as many as it measures (the throughput
    // benchmarks warm up likewise)
    await dialer.call({ op: 'dialPing', addr, count: sizes.connectWarmup })
    const cpu = async (): Promise<number> => {
      const [a, b] = await Promise.all([listener.call<number>({ op: 'cpu' }), dialer.call<number>({ op: 'cpu' })])
      return a + b
    }
    const cpu0 = await cpu()
    const start = performance.now()
    const ms = await dialer.call<number[]>({ op: 'dialPing', addr, count: sizes.connections })
    const seconds = (performance.now() - start) / 1000
    const cpuMs = await cpu() - cpu0
    // issue 8 times "dial + Noise + muxer + first ping" ("≈ 70 connections/s,
    // 13–14 ms each"): the connections/s of that work alone, and the wall
    // clock of the whole loop, which also waits for each graceful close
    const dialToPingSeconds = ms.reduce((sum, each) => sum + each, 0) / 1000
    return {
      'CPU per connection': { value: cpuMs / sizes.connections, unit: 'CPU ms, both sides', higherIsBetter: false },
      'connections/s': { value: sizes.connections / dialToPingSeconds, unit: 'conn/s, dial to first ping reply', higherIsBetter: true },
      'connections/s with close': { value: sizes.connections / seconds, unit: 'conn/s, close awaited too', higherIsBetter: true },
      'ms each': { value: median(ms), unit: 'ms', higherIsBetter: false }
    }
  })
}

async function roundTrips (stack: StackName, sizes: Sizes): Promise<Figures> {
  return await withWorkers(3, async ([listener, dialer, proxy]) => {
    const addr = await listener.call<string>({ op: 'listen', stack, muxer: 'yamux' })
    const match = /^\/ip4\/([^/]+)\/tcp\/(\d+)\/p2p\/(\w+)$/.exec(addr)
    if (match === null) throw new Error(`cannot proxy ${addr}`)
    const port = await proxy.call<number>({ op: 'proxy', host: match[1], port: Number(match[2]), delayMs: sizes.delayMs })
    const proxied = `/ip4/127.0.0.1/tcp/${port}/p2p/${match[3]}`
    await dialer.call({ op: 'client', stack, muxer: 'yamux' })
    // warm up directly (no delay), so compilation does not count as round trips
    await dialer.call({ op: 'dialPing', addr, count: 3 })
    const ms = await dialer.call<number[]>({ op: 'dialPing', addr: proxied, count: sizes.rttSamples })
    return {
      'round trips': { value: median(ms) / (2 * sizes.delayMs), unit: 'RTT', higherIsBetter: false }
    }
  })
}

async function memory (stack: StackName, sizes: Sizes): Promise<Figures> {
  return await withWorkers(2, async ([listener, dialer]) => {
    const addr = await listener.call<string>({ op: 'listen', stack, muxer: 'yamux' })
    await dialer.call({ op: 'client', stack, muxer: 'yamux' })
    const waitFor = async (count: number): Promise<void> => {
      const deadline = performance.now() + MEMORY_WAIT_MS
      for (;;) {
        const open = await listener.call<number>({ op: 'connectionCount' })
        if (open >= count) break
        if (performance.now() > deadline) throw new Error(`the listener has ${open} connections, expected ${count}`)
        await sleep(50)
      }
      await sleep(MEMORY_SETTLE_MS)
    }
    const steady = async (): Promise<MemorySample> => {
      const deadline = performance.now() + MEMORY_STEADY_MAX_MS
      let last = await listener.call<MemorySample>({ op: 'memory' })
      let unchanged = 0
      while (unchanged < MEMORY_STEADY_SAMPLES && performance.now() < deadline) {
        await sleep(1_000)
        const next = await listener.call<MemorySample>({ op: 'memory' })
        unchanged = next.heapTotal < last.heapTotal ? 0 : unchanged + 1
        last = next
      }
      return last
    }
    await dialer.call({ op: 'openIdle', addr, count: MEMORY_WARMUP_CONNECTIONS })
    await waitFor(MEMORY_WARMUP_CONNECTIONS)
    const before = await steady()
    await dialer.call({ op: 'openIdle', addr, count: sizes.idleConnections })
    await waitFor(MEMORY_WARMUP_CONNECTIONS + sizes.idleConnections)
    const after = await steady()
    const open = await listener.call<number>({ op: 'connectionCount' })
    if (open < MEMORY_WARMUP_CONNECTIONS + sizes.idleConnections) throw new Error(`only ${open} connections stayed open`)
    return {
      'RSS per connection': { value: (after.rss - before.rss) / sizes.idleConnections / 1024, unit: 'KiB', higherIsBetter: false },
      'heap per connection': { value: (after.heapUsed - before.heapUsed) / sizes.idleConnections / 1024, unit: 'KiB', higherIsBetter: false }
    }
  })
}

async function streams (stack: StackName, sizes: Sizes): Promise<Figures> {
  return await withWorkers(2, async ([listener, dialer]) => {
    const addr = await listener.call<string>({ op: 'listen', stack, muxer: 'yamux' })
    await dialer.call({ op: 'client', stack, muxer: 'yamux' })
    const ms = await dialer.call<number>({ op: 'streams', addr, count: sizes.streams, size: sizes.streamBytes })
    const peaks = await Promise.all([listener, dialer].map(async w => await w.call<number>({ op: 'maxRss' })))
    return {
      time: { value: ms, unit: 'ms', higherIsBetter: false },
      'peak RSS, both sides': { value: (peaks[0] + peaks[1]) / MiB, unit: 'MiB', higherIsBetter: false }
    }
  })
}

export const BENCHMARKS: Benchmark[] = [
  { name: 'yamux', title: 'one stream, Noise + yamux', run: throughput('yamux') },
  { name: 'mplex', title: 'one stream, Noise + mplex', run: throughput('mplex') },
  { name: 'connect', title: 'dial + Noise + yamux + first ping, sequential', run: connect },
  { name: 'rtt', title: 'dial to first ping reply through a delay proxy', run: roundTrips },
  { name: 'memory', title: 'listener memory per idle connection', run: memory },
  { name: 'streams', title: 'concurrent streams on one connection, echo each way', run: streams }
]

/** A ceiling's transfer: its rate, and the CPU time each of its two processes spent per MiB. */
export interface CeilingSample { MiBps: number, senderCpuMsPerMiB: number, receiverCpuMsPerMiB: number }

/** A ceiling: raw TCP loopback (or Noise over it) between two processes, the same transfer as perf. */
export async function rawTcp (sizes: Sizes, kind: RawKind = 'plain'): Promise<CeilingSample> {
  return await withWorkers(2, async ([listener, sender]) => {
    const port = await listener.call<number>({ op: 'rawListen', kind })
    for (const bytes of warmUpTransfers(sizes)) await sender.call({ op: 'rawSend', port, bytes, kind })
    // the sender is the side that limits both ceilings (README "0.6 × raw TCP: what bounds it")
    const [s0, r0] = await Promise.all([sender.call<number>({ op: 'cpu' }), listener.call<number>({ op: 'cpu' })])
    const seconds = await sender.call<number>({ op: 'rawSend', port, bytes: sizes.perfBytes, kind })
    const [s1, r1] = await Promise.all([sender.call<number>({ op: 'cpu' }), listener.call<number>({ op: 'cpu' })])
    const mib = sizes.perfBytes / MiB
    return { MiBps: mib / seconds, senderCpuMsPerMiB: (s1 - s0) / mib, receiverCpuMsPerMiB: (r1 - r0) / mib }
  })
}
