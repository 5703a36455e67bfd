import t from 'tap'
import fc from 'fast-check'
import { createHash, randomBytes } from 'node:crypto'
import type { Duplex } from 'node:stream'
import { duplexPair } from '../helpers/duplex-pair.js'
import { halfOpenTcpPair as tcpPair } from './fixtures/tcp-half-open.js'
import { ECHO_IDLE_TIMEOUT_MS, ECHO_PROTOCOL, handleEcho } from '../../src/protocols/echo/index.js'
import { readAll } from '../helpers/read-all.js'

async function writeSplit (stream: Duplex, data: Uint8Array, cuts: number[]): Promise<void> {
  let offset = 0
  for (const cut of cuts) {
    if (offset >= data.length) break
    if (!stream.write(data.subarray(offset, offset + cut))) await new Promise(resolve => stream.once('drain', resolve))
    offset += cut
  }
  if (offset < data.length) stream.write(data.subarray(offset))
  stream.end()
}

t.test('protocol id', async t => { t.equal(ECHO_PROTOCOL, '/echo/1.0.0') })

t.test('1 MiB split at random is echoed byte for byte (duplexPair)', async t => {
  const data = new Uint8Array(randomBytes(1024 * 1024))
  await fc.assert(fc.asyncProperty(
    fc.array(fc.integer({ min: 1, max: 200_000 }), { minLength: 1, maxLength: 40 }),
    async cuts => {
      const [a, b] = duplexPair()
      const served = handleEcho(b)
      const [echoed] = await Promise.all([readAll(a), writeSplit(a, data, cuts)])
      await served
      t.equal(echoed.length, data.length)
      t.equal(createHash('sha256').update(echoed).digest('hex'), createHash('sha256').update(data).digest('hex'))
    }), { numRuns: 5 })
})

t.test('1 MiB over TCP, client reads only after writing everything (backpressure)', async t => {
  const [client, server] = await tcpPair()
  const data = new Uint8Array(randomBytes(1024 * 1024))
  const served = handleEcho(server)
  // writing first and reading later forces the echo side to wait for drain
  const writing = writeSplit(client, data, [100_000, 7, 300_000])
  await new Promise(resolve => setTimeout(resolve, 20))
  const echoed = await readAll(client)
  await writing
  await served
  t.ok(Buffer.from(data).equals(echoed))
  client.destroy()
  server.destroy()
})

t.test('empty stream: echo half-closes at once', async t => {
  const [a, b] = duplexPair()
  const served = handleEcho(b)
  a.end()
  t.equal((await readAll(a)).length, 0)
  await served
})

t.test('a reset stream rejects the handler without crashing', async t => {
  const [a, b] = duplexPair()
  const served = handleEcho(b)
  a.write(new Uint8Array(10))
  b.destroy(new Error('reset'))
  const err = await served.catch(e => e)
  t.ok(err instanceof Error)
})

t.test('a stream that stands still for idleTimeoutMs is reset with ERR_ECHO_TIMEOUT; one that keeps moving is not', async t => {
  t.equal(ECHO_IDLE_TIMEOUT_MS, 60_000)
  // the idle timer is unref'd (a limit keeps no process alive) and a duplexPair holds no handle: this keeps the test's process up
  const keepAlive = setInterval(() => {}, 1000)
  t.teardown(() => { clearInterval(keepAlive) })
  const silent = duplexPair()
  const started = performance.now()
  await t.rejects(handleEcho(silent[1], { idleTimeoutMs: 80 }), { code: 'ERR_ECHO_TIMEOUT', message: /did not move for 80 ms/ }, 'nothing sent')
  t.ok(performance.now() - started >= 75, 'not before its time')
  t.ok(silent[1].destroyed, 'the stream was reset')

  // the echo is never read: once the buffers are full, nothing moves
  const unread = duplexPair()
  const flooded = handleEcho(unread[1], { idleTimeoutMs: 80 })
  unread[0].write(new Uint8Array(4 * 1024 * 1024))
  await t.rejects(flooded, { code: 'ERR_ECHO_TIMEOUT' }, 'an echo nobody takes')

  const [a, b] = duplexPair()
  const served = handleEcho(b, { idleTimeoutMs: 100 })
  const echoed = readAll(a)
  for (let i = 0; i < 6; i++) {
    await new Promise(resolve => setTimeout(resolve, 40))
    a.write(Uint8Array.of(i))
  }
  a.end()
  await served
  t.same([...await echoed], [0, 1, 2, 3, 4, 5], 'a slow sender that keeps moving is echoed to the end')
  await t.rejects(handleEcho(duplexPair()[1], { idleTimeoutMs: -1 }), { code: 'ERR_INVALID_PARAMETERS' })
})
