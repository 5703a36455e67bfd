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
    process.nextTick(() => { throw err })
    return false
  }
}
