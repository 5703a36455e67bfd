// The short fuzz run of `npm test`: every target with a fixed seed and a
// bounded number of runs (deterministic), then every regression case that
// `npm run fuzz` has recorded, replayed by seed and path.

import t from 'tap'
import fc from 'fast-check'
import { TARGETS } from './targets.js'
import { readRegressions } from './regressions.js'

/** Fixed, so the short run is the same on every machine. */
const SEED = 0x5eed
const SYNC_RUNS = 1_000
const ASYNC_RUNS = 100

for (const target of TARGETS) {
  t.test(`fuzz: ${target.name}`, async t => {
    const numRuns = target.async === true ? ASYNC_RUNS : SYNC_RUNS
    const details = await fc.check(target.property as fc.IAsyncProperty<unknown>, { seed: SEED, numRuns })
    t.notOk(details.failed, details.failed ? fc.defaultReportMessage(details) ?? 'failed' : `${numRuns} cases: only typed errors`)
  })
}

t.test('fuzz regressions replay', async t => {
  const { cases } = readRegressions()
  t.ok(Array.isArray(cases), 'the regression file has a case list')
  for (const c of cases) {
    const target = TARGETS.find(x => x.name === c.target)
    if (target === undefined) {
      t.fail(`regression for unknown target "${c.target}"`)
      continue
    }
    const details = await fc.check(target.property as fc.IAsyncProperty<unknown>, { seed: c.seed, path: c.path, endOnFailure: true })
    t.notOk(details.failed, `${c.target} seed ${c.seed} path ${c.path}: ${details.failed ? String(details.errorInstance) : 'fixed'}`)
  }
})
