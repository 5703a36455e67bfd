// `npm run bench`: our stack against js-libp2p on the same work (issue 8).
//
//   node dist/bench/run.js [--json] [--rounds N] [--only NAME[,NAME]]
//     [--stacks ours,js] [--perf-bytes 256MiB] [--perf-warmup 512MiB] [--connections 200] [--connect-warmup 200] [--connect-identities 1]
//     [--delay-ms 50] [--rtt-samples 3] [--idle 1000] [--streams 1000]
//     [--stream-bytes 64KiB] [--no-ceilings] [--placement free|same|split]
//
// Each round runs every benchmark for both stacks, alternating which goes
// first, each side in its own fresh process; the table shows medians over the
// rounds, the ratio ours / js-libp2p, and the ceilings (raw TCP loopback,
// Noise over TCP, native crypto rates; measured every round, medians too),
// then which of issue 8's targets the run met (./targets.ts).
// Benchmarks: yamux, mplex, connect, rtt, memory, streams (see benchmarks.ts).

import { fileURLToPath } from 'node:url'
import { BENCHMARKS, DEFAULT_SIZES, median, rawTcp } from './benchmarks.js'
import type { Sizes } from './benchmarks.js'
import { cryptoRates } from './raw.js'
import { nodeCrypto } from '../src/noise/crypto-node.js'
import { parseByteSize } from '../src/util/byte-size.js'
import { Collector, formatTable } from './report.js'
import { parsePlacement, resolvePlacement, type Placement } from './placement.js'
import { setMainThreadCpus } from './launch.js'
import type { Ceilings, Report } from './report.js'
import type { StackName } from './stack.js'

export interface RunOptions {
  rounds: number
  only: string[]
  stacks: StackName[]
  sizes: Sizes
  ceilings: boolean
  /** Where the two processes of every benchmark run (./placement.ts); default 'free'. */
  placement?: Placement
  /** Progress lines (to stderr by default). */
  log?: (line: string) => void
}

/** Default rounds: enough for a median, few enough for a few minutes on 2 cores. */
export const DEFAULT_ROUNDS = 3

export function parseSize (text: string): number {
  const bytes = parseByteSize(text)
  if (bytes === undefined) throw new Error(`expected a size such as 65536, 64KiB or 256MiB, got "${text}"`)
  return bytes
}

export function parseArgs (argv: string[]): RunOptions & { json: boolean } {
  const options = { rounds: DEFAULT_ROUNDS, only: [] as string[], stacks: ['ours', 'js'] as StackName[], sizes: { ...DEFAULT_SIZES }, ceilings: true, placement: 'free' as Placement, json: false }
  const sizeFlags: Record<string, keyof Sizes> = {
    '--perf-bytes': 'perfBytes',
    '--perf-warmup': 'perfWarmup',
    '--connections': 'connections',
    '--connect-warmup': 'connectWarmup',
    '--connect-identities': 'connectIdentities',
    '--delay-ms': 'delayMs',
    '--rtt-samples': 'rttSamples',
    '--idle': 'idleConnections',
    '--streams': 'streams',
    '--stream-bytes': 'streamBytes'
  }
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]
    const value = (): string => {
      const v = argv[++i]
      if (v === undefined) throw new Error(`${flag} needs a value`)
      return v
    }
    if (flag === '--json') options.json = true
    else if (flag === '--no-ceilings') options.ceilings = false
    else if (flag === '--rounds') options.rounds = parseSize(value())
    else if (flag === '--only') options.only.push(...value().split(','))
    else if (flag === '--stacks') options.stacks = value().split(',') as StackName[]
    else if (flag === '--placement') options.placement = parsePlacement(value())
    else if (flag in sizeFlags) options.sizes[sizeFlags[flag]] = parseSize(value())
    else throw new Error(`unknown option ${flag}`)
  }
  for (const name of options.only) {
    if (!BENCHMARKS.some(b => b.name === name)) throw new Error(`unknown benchmark "${name}"; known: ${BENCHMARKS.map(b => b.name).join(', ')}`)
  }
  for (const stack of options.stacks) {
    if (stack !== 'ours' && stack !== 'js') throw new Error(`unknown stack "${String(stack)}"; known: ours, js`)
  }
  if (options.rounds < 1) throw new Error('--rounds must be at least 1')
  return options
}

