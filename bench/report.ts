// Collects the figures of every round and turns them into the report: the
// median of each figure per stack, the ratio ours / js-libp2p, the ceilings,
// the machine, and which of issue 8's targets the run met (./targets.ts).
// Printed as tables for people or as one JSON object.

import os from 'node:os'
import type { Figure, Figures, Sizes } from './benchmarks.js'
import { median } from './benchmarks.js'
import type { StackName } from './stack.js'
import { checkTargets, type TargetResult } from './targets.js'
import { describePlacement, type Placement } from './placement.js'

export interface Ceilings {
  tcpMiBps: number
  /** CPU time per MiB of raw TCP's sending and receiving processes. */
  tcpSenderCpuMsPerMiB: number
  tcpReceiverCpuMsPerMiB: number
  /**
   * Raw TCP written and read as our transport does (1 MiB corked writevs,
   * reads lent from one 1 MiB buffer): what plain TCP reaches with our
   * socket pattern. Reported beside the plain figure, which issue 8's
   * target ("raw Node TCP loopback") is judged against.
   */
  tcpBatchedMiBps: number
  tcpBatchedSenderCpuMsPerMiB: number
  tcpBatchedReceiverCpuMsPerMiB: number
  /** Raw TCP with every 64 KiB record sealed and opened as a Noise message: no muxer, no streams. */
  noiseTcpMiBps: number
  noiseTcpSenderCpuMsPerMiB: number
  noiseTcpReceiverCpuMsPerMiB: number
  /** ChaCha20-Poly1305 through our back end (`chachaBackend`), one core. */
  chachaSealMiBps: number
  chachaOpenMiBps: number
  chachaBackend: string
  /** The same through node:crypto's Cipheriv. */
  cipherivSealMiBps: number
  cipherivOpenMiBps: number
  x25519PerSecond: number
  ed25519SignPerSecond: number
}

export interface Row {
  benchmark: string
  title: string
  figure: string
  unit: string
  higherIsBetter: boolean
  ours: number | null
  js: number | null
  /** ours / js-libp2p (null when either is missing). */
  ratio: number | null
  /** For throughput figures: ours / raw TCP loopback. */
  oursOfRawTcp: number | null
  /** For throughput figures: ours / raw TCP with our socket pattern (Ceilings.tcpBatchedMiBps). */
  oursOfBatchedTcp: number | null
  /** For throughput figures: ours / Noise over raw TCP (the least a Noise stack pays). */
  oursOfNoiseTcp: number | null
  samples: Record<StackName, number[]>
}

export interface Report {
  machine: { cpus: number, cpuModel: string, memoryGiB: number, node: string, platform: string }
  rounds: number
  sizes: Sizes
  /** Where the two processes of each benchmark ran (./placement.ts). */
  placement: Placement
  ceilings: Ceilings | null
  rows: Row[]
  /** Issue 8's targets against this run's figures. */
  targets: TargetResult[]
  errors: string[]
}

export class Collector {
  private readonly rows = new Map<string, Row>()
  readonly errors: string[] = []

  add (benchmark: string, title: string, stack: StackName, figures: Figures): void {
    for (const [figure, f] of Object.entries(figures) as Array<[string, Figure]>) {
      const key = `${benchmark}\0${figure}`
      let row = this.rows.get(key)
      if (row === undefined) {
        row = { benchmark, title, figure, unit: f.unit, higherIsBetter: f.higherIsBetter, ours: null, js: null, ratio: null, oursOfRawTcp: null, oursOfBatchedTcp: null, oursOfNoiseTcp: null, samples: { ours: [], js: [] } }
        this.rows.set(key, row)
      }
      row.samples[stack].push(f.value)
    }
  }

