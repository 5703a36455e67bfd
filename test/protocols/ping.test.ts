import t from 'tap'
import fc from 'fast-check'
import { Duplex } from 'node:stream'
import { duplexPair } from '../helpers/duplex-pair.js'
import { halfOpenTcpPair as tcpPair } from './fixtures/tcp-half-open.js'
import { handlePing, ping, PING_LENGTH, PING_PROTOCOL } from '../../src/protocols/ping/index.js'
import { isP2PError } from '../../src/util/errors.js'

/** Deterministic payloads: round i is 32 bytes of value i+1, 2i+1, ... */
function counterBytes (): (n: number) => Uint8Array {
  let round = 0
  return (n) => {
    round++
    return Uint8Array.from({ length: n }, (_, i) => (round * 31 + i * 7) & 0xff)
  }
}

t.test('constants follow ping.md', async t => {
  t.equal(PING_PROTOCOL, '/ipfs/ping/1.0.0')
  t.equal(PING_LENGTH, 32)
})

t.test('pings N times over duplexPair, returns N RTTs from the injected clock', async t => {
  const [a, b] = duplexPair()
  const served = handlePing(b)
  let clock = 0
  const rtts = await ping(a, { count: 5, randomBytes: counterBytes(), now: () => (clock += 1.5) })
  t.same(rtts, [1.5, 1.5, 1.5, 1.5, 1.5])
  await served
  t.ok(b.writableFinished, 'listener half-closed after the dialer did')
})

t.test('listener echoes exactly what it received, whatever the chunking', async t => {
  await fc.assert(fc.asyncProperty(
    fc.uint8Array({ minLength: PING_LENGTH * 3, maxLength: PING_LENGTH * 3 }),
    fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 10 }),
    async (payload, cuts) => {
      const [a, b] = duplexPair()
      const served = handlePing(b)
      const received: Buffer[] = []
      a.on('data', (c: Buffer) => received.push(c))
      const ended = new Promise(resolve => a.once('end', resolve))
      let offset = 0
      for (const cut of cuts) {
        if (offset >= payload.length) break
        a.write(payload.subarray(offset, offset + cut))
        offset += cut
      }
      if (offset < payload.length) a.write(payload.subarray(offset))
      a.end()
      await served
      await ended
      t.same(Buffer.concat(received), Buffer.from(payload))
    }), { numRuns: 30 })
})

t.test('real RTTs over TCP are positive with sub-ms resolution', async t => {
  const [client, server] = await tcpPair()
  const served = handlePing(server)
  const rtts = await ping(client, { count: 3 })
  t.equal(rtts.length, 3)
  for (const rtt of rtts) t.ok(rtt > 0 && rtt < 1000, `rtt ${rtt}`)
  t.ok(rtts.some(r => !Number.isInteger(r)), 'fractional milliseconds')
  await served
  client.destroy()
  server.destroy()
})

/** A listener that flips one bit of the echo. */
function corruptingListener (stream: Duplex, at: number): void {
  let seen = 0
  stream.on('data', (chunk: Buffer) => {
    const copy = Buffer.from(chunk)
    for (let i = 0; i < copy.length; i++, seen++) if (seen === at) copy[i] ^= 1
    stream.write(copy)
  })
}

t.test('a changed byte in the echo is ERR_PING_MISMATCH and resets the stream', async t => {
  const [a, b] = duplexPair()
  corruptingListener(b, PING_LENGTH + 17) // second round, byte 17
  const err = await ping(a, { count: 3, randomBytes: counterBytes() }).catch(e => e)
  t.ok(isP2PError(err, 'ERR_PING_MISMATCH'), String(err))
  t.match(err.message, /ping 2: .* byte 17/)
  t.ok(a.destroyed)
})

t.test('listener rejects a half-close in the middle of a payload', async t => {
  const [a, b] = duplexPair()
  const served = handlePing(b)
  a.resume()
  a.write(new Uint8Array(PING_LENGTH + 5))
  a.end()
  const err = await served.catch(e => e)
  t.ok(isP2PError(err, 'ERR_PING_TRUNCATED'), String(err))
})

t.test('dialer fails with ERR_UNEXPECTED_EOF when the listener closes early', async t => {
  const [a, b] = duplexPair()
  b.resume()
  b.end()
  const err = await ping(a, { count: 1 }).catch(e => e)
  t.ok(isP2PError(err, 'ERR_UNEXPECTED_EOF'), String(err))
})

