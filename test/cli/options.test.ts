// The `p2p` command's input checks and output escaping, as units: counts
// and time limits, the interop test application's environment, `conform
// --only`, and human lines carrying what a peer sent.

import t from 'tap'
import { Writable } from 'node:stream'
import { parseCount, parseTimeoutMs } from '../../src/cli/options.js'
import { createOutput } from '../../src/cli/output.js'
import { printable } from '../../src/util/printable.js'
import { parseInteropConfig } from '../../src/cli/commands/interop.js'
import { runConformance } from '../../src/conform/index.js'
import { MAX_TIMER_MS } from '../../src/util/deadline.js'

t.test('counts are whole numbers in decimal digits, within their range', async t => {
  t.equal(parseCount('12', '-c', 4), 12)
  t.equal(parseCount(undefined, '-c', 4), 4, 'absent: the default')
  for (const bad of ['', ' 1', '0x10', '1e3', '1.5', '-1', '+1', '9007199254740993']) {
    t.throws(() => parseCount(bad, '-c', 4), { code: 'ERR_INVALID_PARAMETERS', message: `-c must be a non-negative integer, got "${bad}"` }, JSON.stringify(bad))
  }
  t.throws(() => parseCount('0', '-c', 4, 1), { message: '-c must be an integer of at least 1, got "0"' })
  t.throws(() => parseCount('11', '-n', 4, 1, 10), { message: '-n must be an integer in 1..10, got "11"' })
})

t.test('time limits are timers Node can set: 1 ms up to 2^31 - 1', async t => {
  t.equal(parseTimeoutMs('1', '--timeout', 5000), 1)
  t.equal(parseTimeoutMs(String(MAX_TIMER_MS), '--timeout', 5000), MAX_TIMER_MS)
  t.throws(() => parseTimeoutMs('0', '--timeout', 5000), { code: 'ERR_INVALID_PARAMETERS', message: `--timeout must be an integer in 1..${MAX_TIMER_MS}, got "0"` })
  t.throws(() => parseTimeoutMs('3000000000', '--timeout', 5000), { code: 'ERR_INVALID_PARAMETERS' }, 'Node would clamp it to 1 ms')
  t.throws(() => parseTimeoutMs('600000000', '--timeout', 5000, Math.floor(MAX_TIMER_MS / 4)), { code: 'ERR_INVALID_PARAMETERS' }, 'conform\'s case limit is four steps')
})

t.test('human lines escape control characters a peer may have sent; JSON records are JSON', async t => {
  t.equal(printable('/proto\n/injected'), '/proto\\n/injected')
  t.equal(printable('agent\x1b]0;title\x07'), 'agent\\x1b]0;title\\x07')
  t.equal(printable('a\rb\x7fc\u009bd\te'), 'a\\rb\\x7fc\\x9bd\te', 'CR, DEL and C1 too; a tab stays')
  t.equal(printable('plain / text: 1.5 ms'), 'plain / text: 1.5 ms')
  let written = ''
  const sink = new Writable({ write (chunk: Buffer, _enc, cb) { written += chunk.toString(); cb() } })
  createOutput(false, sink, sink).line('protocols: /a\n/b')
  createOutput(false, sink, sink).error('p2p ls: ERR_X: "\x1b[2J" refused\nsecond line')
  createOutput(true, sink, sink).record({ agent: 'x\ny' })
  t.equal(written, 'protocols: /a\\n/b\np2p ls: ERR_X: "\\x1b[2J" refused\n{"agent":"x\\ny"}\n', 'one line each')
})

t.test('the interop environment: a malformed Redis address and an impossible timeout are usage errors at once', async t => {
  const base = { is_dialer: 'true', transport: 'tcp', security: 'noise', muxer: 'yamux' }
  for (const redis of ['redis:99999', 'redis:', ':6379', 'redis:port']) {
    t.throws(() => parseInteropConfig({ ...base, REDIS_ADDR: redis }), { code: 'ERR_INVALID_PARAMETERS', message: /Redis address/ }, redis)
  }
  t.equal(parseInteropConfig({ ...base, REDIS_ADDR: 'redis://transport-redis:6380' }).redisAddr, 'redis://transport-redis:6380')
  for (const timeout of ['0.0001', '0', '3000000', 'NaN', 'Infinity']) {
    t.throws(() => parseInteropConfig({ ...base, test_timeout_seconds: timeout }), { code: 'ERR_INVALID_PARAMETERS', message: /test_timeout_seconds/ }, timeout)
  }
  t.equal(parseInteropConfig({ ...base, test_timeout_seconds: '0.5' }).timeoutSeconds, 0.5)
})

t.test('conform --only with a prefix that names no case fails before dialling', async t => {
  await t.rejects(runConformance('/ip4/127.0.0.1/tcp/1', { only: ['yamux', 'yamx'] }), { code: 'ERR_INVALID_PARAMETERS', message: /--only "yamx" names no case \(cases start with: .*yamux/ })
  await t.rejects(runConformance('/ip4/127.0.0.1/tcp/1', { only: [''] }), { code: 'ERR_INVALID_PARAMETERS' }, 'an empty prefix too')
})
