// Output of the `p2p` command (../shared/DESIGN.md "The p2p command"):
// human-readable lines by default; with --json exactly one JSON object per
// line on stdout, for machines. Errors are one line on stderr.

import type { Writable } from 'node:stream'
import { printable } from '../util/printable.js'

export interface Output {
  readonly json: boolean
  /** A human line (suppressed in JSON mode); control characters in it are escaped (../util/printable.ts). */
  line: (text: string) => void
  /** A human line whose control characters are our own styling (ANSI colours); what came from peers in it is printable() already. */
  styledLine: (text: string) => void
  /** A JSON record (suppressed in human mode). */
  record: (value: Record<string, unknown>) => void
  error: (text: string) => void
}

export function createOutput (json: boolean, stdout: Writable = process.stdout, stderr: Writable = process.stderr): Output {
  return {
    json,
    line: text => { if (!json) stdout.write(`${printable(text)}\n`) },
    styledLine: text => { if (!json) stdout.write(`${text}\n`) },
    record: value => { if (json) stdout.write(`${JSON.stringify(value)}\n`) },
    error: text => { stderr.write(`${printable(text.split('\n')[0] ?? '')}\n`) }
  }
}
