// Runs the conformance cases one after another against one peer, each with a
// deadline: a case that has not finished by then fails with "timed out", and
// its AbortSignal tears down every connection it opened. An error thrown by a
// case (the peer hung up, sent garbage, answered something unexpected) is a
// failure whose detail is the error's message.

import { P2PError, isP2PError } from '../util/errors.js'
import { generateKeyPair, type PrivateKey } from '../peer/index.js'
import { parseTarget, type Dialer } from './connect.js'
import type { CaseOutcome, CaseStatus, ConformCase } from './case.js'
import { multistreamCases } from './cases/multistream.js'
import { noiseCases } from './cases/noise.js'
import { yamuxCases } from './cases/yamux.js'
import { mplexCases } from './cases/mplex.js'
import { protocolCases } from './cases/protocols.js'

/** Every case, in the order they run (bottom layer first). */
export const ALL_CASES: readonly ConformCase[] = [...multistreamCases, ...noiseCases, ...yamuxCases, ...mplexCases, ...protocolCases]

/** Default deadline of one wait for the peer: generous for loopback and LAN, short enough for a silent peer. */
export const DEFAULT_STEP_TIMEOUT_MS = 3000

/** Default deadline of a whole case (a few waits plus the window case's 320 KiB). */
export const DEFAULT_CASE_TIMEOUT_MS = 10_000

export interface CaseResult {
  id: string
  section: string
  required: boolean
  status: CaseStatus
  detail: string
  ms: number
}

export interface ConformSummary {
  target: string
  passed: number
  failed: number
  notApplicable: number
  /** True iff every required case passed or was not applicable. */
  ok: boolean
}

export interface ConformOptions {
  privateKey?: PrivateKey
  stepTimeoutMs?: number
  caseTimeoutMs?: number
  /** Run only the cases whose id starts with one of these prefixes. */
  only?: string[]
  /** Called as each case finishes. */
  onResult?: (result: CaseResult) => void
}

export async function runConformance (target: string, options: ConformOptions = {}): Promise<{ results: CaseResult[], summary: ConformSummary }> {
  const parsed = parseTarget(target)
  const privateKey = options.privateKey ?? generateKeyPair('Ed25519')
  const stepTimeoutMs = options.stepTimeoutMs ?? DEFAULT_STEP_TIMEOUT_MS
  const caseTimeoutMs = options.caseTimeoutMs ?? DEFAULT_CASE_TIMEOUT_MS
  const only = options.only
  // a prefix that names no case is a typo: running fewer cases than asked
  // for and calling the peer conformant would mislead whoever asked
  const unknown = only?.filter(prefix => prefix === '' || !ALL_CASES.some(c => c.id.startsWith(prefix))) ?? []
  if (unknown.length > 0) {
    throw new P2PError('ERR_INVALID_PARAMETERS', `--only ${unknown.map(p => `"${p}"`).join(', ')} names no case (cases start with: ${[...new Set(ALL_CASES.map(c => c.id.split('.')[0]))].join(', ')})`)
  }
  const cases = ALL_CASES.filter(c => only === undefined || only.some(prefix => c.id.startsWith(prefix)))
  const results: CaseResult[] = []
  for (const c of cases) {
    const controller = new AbortController()
    const dialer: Dialer = { target: parsed, privateKey, signal: controller.signal, stepTimeoutMs }
    const start = performance.now()
    const outcome = await runOne(c, dialer, controller, caseTimeoutMs)
    const result: CaseResult = { id: c.id, section: c.section, required: c.required, status: outcome.status, detail: outcome.detail, ms: Math.round(performance.now() - start) }
    results.push(result)
    options.onResult?.(result)
  }
  const count = (status: CaseStatus): number => results.filter(r => r.status === status).length
  return {
    results,
    summary: {
      target,
      passed: count('pass'),
      failed: count('fail'),
      notApplicable: count('n/a'),
      ok: results.every(r => !r.required || r.status !== 'fail')
    }
  }
}

async function runOne (c: ConformCase, dialer: Dialer, controller: AbortController, timeoutMs: number): Promise<CaseOutcome> {
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<CaseOutcome>(resolve => {
    timer = setTimeout(() => { resolve({ status: 'fail', detail: `timed out after ${timeoutMs} ms` }) }, timeoutMs)
  })
  const running = c.run(dialer).catch((err: unknown): CaseOutcome => {
    const code = isP2PError(err) ? `${err.code}: ` : ''
    return { status: 'fail', detail: `${code}${(err as Error).message}` }
  })
  try {
    return await Promise.race([running, deadline])
  } finally {
    clearTimeout(timer)
    // every socket the case opened is destroyed, whether it finished or not
    controller.abort(new Error(`case ${c.id} finished`))
  }
}
