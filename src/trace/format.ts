// Formats trace events: one line of text for humans (colours on a TTY,
// relative timestamps), or one JSON object per line for machines.
//
// Theory of operation: every event belongs to one layer (`layerOf`); a human
// line is
//
//   +   1.234ms #1 noise       -> message 1 [-> e] 34 bytes, payload: empty
//   time since start, connection, layer, our direction (-> sent, <- received), what
//
// and the JSON form is the event itself plus its layer. Both are pure
// functions of the event, so tests compare exact strings.

import type { TraceEvent, Layer, Direction } from './events.js'
import { printable } from '../util/printable.js'

export interface FormatOptions {
  /** ANSI colours (for a TTY). */
  color?: boolean
}

/** The layer an event belongs to. */
export function layerOf (event: TraceEvent): Layer {
  switch (event.type) {
    case 'tcp:connect':
    case 'tcp:close':
      return 'tcp'
    case 'multistream': return 'multistream'
    case 'noise:message':
    case 'noise:identity':
      return 'noise'
    case 'muxer:selected': return 'muxer'
    case 'yamux:frame': return 'yamux'
    case 'mplex:frame': return 'mplex'
    case 'app:data': return 'app'
    case 'trace:undecodable': return 'trace'
    default: return unreachable(event)
  }
}

/** The JSON form: the event, its layer, `t` rounded to microseconds. */
export function toRecord (event: TraceEvent): Record<string, unknown> {
  return { ...event, t: round(event.t), layer: layerOf(event) }
}

/** One JSON object (one line, no newline). */
export function formatJson (event: TraceEvent): string {
  return JSON.stringify(toRecord(event))
}

const ANSI = {
  reset: '\u001b[0m',
  dim: '\u001b[2m',
  bold: '\u001b[1m',
  red: '\u001b[31m',
  green: '\u001b[32m',
  yellow: '\u001b[33m',
  blue: '\u001b[34m',
  magenta: '\u001b[35m',
  cyan: '\u001b[36m'
} as const

const LAYER_COLOR: Record<Layer, keyof typeof ANSI> = {
  tcp: 'yellow',
  multistream: 'magenta',
  noise: 'cyan',
  muxer: 'blue',
  yamux: 'blue',
  mplex: 'blue',
  app: 'green',
  trace: 'red'
}

/** Width of the layer column: the longest layer name. */
const LAYER_WIDTH = 'multistream'.length

/** One human line. */
export function formatText (event: TraceEvent, options: FormatOptions = {}): string {
  const paint = (color: keyof typeof ANSI, text: string): string => options.color === true ? `${ANSI[color]}${text}${ANSI.reset}` : text
  const time = paint('dim', `+${event.t.toFixed(3).padStart(9)}ms`)
  const layer = layerOf(event)
  const arrow = 'direction' in event ? arrowOf(event.direction) : '  '
  // what the event says holds text peers sent: escaped, so that only our colours reach the terminal
  return `${time} ${paint('dim', `#${event.connection}`)} ${paint(LAYER_COLOR[layer], layer.padEnd(LAYER_WIDTH))} ${paint('bold', arrow)} ${printable(describe(event))}`
}

function arrowOf (direction: Direction): string {
  return direction === 'out' ? '->' : '<-'
}

/** What the event says, in words. */
export function describe (event: TraceEvent): string {
  switch (event.type) {
    case 'tcp:connect':
      return event.role === 'dialer'
        ? `connected ${event.localAddr} -> ${event.remoteAddr} (we dialled)`
        : `accepted ${event.remoteAddr} on ${event.localAddr}`
    case 'tcp:close':
      return 'connection closed'
    case 'multistream': {
      const where = event.scope === 'connection' ? '' : event.scope === 'secure' ? '(encrypted) ' : `stream ${event.streamId ?? '?'}: `
      const size = event.size === undefined ? '' : ` (${event.size} bytes)`
      const list = event.protocols === undefined ? '' : ` ${event.protocols.join(' ')}`
      return `${where}${event.message}${size}${list}`
    }
    case 'noise:message':
      return `message ${event.index + 1} [${event.tokens}] ${event.size} bytes, payload: ${event.payload}`
    case 'noise:identity': {
      const whose = event.side === 'remote' ? 'remote identity' : 'our identity'
      const check = event.side === 'remote' ? (event.signatureVerified ? ', signature over its Noise static key verified' : ', signature NOT verified') : ''
      const muxers = event.streamMuxers.length > 0 ? `, extensions: stream_muxers [${event.streamMuxers.join(', ')}]` : ', no extensions'
      return `${whose}: ${event.keyType} key, peer ${event.peerId}${check}${muxers}`
    }
    case 'muxer:selected':
      return `muxer ${event.protocol} (${event.how === 'inlined' ? 'inlined in the Noise handshake' : 'negotiated with multistream-select'})`
    case 'yamux:frame': {
      const flags = event.flags.length > 0 ? event.flags.join('|') : '0'
      return `${event.frame} flags=${flags} stream=${event.streamId} ${yamuxLengthName(event.frame)}=${event.length}`
    }
    case 'mplex:frame': {
      const name = event.name === undefined ? '' : ` name=${JSON.stringify(event.name)}`
      return `${event.frame} stream=${event.streamId} (${event.opener === 'local' ? 'ours' : 'theirs'}) length=${event.length}${name}`
    }
    case 'app:data': {
      const more = event.length > event.preview.length / 2 ? '…' : ''
      return `stream ${event.streamId}${event.protocol === undefined ? '' : ` ${event.protocol}`}${event.late === true ? ' (late: the stream had ended)' : ''}: ${event.length} bytes ${event.preview}${more}`
    }
    case 'trace:undecodable':
      return `cannot follow the bytes any more: ${event.reason}`
    default:
      return unreachable(event)
  }
}

/** spec.md "Header": the Length field means something else per type. */
function yamuxLengthName (frame: string): string {
  switch (frame) {
    case 'Window Update': return 'delta'
    case 'Ping': return 'opaque'
    case 'Go Away': return 'code'
    default: return 'length'
  }
}

function round (t: number): number {
  return Math.round(t * 1000) / 1000
}

function unreachable (value: never): never {
  throw new Error(`unreachable: ${JSON.stringify(value)}`)
}
