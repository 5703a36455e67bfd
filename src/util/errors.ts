// The one error class of the stack (../shared/DESIGN.md "Errors").
//
// Every error carries a stable string `code` that callers branch on (never on
// the message text), a message saying what was expected and what arrived, and
// the original `cause` when there is one. `remote` tells a peer's protocol
// violation (true) from local misuse (false), as h11 does.

export class P2PError extends Error {
  readonly code: string
  readonly remote: boolean

  constructor (code: string, message: string, options: { cause?: unknown, remote?: boolean } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'P2PError'
    this.code = code
    this.remote = options.remote ?? false
  }
}

/**
 * What an aborted operation rejects with: the signal's reason when it is an
 * Error (a caller's own error, a step's timeout), else ERR_ABORTED with the
 * reason as its cause.
 */
export function abortError (signal?: AbortSignal): Error {
  const reason: unknown = signal?.reason
  if (reason instanceof Error) return reason
  return new P2PError('ERR_ABORTED', 'the operation was aborted', { cause: reason })
}

/** True when `err` is a P2PError with the given code. */
export function isP2PError (err: unknown, code?: string): err is P2PError {
  return err instanceof P2PError && (code === undefined || err.code === code)
}
