// `npm run fuzz [RUNS]`: the long fuzz run. Every target (or only those whose
// name contains FUZZ_TARGET) runs RUNS cases (argument, or FUZZ_RUNS, default
// 10,000; session targets a tenth of it) from a fresh seed (or FUZZ_SEED).
// A failure is printed and kept in ./regressions.json, which the short run in
// `npm test` replays; the exit code is 1 when anything failed.

import fc from 'fast-check'
import { TARGETS } from './targets.js'
import { appendRegression } from './regressions.js'

const runs = Number(process.argv[2] ?? process.env.FUZZ_RUNS ?? 10_000)
const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 0x7fffffff)
const only = process.env.FUZZ_TARGET
if (!Number.isInteger(runs) || runs < 1) {
  console.error(`fuzz: expected a positive run count, got ${process.argv[2] ?? process.env.FUZZ_RUNS}`)
  process.exit(2)
}

// an exception escaping a session's event handlers would otherwise end the run without a record
const escaped: unknown[] = []
process.on('uncaughtException', err => { escaped.push(err) })
process.on('unhandledRejection', err => { escaped.push(err) })

let failures = 0
console.log(`fuzz: seed ${seed}, ${runs} runs per target`)
for (const target of TARGETS) {
  if (only !== undefined && !target.name.includes(only)) continue
  const numRuns = target.async === true ? Math.max(1, Math.floor(runs / 10)) : runs
  const started = performance.now()
  const details = await fc.check(target.property as fc.IAsyncProperty<unknown>, { seed, numRuns })
  const ms = (performance.now() - started).toFixed(0)
  if (details.failed || escaped.length > 0) {
    failures++
    const error = details.failed ? String(details.errorInstance) : `escaped: ${escaped.map(String).join('; ')}`
    console.log(`FAIL ${target.name} (${ms} ms): ${error}`)
    if (details.failed) {
      console.log(fc.defaultReportMessage(details))
      appendRegression({
        target: target.name,
        seed: details.seed,
        path: details.counterexamplePath ?? '',
        counterexample: fc.stringify(details.counterexample),
        error,
        found: new Date().toISOString()
      })
    }
    escaped.length = 0
  } else {
    console.log(`ok   ${target.name}: ${numRuns} cases in ${ms} ms`)
  }
}
console.log(failures === 0 ? 'fuzz: no failure' : `fuzz: ${failures} target(s) failed; recorded in test/fuzz/regressions.json`)
process.exitCode = failures === 0 ? 0 : 1
