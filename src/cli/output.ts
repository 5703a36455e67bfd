// Output of the `p2p` command (../shared/DESIGN.md "The p2p command"):
// human-readable lines by default; with --json exactly one JSON object per
// line on stdout, for machines. Errors are one line on stderr.

import type { Writable } from 'node:stream'

export interface Output {
  readonly json: boolean
  /** A human line (suppressed in JSON mode). */
  line: (text: string) => void
  /** A JSON record (suppressed in human mode). */
  record: (value: Record<string, unknown>) => void
  error: (text: string) => void
}

export function createOutput (json: boolean, stdout: Writable = process.stdout, stderr: Writable = process.stderr): Output {
  return {
    json,
    line: text => { if (!json) stdout.write(`${printable(text)}\n`) },
    record: value => { if (json) stdout.write(`${JSON.stringify(value)}\n`) },
    error: text => { stderr.write(`${printable(text.split('\n')[0] ?? '')}\n`) }
  }
}

/** Control characters (C0 but tab, DEL, C1): a line break or a terminal escape sequence. */
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/g

/**
 * `text` with every control character written as an escape (`\n`,
 * `\x1b`): human lines carry what peers sent (protocol IDs, agent versions,
 * multistream messages), and one of those must neither split a line nor
 * drive the terminal. JSON records escape them already.
 */
export function printable (text: string): string {
  return text.replace(CONTROL, c => c === '\n' ? '\\n' : c === '\r' ? '\\r' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)
}