export async function runBenchmarks (options: RunOptions): Promise<Report> {
  const log = options.log ?? ((line: string) => { process.stderr.write(`${line}\n`) })
  const placement = options.placement ?? 'free'
  // checked before any worker starts: a placement that cannot be had fails the run at once
  const mainThreadCpus = resolvePlacement(placement)
  const selected = BENCHMARKS.filter(b => options.only.length === 0 || options.only.includes(b.name))
  const collector = new Collector()
  // The ceilings are measured in every round, next to the stacks, and their
  // medians reported: on a shared machine a ceiling taken once, in a slow
  // minute, would make every ratio to it meaningless.
  const samples: Ceilings[] = []
  const measureCeilings = async (round: number): Promise<void> => {
    log(`round ${round + 1}/${options.rounds}: ceilings (raw TCP loopback, plain and batched, Noise over TCP, native crypto)`)
    const tcp = await rawTcp(options.sizes)
    const batched = await rawTcp(options.sizes, 'batched')
    const noise = await rawTcp(options.sizes, 'noise')
    const c = cryptoRates()
    samples.push({
      tcpMiBps: tcp.MiBps,
      tcpSenderCpuMsPerMiB: tcp.senderCpuMsPerMiB,
      tcpReceiverCpuMsPerMiB: tcp.receiverCpuMsPerMiB,
      tcpBatchedMiBps: batched.MiBps,
      tcpBatchedSenderCpuMsPerMiB: batched.senderCpuMsPerMiB,
      tcpBatchedReceiverCpuMsPerMiB: batched.receiverCpuMsPerMiB,
      noiseTcpMiBps: noise.MiBps,
      noiseTcpSenderCpuMsPerMiB: noise.senderCpuMsPerMiB,
      noiseTcpReceiverCpuMsPerMiB: noise.receiverCpuMsPerMiB,
      chachaSealMiBps: c.chachaSealBytesPerSecond / 2 ** 20,
      chachaOpenMiBps: c.chachaOpenBytesPerSecond / 2 ** 20,
      chachaBackend: nodeCrypto.name,
      cipherivSealMiBps: c.cipherivSealBytesPerSecond / 2 ** 20,
      cipherivOpenMiBps: c.cipherivOpenBytesPerSecond / 2 ** 20,
      x25519PerSecond: c.x25519PerSecond,
      ed25519SignPerSecond: c.ed25519SignPerSecond
    })
  }
  setMainThreadCpus(mainThreadCpus)
  try {
    for (let round = 0; round < options.rounds; round++) {
      if (options.ceilings) await measureCeilings(round)
      for (const benchmark of selected) {
        // alternate which stack goes first, so neither always meets a warmer machine
        const order = round % 2 === 0 ? options.stacks : [...options.stacks].reverse()
        for (const stack of order) {
          log(`round ${round + 1}/${options.rounds}: ${benchmark.name} (${stack})`)
          try {
            collector.add(benchmark.name, benchmark.title, stack, await benchmark.run(stack, options.sizes))
          } catch (err) {
            const message = `${benchmark.name} (${stack}), round ${round + 1}: ${err instanceof Error ? err.message : String(err)}`
            collector.errors.push(message)
            log(`  failed: ${message}`)
          }
        }
      }
    }
  } finally {
    setMainThreadCpus(undefined)
  }
  // the median of every number; a name (the AEAD back end) is the same each round
  const middle = (key: keyof Ceilings): number | string => {
    const values = samples.map(sample => sample[key])
    return typeof values[0] === 'string' ? values[0] : median(values as number[])
  }
  const ceilings = samples.length === 0
    ? null
    : Object.fromEntries(Object.keys(samples[0]).map(key => [key, middle(key as keyof Ceilings)])) as unknown as Ceilings
  return collector.report(options.rounds, options.sizes, ceilings, placement)
}

async function main (): Promise<void> {
  let options
  try {
    options = parseArgs(process.argv.slice(2))
    resolvePlacement(options.placement ?? 'free') // a placement this machine cannot give is a usage error, said in one line
  } catch (err) {
    process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`)
    process.exitCode = 2
    return
  }
  const report = await runBenchmarks(options)
  process.stdout.write(options.json ? `${JSON.stringify(report)}\n` : `${formatTable(report)}\n`)
  if (report.errors.length > 0) process.exitCode = 1
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) await main()
