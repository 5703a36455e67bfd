import t from 'tap'
import { P2PError, isP2PError } from '../../src/util/errors.js'

t.test('P2PError keeps code, cause and side', async t => {
  const cause = new Error('inner')
  const err = new P2PError('ERR_X', 'expected a, got b', { cause, remote: true })
  t.equal(err.code, 'ERR_X')
  t.equal(err.cause, cause)
  t.equal(err.remote, true)
  t.ok(isP2PError(err, 'ERR_X'))
  t.notOk(isP2PError(err, 'ERR_Y'))
  t.notOk(isP2PError(new Error('x')))
})
