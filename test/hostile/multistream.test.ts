// Hostile peers before the handshake: the connection-level multistream-select
// negotiation of '/noise' (multiformats/multistream-select README.md).
// Each attack must end in a typed upgrade error and a closed socket, while a
// good peer keeps being served and nothing escapes to the process.

import t from 'tap'
import { isP2PError } from '../../src/util/errors.js'
import { encodeMessage, encodeMessages, MAX_PROPOSALS, MULTISTREAM_PROTOCOL_ID } from '../../src/multistream/index.js'
import { encodeUvarint } from '../../src/util/varint.js'
import {
  assertNothingEscaped, closed, connectRaw, goodPing, guardProcess, nextUpgradeError, pseudoRandomBytes, sleep, startTarget
} from './harness.js'

/** Short, so that the timeout cases run fast; still far above a loopback handshake. */
const UPGRADE_TIMEOUT_MS = 600

guardProcess(t)
t.setTimeout(60_000)

t.test('random bytes instead of a multistream header', async t => {
  const target = await startTarget(t, { upgradeTimeoutMs: UPGRADE_TIMEOUT_MS })
  // what each seed's bytes break: a missing newline, or a length prefix over 1024
  const expected = ['ERR_MISSING_NEWLINE', 'ERR_MISSING_NEWLINE', 'ERR_MISSING_NEWLINE', 'ERR_MESSAGE_TOO_LONG', 'ERR_MISSING_NEWLINE']
  for (const [i, seed] of [1, 2, 3, 0xdeadbeef, 12345].entries()) {
    const socket = await connectRaw(target)
    const failed = nextUpgradeError(target)
    socket.write(pseudoRandomBytes(300, seed))
    const err = await failed
    t.ok(isP2PError(err, expected[i]), `seed ${seed}: ${expected[i]}, got ${String(err)}`)
    await closed(socket)
  }
  t.ok(await goodPing(target) >= 0, 'a good peer is still served')
  await assertNothingEscaped(t)
})

t.test('a truncated message, then silence: dropped at the upgrade timeout', async t => {
  const target = await startTarget(t, { upgradeTimeoutMs: UPGRADE_TIMEOUT_MS })
  const socket = await connectRaw(target)
  const started = Date.now()
  const failed = nextUpgradeError(target)
  // the header message, cut in the middle of its body
  socket.write(encodeMessage(MULTISTREAM_PROTOCOL_ID).subarray(0, 8))
  t.ok(await goodPing(target) >= 0, 'a good peer is served while the attacker stalls')
  t.match(await failed, { code: 'ERR_UPGRADE_TIMEOUT' })
  t.ok(Date.now() - started >= UPGRADE_TIMEOUT_MS - 50, 'not before the timeout')
  await closed(socket)
  await assertNothingEscaped(t)
})

t.test('an over-long multistream message is refused from its length prefix', async t => {
  const target = await startTarget(t, { upgradeTimeoutMs: UPGRADE_TIMEOUT_MS })
  const socket = await connectRaw(target)
  const failed = nextUpgradeError(target)
  // a length prefix of 1 MiB, followed by only a few bytes: the refusal must not wait for the body
  socket.write(Buffer.concat([encodeUvarint(1024 * 1024), Buffer.from('/multistream/1.0.0\n')]))
  t.match(await failed, { code: 'ERR_MESSAGE_TOO_LONG' })
  await closed(socket)
  t.ok(await goodPing(target) >= 0)
  await assertNothingEscaped(t)
})

t.test('an endless stream of proposals that provoke `na`', async t => {
  const target = await startTarget(t, { upgradeTimeoutMs: 5_000 })
  const socket = await connectRaw(target)
  const failed = nextUpgradeError(target)
  const received: Buffer[] = []
  socket.on('data', (chunk: Buffer) => received.push(chunk))
  const proposals = Array.from({ length: 1000 }, (_, i) => `/nope/${i}`)
  socket.write(encodeMessages([MULTISTREAM_PROTOCOL_ID, ...proposals]))
  t.match(await failed, { code: 'ERR_TOO_MANY_PROPOSALS' })
  await closed(socket)
  const answer = Buffer.concat(received)
  const na = encodeMessage('na')
  let count = 0
  for (let i = answer.indexOf(na); i !== -1; i = answer.indexOf(na, i + na.length)) count++
  t.ok(count <= MAX_PROPOSALS, `at most ${MAX_PROPOSALS} \`na\` answers before the connection was closed (got ${count})`)
  t.ok(await goodPing(target) >= 0)
  await assertNothingEscaped(t)
})

t.test('slowloris: a peer dribbling one byte at a time is dropped at the handshake timeout', async t => {
  const target = await startTarget(t, { upgradeTimeoutMs: UPGRADE_TIMEOUT_MS })
  const socket = await connectRaw(target)
  const started = Date.now()
  const failed = nextUpgradeError(target)
  let stopped = false
  const bytes = encodeMessages([MULTISTREAM_PROTOCOL_ID, '/noise'])
  const dribble = (async () => {
    for (let i = 0; !stopped && !socket.destroyed; i = (i + 1) % bytes.length) {
      socket.write(bytes.subarray(i, i + 1))
      await sleep(25)
    }
  })()
  t.ok(await goodPing(target) >= 0, 'a good peer is served while the slowloris dribbles')
  const err = await failed
  const elapsed = Date.now() - started
  stopped = true
  await dribble
  t.match(err, { code: 'ERR_UPGRADE_TIMEOUT' })
  t.ok(elapsed >= UPGRADE_TIMEOUT_MS - 50 && elapsed < UPGRADE_TIMEOUT_MS + 1_000, `dropped at the timeout (${elapsed} ms)`)
  await closed(socket)
  await assertNothingEscaped(t)
})

t.test('many slowloris sockets at once cannot starve the listener of handshake slots forever', async t => {
  const target = await startTarget(t, { upgradeTimeoutMs: UPGRADE_TIMEOUT_MS, maxInboundPendingUpgrades: 4 })
  const sockets = await Promise.all(Array.from({ length: 8 }, async () => await connectRaw(target)))
  for (const socket of sockets) socket.write(encodeMessage(MULTISTREAM_PROTOCOL_ID).subarray(0, 3))
  await Promise.all(sockets.map(closed))
  t.ok(target.sw.metrics.refused.maxInboundPendingUpgrades >= 4, 'sockets over the handshake limit were refused before any handshake')
  t.ok(await goodPing(target) >= 0, 'once the stalled handshakes timed out, a good peer is served')
  t.equal(target.sw.resources.usage().pendingInboundUpgrades, 0, 'every handshake slot was given back')
  await assertNothingEscaped(t)
})
