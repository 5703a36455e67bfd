// The messages between the runner and its worker processes (over the
// child_process IPC channel): a request names an operation, the reply
// carries its result or an error message. One request at a time per worker.

import type { MuxerName, StackName } from './stack.js'
import type { RawKind } from './raw.js'

export type Request =
  | { op: 'listen', stack: StackName, muxer: MuxerName }
  | { op: 'connectionCount' }
  | { op: 'memory' }
  | { op: 'client', stack: StackName, muxer: MuxerName, identities?: number }
  | { op: 'perf', addr: string, up: number, down: number }
  | { op: 'dialPing', addr: string, count: number }
  | { op: 'openIdle', addr: string, count: number }
  | { op: 'streams', addr: string, count: number, size: number }
  | { op: 'proxy', host: string, port: number, delayMs: number }
  | { op: 'rawListen', kind: RawKind }
  | { op: 'rawSend', port: number, bytes: number, kind: RawKind }
  | { op: 'maxRss' }
  | { op: 'cpu' }
  | { op: 'reset' }
  | { op: 'exit' }

export interface Envelope { id: number, request: Request }

export type Reply = { id: number, ok: true, result: unknown } | { id: number, ok: false, error: string }

/** What 'memory' answers: after two forced garbage collections. */
export interface MemorySample { rss: number, heapUsed: number, heapTotal: number }
