import t from 'tap'
import fc from 'fast-check'
import { createHash, randomBytes } from 'node:crypto'
import type { Duplex } from 'node:stream'
import { duplexPair } from '../helpers/duplex-pair.js'
import { halfOpenTcpPair as tcpPair } from './fixtures/tcp-half-open.js'
import { ECHO_PROTOCOL, handleEcho } from '../../src/protocols/echo/index.js'
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
