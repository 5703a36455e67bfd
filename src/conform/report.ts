// The prober's human output: one table row per case (case, spec section,
// result, what was seen), then a summary line.

import type { CaseResult, ConformSummary } from './runner.js'

/** Widest "what was seen" column before it is cut. */
const DETAIL_WIDTH = 100

const MARK = { pass: 'pass', fail: 'FAIL', 'n/a': 'n/a' } as const

/**
 * A case's two lines: what was seen, then the spec section. Lines, not one
 * text: what was seen comes from the peer, and the printer escapes any
 * control character in a line, a newline the peer sent included.
 */
export function formatRow (r: CaseResult): [string, string] {
  const status = MARK[r.status] + (r.required ? '' : ' (optional)')
  const detail = r.detail.length > DETAIL_WIDTH ? `${r.detail.slice(0, DETAIL_WIDTH - 3)}...` : r.detail
  return [`${r.id.padEnd(32)} ${status.padEnd(16)} ${detail}`, `${''.padEnd(32)} ${''.padEnd(16)} ${r.section}`]
}

export function formatHeader (target: string): [string, string] {
  return [`conformance of ${target}`, `${'case'.padEnd(32)} ${'result'.padEnd(16)} seen / spec section`]
}

export function formatSummary (s: ConformSummary): string {
  return `${s.passed} passed, ${s.failed} failed, ${s.notApplicable} not applicable: ${s.ok ? 'all required cases passed' : 'REQUIRED CASES FAILED'}`
}
