// Where trace events go: a text sink for humans, a JSON-lines sink for
// machines, and a DEBUG sink that routes each layer to its own `p2p:<layer>`
// namespace (src/util/debug.ts).

import type { TraceEvent } from './events.js'
import { formatJson, formatText, layerOf, describe } from './format.js'
import { debug, type Debugger } from '../util/debug.js'
import { printable } from '../util/printable.js'

export type TraceSink = (event: TraceEvent) => void

/** Human lines through `write` (e.g. process.stdout); colours when asked (a TTY). */
export function textSink (write: (line: string) => void, options: { color?: boolean } = {}): TraceSink {
  return event => { write(`${formatText(event, options)}\n`) }
}

/** One JSON object per line through `write`. */
export function jsonSink (write: (line: string) => void): TraceSink {
  return event => { write(`${formatJson(event)}\n`) }
}

/** Each event to the debug namespace `p2p:<layer>` (printed only when DEBUG enables it). */
export function debugSink (): TraceSink {
  const loggers = new Map<string, Debugger>()
  return event => {
    const namespace = `p2p:${layerOf(event)}`
    let log = loggers.get(namespace)
    if (log === undefined) {
      log = debug(namespace)
      loggers.set(namespace, log)
    }
    if (log.enabled) log(`#${event.connection} ${'direction' in event ? (event.direction === 'out' ? '-> ' : '<- ') : ''}${printable(describe(event))}`)
  }
}

/** Events collected in memory (tests, and `--json` post-processing). */
export function memorySink (events: TraceEvent[]): TraceSink {
  return event => { events.push(event) }
}
