import t from 'tap'
import { EventEmitter } from 'node:events'
import { onFirstEvent } from '../../src/util/first-event.js'

t.test('onFirstEvent calls once, on whichever event comes first, then listens no more', async t => {
  const emitter = new EventEmitter()
  let calls = 0
  onFirstEvent(emitter, ['finish', 'close'], () => { calls++ })
  t.equal(emitter.listenerCount('finish') + emitter.listenerCount('close'), 2)
  emitter.emit('close')
  t.equal(calls, 1)
  emitter.emit('finish')
  emitter.emit('close')
  t.equal(calls, 1, 'not again')
  t.equal(emitter.listenerCount('finish') + emitter.listenerCount('close'), 0, 'no listener left')
})
