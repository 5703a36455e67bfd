// Emitting an event to the application from inside our own I/O handling (a
// connection's 'close', a frame being read, an upgrade settling).
//
// Node's EventEmitter lets a listener's exception escape emit(). Escaping
// there, it would cut short what we were doing (the books of a connection
// that closed, the other 'close' listeners that resolve hangUp() and
// stop(), the frames after it in the same read) or be taken for a failure
// of the connection itself. So the exception is thrown again on its own,
// once our handling is over, where it is uncaught: as a throwing listener
// of an event Node emits from I/O would be. Node itself stops calling that
// event's later listeners when one throws; so does this.

import type { EventEmitter } from 'node:events'

/** Emits `event`; false when a listener threw (its exception is thrown again, uncaught, on the next tick). */
export function emitFromIo (emitter: EventEmitter, event: string, ...args: unknown[]): boolean {
  try {
    emitter.emit(event, ...args)
    return true
  } catch (err) {
    throwUncaught(err)
    return false
  }
}

/** Throws `err` again on the next tick, outside whatever caught it: uncaught. */
export function throwUncaught (err: unknown): void {
  process.nextTick(() => { throw err })
}

/**
 * What a muxer does when handing a stream what arrived for it ran the
 * application's code, and that threw: a 'data' listener, which Node calls
 * from inside push(), or a 'readable' listener at the end of the data,
 * inside push(null); both inside our input handling. The bug is the
 * application's, on that stream: the stream is reset, the session and its
 * other streams go on, and the exception is thrown again, uncaught.
 */
export function resetForListener (stream: { destroy: () => void }, err: unknown): void {
  stream.destroy()
  throwUncaught(err)
}
