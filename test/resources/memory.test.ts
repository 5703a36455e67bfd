// Memory accounts (src/resources/memory.ts) on their own and through the
// ResourceManager: a reservation fits in the connection's budget and in the
// node's total or is refused (counted, nothing reserved); release gives back
// to both; close() gives back the rest once and makes the account inert.

import t from 'tap'
import { DEFAULT_RESOURCE_LIMITS, LIMIT_NAMES, MemoryTotal, ResourceManager, resolveLimits, type MemoryLimitName } from '../../src/resources/index.js'

const KiB = 1024
const MiB = 1024 * KiB

t.test('defaults: 1024 initial yamux windows per connection, 1 GiB in total', async t => {
  t.equal(DEFAULT_RESOURCE_LIMITS.maxConnectionBufferBytes, 256 * MiB)
  t.equal(DEFAULT_RESOURCE_LIMITS.maxConnectionBufferBytes, DEFAULT_RESOURCE_LIMITS.maxStreamsPerConnection * 256 * KiB,
    'the default never refuses a stream at its initial window')
  t.equal(DEFAULT_RESOURCE_LIMITS.maxBufferBytes, 1024 * MiB)
  t.ok(LIMIT_NAMES.includes('maxConnectionBufferBytes') && LIMIT_NAMES.includes('maxBufferBytes'), 'both are refusal metrics')
})

t.test('the memory limits are validated: each leaves room for one 1 MiB mplex message', async t => {
  t.throws(() => resolveLimits({ maxConnectionBufferBytes: MiB - 1 }), { code: 'ERR_INVALID_PARAMETERS', message: /maxConnectionBufferBytes must be ≥ 1048576/ })
  t.throws(() => resolveLimits({ maxBufferBytes: 4096 }), { code: 'ERR_INVALID_PARAMETERS', message: /maxBufferBytes/ })
  t.throws(() => resolveLimits({ maxBufferBytes: 2.5 * MiB + 0.5 }), { code: 'ERR_INVALID_PARAMETERS' })
  t.equal(resolveLimits({ maxConnectionBufferBytes: MiB }).maxConnectionBufferBytes, MiB)
})

t.test('an account: fits, refuses over its own limit, releases, counts refusals', async t => {
  const refused: MemoryLimitName[] = []
  const total = new MemoryTotal(100, limit => { refused.push(limit) })
  const account = total.openAccount(10)
  t.equal(account.reserve(6), true)
  t.equal(account.reserve(4), true, 'exactly up to the limit')
  t.equal(account.reserve(1), false, 'one byte over')
  t.same(refused, ['maxConnectionBufferBytes'])
  t.equal(account.reserved, 10, 'a refusal reserves nothing')
  t.equal(total.reserved, 10)
  account.release(6)
  t.equal(account.reserved, 4)
  t.equal(total.reserved, 4, 'released from the total too')
  t.equal(account.reserve(6), true, 'room again')
  t.equal(account.reserve(0), true, 'zero always fits')
  t.equal(account.reserve(-5), false, 'a negative reservation is refused, not a release')
  t.equal(account.reserve(Number.NaN), false)
  t.equal(account.reserved, 10)
  t.same(refused, ['maxConnectionBufferBytes'], 'invalid arguments are not counted as refusals')
})

t.test('the total: a reservation must fit in both budgets; totals add up across connections', async t => {
  const refused: MemoryLimitName[] = []
  const total = new MemoryTotal(25, limit => { refused.push(limit) })
  const a = total.openAccount(10)
  const b = total.openAccount(10)
  const c = total.openAccount(10)
  t.ok(a.reserve(10))
  t.ok(b.reserve(10))
  t.equal(total.reserved, 20)
  t.ok(c.reserve(5))
  t.notOk(c.reserve(1), 'c has room of its own, the total has none')
  t.same(refused, ['maxBufferBytes'])
  t.equal(c.reserved, 5, 'a refusal by the total reserves nothing in the account either')
  a.release(3)
  t.ok(c.reserve(3), 'what a gave back, c may take')
  t.equal(total.reserved, 25)
  t.equal(a.reserved + b.reserved + c.reserved, total.reserved, 'the total is the sum of the accounts')
})

t.test('release and close give back exactly once', async t => {
  const total = new MemoryTotal(100, () => {})
  const a = total.openAccount(50)
  const b = total.openAccount(50)
  a.reserve(30)
  b.reserve(20)
  a.release(40)
  t.equal(a.reserved, 0, 'releasing more than is held stops at zero')
  t.equal(total.reserved, 20, 'and lends nothing to the others through the total')
  a.reserve(30)
  a.close()
  t.equal(a.reserved, 0, 'close gives back everything still held')
  t.equal(total.reserved, 20)
  a.close()
  a.release(30)
  t.equal(total.reserved, 20, 'a second close, or a stream releasing after the connection closed, changes nothing')
  t.notOk(a.reserve(1), 'a closed account reserves nothing')
  t.equal(total.reserved, 20)
  b.close()
  t.equal(total.reserved, 0)
})

t.test('through the ResourceManager: one account per connection, usage and metrics', async t => {
  const rm = new ResourceManager({ limits: { maxConnectionBufferBytes: 2 * MiB, maxBufferBytes: 3 * MiB } })
  const c1 = rm.openConnectionMemory()
  const c2 = rm.openConnectionMemory()
  t.ok(c1.reserve(2 * MiB))
  t.notOk(c1.reserve(1))
  t.ok(c2.reserve(MiB))
  t.notOk(c2.reserve(1))
  t.equal(rm.usage().bufferBytes, 3 * MiB)
  t.equal(rm.metrics.refused.maxConnectionBufferBytes, 1)
  t.equal(rm.metrics.refused.maxBufferBytes, 1)
  t.equal(rm.metrics.refusedStreams + rm.metrics.refusedConnections, 0, 'a refused reservation is neither a refused stream nor a connection by itself')
  rm.refuseAll()
  c1.release(MiB)
  t.ok(c2.reserve(MiB), 'memory is not refused while stopping: streams still finish')
  c1.close()
  c2.close()
  t.equal(rm.usage().bufferBytes, 0)
})