  report (rounds: number, sizes: Sizes, ceilings: Ceilings | null, placement: Placement = 'free'): Report {
    const rows = [...this.rows.values()].map(row => {
      const ours = row.samples.ours.length > 0 ? median(row.samples.ours) : null
      const js = row.samples.js.length > 0 ? median(row.samples.js) : null
      const ratio = ours !== null && js !== null && js !== 0 ? ours / js : null
      const throughput = ours !== null && ceilings !== null && row.unit === 'MiB/s'
      const oursOfRawTcp = throughput ? ours / ceilings.tcpMiBps : null
      const oursOfBatchedTcp = throughput ? ours / ceilings.tcpBatchedMiBps : null
      const oursOfNoiseTcp = throughput ? ours / ceilings.noiseTcpMiBps : null
      return { ...row, ours, js, ratio, oursOfRawTcp, oursOfBatchedTcp, oursOfNoiseTcp }
    })
    const cpus = os.cpus()
    return {
      machine: {
        cpus: cpus.length,
        cpuModel: cpus[0]?.model ?? 'unknown',
        memoryGiB: Math.round(os.totalmem() / 2 ** 30),
        node: process.version,
        platform: `${os.platform()} ${os.release()} ${os.arch()}`
      },
      rounds,
      sizes,
      placement,
      ceilings,
      rows,
      targets: checkTargets({ rows, errors: this.errors }),
      errors: this.errors
    }
  }
}

function fmt (value: number | null, digits = 1): string {
  if (value === null || Number.isNaN(value)) return '–'
  if (Math.abs(value) >= 1000) return Math.round(value).toLocaleString('en-US')
  return value.toFixed(digits)
}

/** The report as a Markdown table (it reads as plain text too). */
export function formatTable (report: Report): string {
  const lines: string[] = []
  const m = report.machine
  lines.push(`Machine: ${m.cpus} × ${m.cpuModel}, ${m.memoryGiB} GiB, ${m.platform}, Node ${m.node}; medians of ${report.rounds} round(s); ${describePlacement(report.placement)}.`)
  lines.push('')
  lines.push('| benchmark | figure | ours | js-libp2p | ours / js | ours / raw TCP | ours / raw TCP, batched | ours / Noise over TCP |')
  lines.push('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |')
  for (const row of report.rows) {
    const better = row.higherIsBetter ? 'higher is better' : 'lower is better'
    lines.push(`| ${row.title} | ${row.figure} (${row.unit}, ${better}) | ${fmt(row.ours)} | ${fmt(row.js)} | ${fmt(row.ratio, 2)} | ${fmt(row.oursOfRawTcp, 2)} | ${fmt(row.oursOfBatchedTcp, 2)} | ${fmt(row.oursOfNoiseTcp, 2)} |`)
  }
  if (report.ceilings !== null) {
    const c = report.ceilings
    lines.push('')
    const cpu = (sender: number, receiver: number): string => `CPU ms per MiB: sender ${sender.toFixed(2)}, receiver ${receiver.toFixed(2)}`
    lines.push(`Ceilings: raw TCP loopback ${fmt(c.tcpMiBps)} MiB/s (${cpu(c.tcpSenderCpuMsPerMiB, c.tcpReceiverCpuMsPerMiB)}); raw TCP, batched as our transport (1 MiB corked writevs, lent 1 MiB reads) ${fmt(c.tcpBatchedMiBps)} MiB/s (${cpu(c.tcpBatchedSenderCpuMsPerMiB, c.tcpBatchedReceiverCpuMsPerMiB)}); Noise over TCP (64 KiB records sealed, sent 16 to a writev and opened; no muxer, no streams) ${fmt(c.noiseTcpMiBps)} MiB/s (${cpu(c.noiseTcpSenderCpuMsPerMiB, c.noiseTcpReceiverCpuMsPerMiB)}); ChaCha20-Poly1305 (${c.chachaBackend}) seal ${fmt(c.chachaSealMiBps)} MiB/s, open ${fmt(c.chachaOpenMiBps)} MiB/s, through node:crypto's Cipheriv seal ${fmt(c.cipherivSealMiBps)}, open ${fmt(c.cipherivOpenMiBps)} (one core); X25519 ${fmt(c.x25519PerSecond)}/s; Ed25519 sign ${fmt(c.ed25519SignPerSecond)}/s.`)
  }
  lines.push('')
  lines.push('Against the targets of issue 8 (figures of this run only):')
  lines.push('')
  lines.push('| target | this run | met? |')
  lines.push('| --- | --- | --- |')
  for (const t of report.targets) lines.push(`| ${t.target} | ${t.measured} | ${t.met === null ? 'not measured' : t.met ? 'yes' : '**no**'} |`)
  for (const error of report.errors) lines.push(`error: ${error}`)
  return lines.join('\n')
}
