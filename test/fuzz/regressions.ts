// The regression file: each failure `npm run fuzz` found, kept by target
// name, seed and shrink path so fast-check replays exactly that case.

import { readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

export const REGRESSIONS_FILE = fileURLToPath(new URL('./regressions.json', import.meta.url))

export interface RegressionCase {
  target: string
  seed: number
  path: string
  /** The counterexample as fast-check printed it (for humans). */
  counterexample: string
  error: string
  found: string
}

interface RegressionFile {
  source: string
  cases: RegressionCase[]
}

export function readRegressions (): RegressionFile {
  return JSON.parse(readFileSync(REGRESSIONS_FILE, 'utf8')) as RegressionFile
}

export function appendRegression (entry: RegressionCase): void {
  const file = readRegressions()
  if (!file.cases.some(c => c.target === entry.target && c.seed === entry.seed && c.path === entry.path)) file.cases.push(entry)
  writeFileSync(REGRESSIONS_FILE, JSON.stringify(file, null, 2) + '\n')
}
