// Observes the bytes of a Duplex without changing how it behaves.
//
// Theory of operation: a proxy Duplex in front of the channel would add its
// own buffers and its own backpressure, and could change what the muxer sees.
// Instead we watch this one instance where bytes cross its boundary:
//   in   every chunk the channel hands to its readable side passes push();
//   out  every chunk written reaches _write() (or _writev() for a batch).
// We wrap those three methods on the instance (not the class), call the
// observer first, then the original with the same arguments and return its
// result. Nothing is buffered, delayed or reordered; an observer that throws
// is caught so it can never break the connection.

import type { Duplex } from 'node:stream'
import type { Direction } from './events.js'

export type TapObserver = (direction: Direction, chunk: Uint8Array) => void

type WriteCallback = (err?: Error | null) => void

export function tapDuplex<T extends Duplex> (stream: T, observer: TapObserver): T {
  const safe = (direction: Direction, chunk: unknown): void => {
    if (!(chunk instanceof Uint8Array) || chunk.length === 0) return
    try {
      // a copy: the owner of the chunk may reuse its buffer once it is handed on
      observer(direction, Uint8Array.prototype.slice.call(chunk))
    } catch {}
  }
  const push = stream.push
  stream.push = function (chunk: unknown, encoding?: BufferEncoding): boolean {
    safe('in', chunk)
    return push.call(this, chunk, encoding)
  }
  const write = stream._write
  stream._write = function (chunk: unknown, encoding: BufferEncoding, callback: WriteCallback): void {
    safe('out', chunk)
    write.call(this, chunk, encoding, callback)
  }
  // Writable.prototype._writev is null unless the stream implements it
  const writev = stream._writev as Duplex['_writev'] | null
  if (typeof writev === 'function') {
    stream._writev = function (chunks: Array<{ chunk: unknown, encoding: BufferEncoding }>, callback: WriteCallback): void {
      for (const { chunk } of chunks) safe('out', chunk)
      writev.call(this, chunks, callback)
    }
  }
  return stream
}
