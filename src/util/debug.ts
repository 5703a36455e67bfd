// Debug logging behind the DEBUG environment variable, in the Node
// ecosystem's convention (the `debug` package): namespaces such as
// `p2p:noise`, enabled by a comma- or space-separated list of patterns where
// `*` matches anything and a leading `-` excludes, e.g.
//
//   DEBUG=p2p:*            every layer
//   DEBUG=p2p:*,-p2p:app   every layer but application-data summaries
//
// Off by default. A disabled logger is a no-op function whose
// `enabled` is false, so `if (log.enabled) log(...)` costs one property read
// and builds no strings. Lines go to stderr as `<namespace> <message> +<ms>`.
// Nothing here knows about keys: callers pass only what may be printed, and
// the Noise keys are never passed (src/trace/keylog.ts is their only sink).

export interface Debugger {
  (message: string): void
  readonly enabled: boolean
  readonly namespace: string
}

interface Pattern {
  readonly regex: RegExp
  readonly exclude: boolean
}

/** Parses a DEBUG value into include/exclude patterns. */
export function parseDebugPatterns (value: string | undefined): Pattern[] {
  if (value === undefined) return []
  return value.split(/[\s,]+/).filter(p => p.length > 0).map(p => {
    const exclude = p.startsWith('-')
    const body = exclude ? p.slice(1) : p
    const source = body.split('*').map(part => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')
    return { regex: new RegExp(`^${source}$`), exclude }
  })
}

/** True when `namespace` is enabled by `value` (default: process.env.DEBUG). */
export function isDebugEnabled (namespace: string, value: string | undefined = process.env.DEBUG): boolean {
  const patterns = parseDebugPatterns(value)
  if (patterns.some(p => p.exclude && p.regex.test(namespace))) return false
  return patterns.some(p => !p.exclude && p.regex.test(namespace))
}

export interface DebugOptions {
  /** Default: process.env.DEBUG, read when the logger is created. */
  env?: string
  /** Default: process.stderr. */
  write?: (line: string) => void
  /** Default: Date.now. */
  now?: () => number
}

/** A logger for `namespace`; a no-op unless DEBUG enables it. */
export function debug (namespace: string, options: DebugOptions = {}): Debugger {
  if (!isDebugEnabled(namespace, 'env' in options ? options.env : process.env.DEBUG)) {
    return Object.assign(noop.bind(null), { enabled: false, namespace })
  }
  const write = options.write ?? ((line: string) => { process.stderr.write(line) })
  const now = options.now ?? Date.now
  let last: number | undefined
  const log = (message: string): void => {
    const t = now()
    const delta = last === undefined ? 0 : t - last
    last = t
    write(`${namespace} ${message} +${delta}ms\n`)
  }
  return Object.assign(log, { enabled: true, namespace })
}

function noop (_message: string): void {}
