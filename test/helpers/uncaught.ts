// For tests of code that throws an application's exception again on its own
// (src/util/emit-from-io.ts): the exceptions that reach the process
// uncaught during one test, instead of tap's handler failing the run.

import type { Test } from 'tap'

/** The uncaught exceptions from now until the test ends (tap's own handlers are set aside meanwhile). */
export function catchUncaught (t: Test): unknown[] {
  const uncaught: unknown[] = []
  const saved = process.listeners('uncaughtException')
  const onUncaught = (err: unknown): void => { uncaught.push(err) }
  process.removeAllListeners('uncaughtException')
  process.on('uncaughtException', onUncaught)
  t.teardown(() => {
    process.off('uncaughtException', onUncaught)
    for (const listener of saved) process.on('uncaughtException', listener)
  })
  return uncaught
}