t.test('abort signal stops a ping waiting for its echo', async t => {
  const [a, b] = duplexPair()
  b.resume() // swallows, never echoes
  const controller = new AbortController()
  setTimeout(() => controller.abort(), 10)
  const err = await ping(a, { signal: controller.signal }).catch(e => e)
  t.ok(err instanceof Error)
  t.ok(a.destroyed)
})

t.test('an echo that does not come within timeoutMs is ERR_PING_TIMEOUT, each round timed on its own', async t => {
  const [a, b] = duplexPair()
  let echoed = 0
  // echoes the first two payloads, 60 ms late each, then nothing
  b.on('data', (chunk: Uint8Array) => {
    if (echoed++ < 2) setTimeout(() => b.write(chunk), 60)
  })
  const start = performance.now()
  const err = await ping(a, { count: 3, timeoutMs: 100 }).catch(e => e)
  const elapsed = performance.now() - start
  t.ok(isP2PError(err, 'ERR_PING_TIMEOUT'), String(err))
  t.match(err.message, /ping 3: no echo within 100 ms/, 'the third round timed out, not the sum of the first two')
  t.ok(elapsed >= 210, `two late echoes, then the limit (${elapsed.toFixed(0)} ms)`)
  t.ok(a.destroyed, 'the stream is reset')
})

t.test('bad timeoutMs is a local ERR_INVALID_PARAMETERS', async t => {
  for (const timeoutMs of [0, 1.5, 2 ** 31]) {
    const [a] = duplexPair()
    const err = await ping(a, { timeoutMs }).catch(e => e)
    t.ok(isP2PError(err, 'ERR_INVALID_PARAMETERS'), String(timeoutMs))
  }
})

t.test('bad count is a local ERR_INVALID_PARAMETERS', async t => {
  const [a] = duplexPair()
  const err = await ping(a, { count: 0 }).catch(e => e)
  t.ok(isP2PError(err, 'ERR_INVALID_PARAMETERS'))
  t.equal(err.remote, false)
  t.ok(a.destroyed, 'the stream is reset: left open it would hold the peer\'s one ping stream')
  const [b] = duplexPair()
  await t.rejects(ping(b, { timeoutMs: 0 }), { code: 'ERR_INVALID_PARAMETERS' })
  t.ok(b.destroyed)
})

t.test('the listener resets a stream whose next payload does not come within its time limit', async t => {
  // the listener's timer is unref()ed (a socket keeps a real node alive); an in-memory pair does not
  const alive = setInterval(() => {}, 1000)
  t.teardown(() => { clearInterval(alive) })
  const [a, b] = duplexPair()
  a.on('error', () => {})
  const served = handlePing(b, { timeoutMs: 100 })
  const echoed: Buffer[] = []
  a.on('data', (chunk: Buffer) => echoed.push(chunk))
  // two payloads 60 ms apart: each within the limit of the echo before it,
  // together past it (the timer restarts after every echo)
  a.write(Buffer.alloc(PING_LENGTH, 1))
  await new Promise(resolve => setTimeout(resolve, 60))
  a.write(Buffer.alloc(PING_LENGTH, 2))
  await new Promise(resolve => setTimeout(resolve, 60))
  t.same(Buffer.concat(echoed), Buffer.concat([Buffer.alloc(PING_LENGTH, 1), Buffer.alloc(PING_LENGTH, 2)]), 'both echoed')
  t.notOk(b.destroyed, 'still open 120 ms in')
  // then half a payload, and silence
  a.write(Buffer.alloc(PING_LENGTH / 2, 3))
  const started = performance.now()
  const err = await served.then(() => undefined, (e: unknown) => e)
  t.ok(isP2PError(err, 'ERR_PING_TIMEOUT'), `ERR_PING_TIMEOUT (${String(err)})`)
  t.ok(performance.now() - started >= 30, 'only once the limit ran out')
  t.ok(b.destroyed, 'the stream was reset')
})

t.test('the listener\'s time limit is checked', async t => {
  const [, b] = duplexPair()
  await t.rejects(handlePing(b, { timeoutMs: 0 }), { code: 'ERR_INVALID_PARAMETERS' })
})
