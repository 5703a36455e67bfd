// What a conformance case is: a small async function against a live peer that
// returns pass, fail or not applicable with what it saw. The runner
// (./runner.ts) gives each case a fresh context, a deadline and an
// AbortSignal that tears down every connection the case opened.

import type { Dialer } from './connect.js'

export type CaseStatus = 'pass' | 'fail' | 'n/a'

export interface CaseOutcome {
  status: CaseStatus
  /** What was seen: on failure, what the peer did instead of what the spec says. */
  detail: string
}

export interface ConformCase {
  /** Stable identifier, `layer.behaviour`. */
  readonly id: string
  /** The spec and section the case checks. */
  readonly section: string
  /** Required cases decide the exit code; the others are reported only. */
  readonly required: boolean
  readonly run: (ctx: Dialer) => Promise<CaseOutcome>
}

export const pass = (detail = ''): CaseOutcome => ({ status: 'pass', detail })
export const fail = (detail: string): CaseOutcome => ({ status: 'fail', detail })
export const notApplicable = (detail: string): CaseOutcome => ({ status: 'n/a', detail })
