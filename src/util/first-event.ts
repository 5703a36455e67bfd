// Waiting for whichever of several events comes first (Node's events.once
// takes one event; a stream that may 'finish' or 'close', a process that may
// get SIGINT or SIGTERM, needs either).

import type { EventEmitter } from 'node:events'

/** Calls `listener` once, on the first of `events`, and stops listening for all of them. */
export function onFirstEvent (emitter: EventEmitter, events: readonly string[], listener: () => void): void {
  const done = (): void => {
    for (const event of events) emitter.off(event, done)
    listener()
  }
  for (const event of events) emitter.on(event, done)
}
