// `p2p conform MULTIADDR [--only PREFIX,...] [--timeout MS] [--json]`: checks
// a live libp2p peer over TCP against the specs, case by case (../../conform).
// Prints a table (case, result, what was seen, spec section); with --json one
// object per case and a summary object. Exit code 0 iff every required case
// passed (or was not applicable), 1 otherwise, with ERR_CONFORM_FAILED on
// stderr.

import { parseArgs } from 'node:util'
import type { Output } from '../output.js'
import { parseTimeoutMs, requireTarget } from '../options.js'
import { MAX_TIMER_MS } from '../../util/deadline.js'
import { DEFAULT_CASE_TIMEOUT_MS, DEFAULT_STEP_TIMEOUT_MS, formatHeader, formatRow, formatSummary, runConformance } from '../../conform/index.js'

export async function conformCommand (args: string[], out: Output): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      only: { type: 'string' },
      timeout: { type: 'string' },
      json: { type: 'boolean' }
    }
  })
  const target = requireTarget(positionals, 'p2p conform MULTIADDR [--only PREFIX,...] [--timeout MS] [--json]')
  // a case may take four steps' time: that too must be a timer Node can set
  const stepTimeoutMs = parseTimeoutMs(values.timeout, '--timeout', DEFAULT_STEP_TIMEOUT_MS, Math.floor(MAX_TIMER_MS / 4))
  for (const line of formatHeader(target)) out.line(line)
  const { summary } = await runConformance(target, {
    stepTimeoutMs,
    caseTimeoutMs: Math.max(DEFAULT_CASE_TIMEOUT_MS, 4 * stepTimeoutMs),
    ...(values.only !== undefined ? { only: values.only.split(',').map(s => s.trim()) } : {}),
    onResult: result => {
      for (const line of formatRow(result)) out.line(line)
      out.record({ case: result.id, section: result.section, required: result.required, status: result.status, detail: result.detail, ms: result.ms })
    }
  })
  out.line(formatSummary(summary))
  out.record({ summary: true, ...summary })
  if (summary.ok) return 0
  // the contract: a non-zero exit comes with its one-line error
  out.error(`p2p conform: ERR_CONFORM_FAILED: required cases failed (${summary.failed} failed in all)`)
  return 1
}
