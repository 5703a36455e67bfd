// Issue 8's targets, checked against one report: which ones this run met,
// and the figures that decide each. Only figures of the same run are
// compared (README "How to read it"). A target whose figures the run lacks
// (a benchmark left out with --only, js-libp2p with --stacks, the ceilings
// with --no-ceilings) is "not measured", never met or missed.

import type { Report, Row } from './report.js'

export interface TargetResult {
  /** The target, in issue 8's words. */
  target: string
  /** The figures that decide it in this run, e.g. "down 3.32 ×, up 3.37 ×". */
  measured: string
  /** Whether every figure meets it; null when the run lacks one. */
  met: boolean | null
}

/** One figure a target reads, and the bound it must keep. */
interface Check {
  benchmark: string
  figure: string
  /** How the figure is named in `measured` ('' for none: its unit says it). */
  label: string
  /** The number the bound applies to (null when the run lacks it). */
  value: (row: Row) => number | null
  meets: (value: number) => boolean
  unit: string
}

interface Target {
  target: string
  checks: Check[]
}

const ratio = (row: Row): number | null => row.ratio
const ofRawTcp = (row: Row): number | null => row.oursOfRawTcp
const ours = (row: Row): number | null => row.ours
/** For a time (lower is better): how many times faster ours is. */
const timesFaster = (row: Row): number | null => row.ratio === null || row.ratio === 0 ? null : 1 / row.ratio

const atLeast = (bound: number) => (value: number): boolean => value >= bound
const atMost = (bound: number) => (value: number): boolean => value <= bound

/** Both directions of a one-stream transfer. */
function bothWays (benchmark: string, value: (row: Row) => number | null, bound: number): Check[] {
  return ['down', 'up'].map(figure => ({ benchmark, figure, label: figure, value, meets: atLeast(bound), unit: '×' }))
}

/** The targets of issue 8's table, in its order. */
export const ISSUE_8_TARGETS: readonly Target[] = [
  { target: 'one stream (yamux) ≥ 2 × js-libp2p', checks: bothWays('yamux', ratio, 2) },
  { target: 'one stream (yamux) ≥ 0.6 × raw TCP', checks: bothWays('yamux', ofRawTcp, 0.6) },
  { target: 'one stream (mplex) ≥ 2 × js-libp2p', checks: bothWays('mplex', ratio, 2) },
  {
    target: 'connections/s ≥ 4 × js-libp2p',
    checks: [{ benchmark: 'connect', figure: 'connections/s', label: 'connections/s', value: ratio, meets: atLeast(4), unit: '×' }]
  },
  {
    target: 'round trips from dial to the first ping reply ≤ 2.2',
    checks: [{ benchmark: 'rtt', figure: 'round trips', label: '', value: ours, meets: atMost(2.2), unit: 'RTT' }]
  },
  {
    target: 'listener memory per idle connection ≤ 1/3 of js-libp2p',
    checks: [
      { benchmark: 'memory', figure: 'RSS per connection', label: 'RSS', value: ratio, meets: atMost(1 / 3), unit: '×' },
      { benchmark: 'memory', figure: 'heap per connection', label: 'heap', value: ratio, meets: atMost(1 / 3), unit: '×' }
    ]
  },
  {
    // "bounded memory" read as: no more peak memory than js-libp2p on the same work
    target: 'concurrent streams on one connection ≥ 2 × js-libp2p, bounded memory',
    checks: [
      { benchmark: 'streams', figure: 'time', label: '', value: timesFaster, meets: atLeast(2), unit: '× faster' },
      { benchmark: 'streams', figure: 'peak RSS, both sides', label: 'peak RSS', value: ratio, meets: atMost(1), unit: '×' }
    ]
  }
]

/** Two decimals, or as many more as it takes not to read as the other verdict (0.5999 is not 0.60). */
function shownFor (check: Check, value: number): string {
  for (let digits = 2; digits < 6; digits++) {
    const text = value.toFixed(digits)
    if (check.meets(Number(text)) === check.meets(value)) return text
  }
  return String(value)
}

/**
 * Each target of issue 8, met or not in `report`. A benchmark that failed in
 * any round (report.errors) has medians over fewer samples, or of one side
 * only: the targets it decides are "not measured".
 */
export function checkTargets (report: Pick<Report, 'rows'> & Partial<Pick<Report, 'errors'>>): TargetResult[] {
  const failed = (benchmark: string): boolean => (report.errors ?? []).some(e => e.startsWith(`${benchmark} (`))
  return ISSUE_8_TARGETS.map(({ target, checks }) => {
    const parts: string[] = []
    let missed = false
    let unmeasured = false
    for (const check of checks) {
      const row = report.rows.find(r => r.benchmark === check.benchmark && r.figure === check.figure)
      const value = row === undefined ? null : check.value(row)
      if (failed(check.benchmark)) {
        parts.push(`${check.label === '' ? check.figure : check.label} not measured (the benchmark failed in a round)`)
        unmeasured = true
      } else if (value === null || !Number.isFinite(value)) {
        parts.push(`${check.label === '' ? check.figure : check.label} not measured`)
        unmeasured = true
      } else {
        parts.push(`${check.label} ${shownFor(check, value)} ${check.unit}`.trimStart())
        if (!check.meets(value)) missed = true
      }
    }
    // one figure that misses decides, whatever else the run lacks
    return { target, measured: parts.join(', '), met: missed ? false : unmeasured ? null : true }
  })
}
