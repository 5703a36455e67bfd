// Text from peers (protocol IDs, agent versions, multistream messages) on
// its way to a terminal or a log line.

/** Control characters (C0 but tab, DEL, C1): a line break or a terminal escape sequence. */
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/g

/**
 * `text` with every control character written as an escape (`\n`,
 * `\x1b`): one line of output must stay one line, and a peer must not drive
 * the terminal. JSON escapes them already.
 */
export function printable (text: string): string {
  return text.replace(CONTROL, c => c === '\n' ? '\\n' : c === '\r' ? '\\r' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)
}
