// `npm run soak`: 10,000 connections and 100,000 streams against one
// listener, in batches, then handles, sockets and heap compared with the
// start (./soak-run.ts). Prints the figures; exit code 1 on a leak.
//
//   node --expose-gc dist/bench/soak.js [--connections N] [--streams N] [--batch N]
//        [--payload BYTES] [--heap-margin-mb MB] [--json]
//
// Without --expose-gc it re-launches itself with the flag, so the heap is
// measured after a full collection.

import { spawnSync } from 'node:child_process'
import { parseArgs } from 'node:util'
import { leaks, runSoak } from './soak-run.js'

const { values } = parseArgs({
  options: {
    connections: { type: 'string', default: '10000' },
    streams: { type: 'string', default: '100000' },
    batch: { type: 'string', default: '25' },
    payload: { type: 'string', default: '256' },
    'heap-margin-mb': { type: 'string', default: '16' },
    json: { type: 'boolean', default: false }
  }
})

if ((globalThis as { gc?: unknown }).gc === undefined) {
  const child = spawnSync(process.execPath, ['--expose-gc', ...process.execArgv, ...process.argv.slice(1)], { stdio: 'inherit' })
  process.exit(child.status ?? 1)
}

const positive = (name: string, text: string): number => {
  const n = Number(text)
  if (!Number.isInteger(n) || n < 1) {
    console.error(`soak: --${name} must be a positive integer, got ${text}`)
    process.exit(2)
  }
  return n
}

const json = values.json
const figures = await runSoak({
  connections: positive('connections', values.connections),
  streams: positive('streams', values.streams),
  batch: positive('batch', values.batch),
  payload: positive('payload', values.payload),
  log: json ? undefined : line => { console.log(line) }
})
const problems = leaks(figures, positive('heap-margin-mb', values['heap-margin-mb']) * 1024 * 1024)
if (json) {
  console.log(JSON.stringify({ ...figures, problems }))
} else {
  console.log(`${figures.connections} connections and ${figures.streams} streams in ${figures.seconds.toFixed(1)} s ` +
    `(${(figures.connections / figures.seconds).toFixed(0)} connections/s, ${(figures.streams / figures.seconds).toFixed(0)} streams/s)`)
  console.log(`heap: ${(figures.baseline.heapUsed / 1e6).toFixed(1)} MB → ${(figures.after.heapUsed / 1e6).toFixed(1)} MB ` +
    `(${figures.heapGrowthBytes >= 0 ? '+' : ''}${(figures.heapGrowthBytes / 1e6).toFixed(1)} MB)`)
  console.log(`active resources: ${JSON.stringify(figures.baseline.resources)} → ${JSON.stringify(figures.after.resources)}`)
  console.log(`stop() under load: ${figures.flushedOnStop}/${figures.flushTotal} in-flight echoes completed; left behind: ${figures.leftAfterStop.length === 0 ? 'nothing' : figures.leftAfterStop.join(', ')}`)
  console.log(problems.length === 0 ? 'soak: no leak' : `soak: LEAK\n  ${problems.join('\n  ')}`)
}
process.exitCode = problems.length === 0 ? 0 : 1
