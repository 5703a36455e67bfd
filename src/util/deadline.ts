// One AbortSignal for a step with a time limit (the upgrade of a
// connection, whose signal reaches every layer of it): it aborts when the
// limit runs out, with the error the step names, or when the caller's signal
// aborts, whichever comes first. Steps that only read (the handshake,
// multistream negotiations) use StreamReader's time limit instead, which
// needs no AbortController at all.
//
// Why not AbortSignal.any([signal, AbortSignal.timeout(ms)]): in Node 20
// that pair costs ~20 µs per use against ~8 µs for one AbortController and a
// timer. It also says only "TimeoutError"; here the step says what did not
// finish in time.

import { P2PError, abortError } from './errors.js'

/** setTimeout's largest delay, 2^31 - 1 ms (about 24.8 days): a longer one fires at once, with a warning. */
export const MAX_TIMER_MS = 2 ** 31 - 1

/**
 * A time limit given as an option: an integer from `min` (0 where 0 means
 * "never") to MAX_TIMER_MS. Throws ERR_INVALID_PARAMETERS naming `name`.
 */
export function checkTimerMs (name: string, ms: number, min: 0 | 1): number {
  if (typeof ms !== 'number' || !Number.isInteger(ms) || ms < min || ms > MAX_TIMER_MS) {
    throw new P2PError('ERR_INVALID_PARAMETERS', `${name} must be an integer in ${min}..${MAX_TIMER_MS} ms${min === 0 ? ' (0: never)' : ''}, got ${String(ms)}`)
  }
  return ms
}

export interface Deadline {
  /** Aborted on timeout (reason: the step's timeout error) or with the caller's signal. */
  readonly signal: AbortSignal
  /** True once the time limit is what aborted `signal`. */
  readonly timedOut: boolean
  /** Stops the timer and detaches from the caller's signal. Call it when the step ends, however it ends. */
  clear: () => void
}

/** Starts the clock: `timeoutError()` is the abort reason when `timeoutMs` runs out first. */
export function startDeadline (timeoutMs: number, timeoutError: () => Error, outer?: AbortSignal): Deadline {
  const controller = new AbortController()
  let timedOut = false
  const timer = setTimeout(() => {
    if (controller.signal.aborted) return
    timedOut = true
    controller.abort(timeoutError())
  }, timeoutMs)
  const onAbort = (): void => { controller.abort(outer?.reason) }
  if (outer?.aborted === true) onAbort()
  else outer?.addEventListener('abort', onAbort, { once: true })
  return {
    signal: controller.signal,
    get timedOut () { return timedOut },
    clear: () => {
      clearTimeout(timer)
      outer?.removeEventListener('abort', onAbort)
    }
  }
}

/**
 * `promise`, or a rejection with abortError(signal) once `signal` aborts
 * first: the caller stops waiting, the work behind `promise` goes on
 * unheeded. `onAbort` runs when the wait ends that way (at once if the
 * signal is already aborted).
 */
export async function untilAborted<T> (promise: Promise<T>, signal: AbortSignal, onAbort?: () => void): Promise<T> {
  if (signal.aborted) {
    onAbort?.()
    throw abortError(signal)
  }
  let listener!: () => void
  const aborted = new Promise<never>((_resolve, reject) => {
    listener = () => {
      onAbort?.()
      reject(abortError(signal))
    }
    signal.addEventListener('abort', listener, { once: true })
  })
  try {
    return await Promise.race([promise, aborted])
  } finally {
    signal.removeEventListener('abort', listener)
  }
}
