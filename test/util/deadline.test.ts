// The shared time limit of a step (src/util/deadline.ts): the timeout's own
// error, the caller's signal, and clear() leaving nothing behind.
import t from 'tap'
import { startDeadline } from '../../src/util/deadline.js'

const timeoutError = (): Error => new Error('the step did not finish in time')

t.test('the time limit aborts with the step\'s own error and says so', async t => {
  const deadline = startDeadline(20, timeoutError)
  t.equal(deadline.signal.aborted, false)
  await new Promise<void>(resolve => { deadline.signal.addEventListener('abort', () => { resolve() }) })
  t.equal(deadline.timedOut, true)
  t.equal((deadline.signal.reason as Error).message, 'the step did not finish in time')
  deadline.clear()
})

t.test('the caller\'s signal aborts with its own reason, and that is no timeout, even once the timer fires', async t => {
  const outer = new AbortController()
  const deadline = startDeadline(10, timeoutError, outer.signal)
  const reason = new Error('the caller gave up')
  outer.abort(reason)
  t.equal(deadline.signal.aborted, true)
  t.equal(deadline.signal.reason, reason)
  await new Promise(resolve => setTimeout(resolve, 30))
  t.equal(deadline.signal.reason, reason, 'the timer coming later changes nothing')
  t.equal(deadline.timedOut, false)
  deadline.clear()
})

t.test('an already aborted caller\'s signal aborts at once', async t => {
  const reason = new Error('aborted before the step began')
  const deadline = startDeadline(10_000, timeoutError, AbortSignal.abort(reason))
  t.equal(deadline.signal.reason, reason)
  deadline.clear()
})

t.test('clear() stops the timer and detaches from the caller\'s signal', async t => {
  const outer = new AbortController()
  const deadline = startDeadline(10, timeoutError, outer.signal)
  deadline.clear()
  await new Promise(resolve => setTimeout(resolve, 30))
  t.equal(deadline.signal.aborted, false, 'no timeout after clear()')
  outer.abort(new Error('late'))
  t.equal(deadline.signal.aborted, false, 'the caller\'s signal no longer reaches it')
})
