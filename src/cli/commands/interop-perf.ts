// The unified runner's perf suite, for `p2p interop` (libp2p/unified-testing
// perf/README.md and perf/lib/run-single-test.sh; what the runner reads is
// what its images' dialers print).
//
// Theory of operation: the perf suite hands the dialer UPLOAD_BYTES,
// DOWNLOAD_BYTES, UPLOAD_ITERATIONS, DOWNLOAD_ITERATIONS and
// LATENCY_ITERATIONS (the images' defaults: 1 GiB, 1 GiB, 10, 10, 100).
// Once connected, the dialer runs each measurement over a new `/perf/1.0.0`
// stream (libp2p/specs perf/perf.md): the uploads (N bytes up, none down),
// the downloads (none up, N down), then the latency runs (1 byte each way).
// An upload or download sample is N × 8 bits / its seconds / 10^9 (Gbps), a
// latency sample its milliseconds. Each series is summed up as the runner
// reads it: quartiles interpolated linearly between ranks, outliers beyond
// 1.5 × the interquartile range from the quartiles, min and max of the
// samples that are not outliers, and every sample; Gbps to 2 decimals, ms to
// 3. Only lines the runner keeps are printed: `upload:`, `download:`,
// `latency:` and their `  iterations:` … `  unit:` fields.

import type { Libp2pNode } from '../../node/index.js'
import type { PeerId } from '../../peer/index.js'
import { PERF_PROTOCOL, perfClient } from '../../protocols/index.js'
import { P2PError } from '../../util/errors.js'

export interface PerfSuiteConfig {
  uploadBytes: number
  downloadBytes: number
  uploadIterations: number
  downloadIterations: number
  latencyIterations: number
}

/** The perf images' defaults. */
export const PERF_SUITE_DEFAULTS: PerfSuiteConfig = {
  uploadBytes: 1024 ** 3,
  downloadBytes: 1024 ** 3,
  uploadIterations: 10,
  downloadIterations: 10,
  latencyIterations: 100
}

const VARIABLES: Record<keyof PerfSuiteConfig, string> = {
  uploadBytes: 'UPLOAD_BYTES',
  downloadBytes: 'DOWNLOAD_BYTES',
  uploadIterations: 'UPLOAD_ITERATIONS',
  downloadIterations: 'DOWNLOAD_ITERATIONS',
  latencyIterations: 'LATENCY_ITERATIONS'
}

/**
 * The perf suite's settings, or undefined when none of its variables is set
 * (then this is not the perf suite). Byte counts are whole numbers, iteration
 * counts at least 1.
 */
export function parsePerfSuiteConfig (env: Record<string, string | undefined>): PerfSuiteConfig | undefined {
  const names = Object.keys(VARIABLES) as Array<keyof PerfSuiteConfig>
  if (names.every(name => (env[VARIABLES[name]] ?? '') === '')) return undefined
  const config = { ...PERF_SUITE_DEFAULTS }
  for (const name of names) {
    const text = env[VARIABLES[name]]
    if (text === undefined || text === '') continue
    const value = Number(text)
    const least = name.endsWith('Iterations') ? 1 : 0
    if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < least) {
      throw new P2PError('ERR_INVALID_PARAMETERS', `${VARIABLES[name]} must be a whole number of at least ${least}, got "${text}"`)
    }
    config[name] = value
  }
  return config
}

export interface SeriesSummary {
  iterations: number
  min: number
  q1: number
  median: number
  q3: number
  max: number
  outliers: number[]
  samples: number[]
}

/** The value at percentile `p` of sorted `values`, interpolated linearly between ranks. */
function percentile (sorted: number[], p: number): number {
  const index = (p / 100) * (sorted.length - 1)
  const lower = Math.floor(index)
  const upper = Math.ceil(index)
  return sorted[lower] + (sorted[upper] - sorted[lower]) * (index - lower)
}

/** Sums up a series of samples (at least one) as the runner reads it. */
export function summarize (samples: number[]): SeriesSummary {
  if (samples.length === 0) throw new P2PError('ERR_INVALID_PARAMETERS', 'a series needs at least one sample')
  const sorted = [...samples].sort((a, b) => a - b)
  const q1 = percentile(sorted, 25)
  const q3 = percentile(sorted, 75)
  const fence = 1.5 * (q3 - q1)
  const outliers = sorted.filter(v => v < q1 - fence || v > q3 + fence)
  const inside = sorted.filter(v => v >= q1 - fence && v <= q3 + fence)
  return {
    iterations: samples.length,
    min: inside[0],
    q1,
    median: percentile(sorted, 50),
    q3,
    max: inside[inside.length - 1],
    outliers,
    samples: sorted
  }
}

export interface PerfSuiteResult {
  upload: SeriesSummary
  download: SeriesSummary
  latency: SeriesSummary
}

/** Runs the suite's measurements against `peer` (already connected), in the suite's order. */
export async function runPerfSuite (node: Libp2pNode, peer: PeerId, config: PerfSuiteConfig, signal: AbortSignal): Promise<PerfSuiteResult> {
  const run = async (uploadBytes: number, downloadBytes: number): Promise<number> => {
    const stream = await node.newStream(peer, PERF_PROTOCOL, { signal })
    return (await perfClient(stream, { uploadBytes, downloadBytes, signal })).timeSeconds
  }
  const series = async (iterations: number, sample: () => Promise<number>): Promise<SeriesSummary> => {
    const samples: number[] = []
    for (let i = 0; i < iterations; i++) samples.push(await sample())
    return summarize(samples)
  }
  const gbps = (bytes: number, seconds: number): number => bytes * 8 / seconds / 1e9
  return {
    upload: await series(config.uploadIterations, async () => gbps(config.uploadBytes, await run(config.uploadBytes, 0))),
    download: await series(config.downloadIterations, async () => gbps(config.downloadBytes, await run(0, config.downloadBytes))),
    latency: await series(config.latencyIterations, async () => 1000 * await run(1, 1))
  }
}

/** The three blocks as the runner reads them: YAML, or (older runners) one JSON line. */
export function formatPerfSuite (result: PerfSuiteResult, format: 'json' | 'yaml'): string {
  const blocks = [
    { name: 'upload', summary: result.upload, decimals: 2, unit: 'Gbps' },
    { name: 'download', summary: result.download, decimals: 2, unit: 'Gbps' },
    { name: 'latency', summary: result.latency, decimals: 3, unit: 'ms' }
  ]
  const round = (value: number, decimals: number): number => Number(value.toFixed(decimals))
  const fields = (summary: SeriesSummary, decimals: number): Record<string, number | number[]> => ({
    iterations: summary.iterations,
    min: round(summary.min, decimals),
    q1: round(summary.q1, decimals),
    median: round(summary.median, decimals),
    q3: round(summary.q3, decimals),
    max: round(summary.max, decimals),
    outliers: summary.outliers.map(v => round(v, decimals)),
    samples: summary.samples.map(v => round(v, decimals))
  })
  if (format === 'json') {
    return `${JSON.stringify(Object.fromEntries(blocks.map(b => [b.name, { ...fields(b.summary, b.decimals), unit: b.unit }])))}\n`
  }
  return blocks.map(({ name, summary, decimals, unit }) => {
    const lines = Object.entries(fields(summary, decimals)).map(([key, value]) => {
      const text = Array.isArray(value) ? `[${value.map(v => v.toFixed(decimals)).join(', ')}]` : key === 'iterations' ? String(value) : value.toFixed(decimals)
      return `  ${key}: ${text}\n`
    })
    return `${name}:\n${lines.join('')}  unit: ${unit}\n`
  }).join('\n')
}
