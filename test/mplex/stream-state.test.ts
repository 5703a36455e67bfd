import t from 'tap'
import { StreamEvent, StreamState, isFinished, nextState } from '../../src/mplex/index.js'

t.test('the stream lifecycle table (mplex/README.md "Closing a stream", "Resetting a stream")', async t => {
  // half-close in either order ends in Closed
  t.equal(nextState('Open', 'sendClose'), 'LocalClosed')
  t.equal(nextState('LocalClosed', 'receiveClose'), 'Closed')
  t.equal(nextState('Open', 'receiveClose'), 'RemoteClosed')
  t.equal(nextState('RemoteClosed', 'sendClose'), 'Closed')
  // "allows writing in the other direction"
  t.equal(nextState('LocalClosed', 'receiveMessage'), 'LocalClosed')
  t.equal(nextState('RemoteClosed', 'sendMessage'), 'RemoteClosed')
  // "Writing to a stream after it has been closed should result in an error"
  t.equal(nextState('LocalClosed', 'sendMessage'), undefined)
  t.equal(nextState('RemoteClosed', 'receiveMessage'), undefined)
  t.equal(nextState('RemoteClosed', 'receiveClose'), undefined)
  // reset from every live state, in both directions
  for (const s of ['Open', 'LocalClosed', 'RemoteClosed'] as const) {
    t.equal(nextState(s, 'sendReset'), 'Reset')
    t.equal(nextState(s, 'receiveReset'), 'Reset')
    t.notOk(isFinished(s))
  }
  // final states accept nothing
  for (const s of ['Closed', 'Reset'] as const) {
    t.ok(isFinished(s))
    for (const e of Object.values(StreamEvent)) t.equal(nextState(s, e), undefined, `${s} + ${e}`)
  }
  t.same(Object.values(StreamState), ['Open', 'LocalClosed', 'RemoteClosed', 'Closed', 'Reset'])
})
