import t from 'tap'
import type { Duplex } from 'node:stream'
import { duplexPair } from '../helpers/duplex-pair.js'
import { halfOpenTcpPair as tcpPair } from './fixtures/tcp-half-open.js'
import {
  decodePerfRequest, encodePerfRequest, handlePerf, MAX_PERF_DOWNLOAD_BYTES, PERF_PROTOCOL, PERF_SERVER_IDLE_TIMEOUT_MS, perfClient, type PerfProgress
} from '../../src/protocols/perf/index.js'
import { isP2PError } from '../../src/util/errors.js'

t.test('request header is a big-endian uint64 (perf.md step 2)', async t => {
  t.equal(PERF_PROTOCOL, '/perf/1.0.0')
  t.same([...encodePerfRequest(0n)], [0, 0, 0, 0, 0, 0, 0, 0])
  t.same([...encodePerfRequest(0x0102030405060708n)], [1, 2, 3, 4, 5, 6, 7, 8])
  // "Zero is a valid number, so is the max uint64 value."
  t.same([...encodePerfRequest(2n ** 64n - 1n)], [255, 255, 255, 255, 255, 255, 255, 255])
  t.equal(decodePerfRequest(Uint8Array.of(0, 0, 0, 0, 0, 0, 1, 0)), 256n)
  t.ok(isP2PError((() => { try { encodePerfRequest(2n ** 64n) } catch (e) { return e } })(), 'ERR_INVALID_PARAMETERS'))
})

/** A raw client that records exactly what the server sends back. */
async function rawExchange (stream: Duplex, header: Uint8Array, upload: number): Promise<number> {
  let received = 0
  stream.on('data', (c: Buffer) => { received += c.length })
  const ended = new Promise(resolve => stream.once('end', resolve))
  stream.write(header)
  stream.write(new Uint8Array(upload))
  stream.end()
  await ended
  return received
}

t.test('server: counts the upload exactly and sends exactly the requested bytes', async t => {
  for (const [up, down] of [[0, 0], [1, 0], [0, 1], [100_000, 65_537], [3, 1_000_003]]) {
    const [a, b] = duplexPair()
    const served = handlePerf(b)
    const received = await rawExchange(a, encodePerfRequest(BigInt(down)), up)
    t.same(await served, { uploadBytes: up, downloadBytes: down }, `up ${up} down ${down}`)
    t.equal(received, down)
  }
})

t.test('server sends nothing before the client half-closes (MUST NOT run concurrently)', async t => {
  const [a, b] = duplexPair()
  const served = handlePerf(b)
  let received = 0
  a.on('data', (c: Buffer) => { received += c.length })
  a.write(encodePerfRequest(1000n))
  a.write(new Uint8Array(5000))
  await new Promise(resolve => setTimeout(resolve, 20))
  t.equal(received, 0, 'no bytes while the upload is open')
  a.end()
  await served
  t.equal(received, 1000)
})

t.test('client and server agree, with progress reports (duplexPair)', async t => {
  const [a, b] = duplexPair()
  const served = handlePerf(b)
  const reports: PerfProgress[] = []
  let clock = 0
  const result = await perfClient(a, {
    uploadBytes: 1_000_000,
    downloadBytes: 2_000_001,
    progressIntervalMs: 50,
    now: () => (clock += 10), // 10 ms per clock read: a report every few chunks
    onProgress: p => reports.push(p)
  })
  t.equal(result.uploadBytes, 1_000_000)
  t.equal(result.downloadBytes, 2_000_001)
  t.ok(result.timeSeconds > 0)
  t.same(await served, { uploadBytes: 1_000_000, downloadBytes: 2_000_001 })
  const uploads = reports.filter(r => r.phase === 'upload')
  const downloads = reports.filter(r => r.phase === 'download')
  t.ok(uploads.length >= 2 && downloads.length >= 2, `${uploads.length} upload and ${downloads.length} download reports`)
  t.equal(uploads.at(-1)?.uploadBytes, 1_000_000, 'last upload report is the total')
  t.equal(downloads.at(-1)?.downloadBytes, 2_000_001, 'last download report is the total')
  for (let i = 1; i < reports.length; i++) {
    t.ok(reports[i].timeSeconds >= reports[i - 1].timeSeconds, 'time is monotonic')
    t.ok(reports[i].uploadBytes >= reports[i - 1].uploadBytes && reports[i].downloadBytes >= reports[i - 1].downloadBytes, 'counts are cumulative')
  }
  t.ok(downloads.every(r => r.uploadBytes === 1_000_000))
})

t.test('client and server over TCP: 8 MiB each way', async t => {
  const [client, server] = await tcpPair()
  const served = handlePerf(server)
  const result = await perfClient(client, { uploadBytes: 8 << 20, downloadBytes: 8 << 20 })
  t.equal(result.uploadBytes, 8 << 20)
  t.equal(result.downloadBytes, 8 << 20)
  t.same(await served, { uploadBytes: 8 << 20, downloadBytes: 8 << 20 })
  client.destroy()
  server.destroy()
})

t.test('by default any uint64 request is served: max uint64 is "until reset" (perf.md\'s timer-based download)', async t => {
  t.equal(MAX_PERF_DOWNLOAD_BYTES, 2n ** 64n - 1n)
  const [a, b] = duplexPair()
  a.on('error', () => {})
  const served = handlePerf(b)
  let received = 0
  let onMiB!: () => void
  const gotMiB = new Promise<void>(resolve => { onMiB = resolve })
  a.on('data', (c: Buffer) => { received += c.length; if (received >= 1 << 20) onMiB() })
  a.write(encodePerfRequest(MAX_PERF_DOWNLOAD_BYTES))
  a.end()
  await gotMiB
  // the client's timer ends: it resets the stream, and the server stops
  a.destroy()
  const err = await served.catch(e => e)
  t.ok(err instanceof Error, `the server ends with the reset (${String(err)})`)
  t.ok(b.destroyed)
})

t.test('a request above the operator\'s limit is ERR_PERF_REQUEST_TOO_LARGE', async t => {
  const [a, b] = duplexPair()
  const served = handlePerf(b, { maxDownloadBytes: 2n ** 40n })
  a.resume()
  a.write(encodePerfRequest(2n ** 40n + 1n))
  const err = await served.catch(e => e)
  t.ok(isP2PError(err, 'ERR_PERF_REQUEST_TOO_LARGE'), String(err))
  t.equal(err.remote, true)
  t.ok(b.destroyed, 'stream reset')

  const [c, d] = duplexPair()
  const small = handlePerf(d, { maxDownloadBytes: 10n })
  c.resume()
  c.write(encodePerfRequest(11n))
  t.ok(isP2PError(await small.catch(e => e), 'ERR_PERF_REQUEST_TOO_LARGE'))
})

t.test('a short header is ERR_UNEXPECTED_EOF', async t => {
  const [a, b] = duplexPair()
  const served = handlePerf(b)
  a.resume()
  a.end(Uint8Array.of(0, 0, 1))
  t.ok(isP2PError(await served.catch(e => e), 'ERR_UNEXPECTED_EOF'))
})

t.test('client: a server sending the wrong count is ERR_PERF_DOWNLOAD_MISMATCH', async t => {
  const [a, b] = duplexPair()
  // a fake server: drains the request and upload, then sends 10 bytes too few
  b.resume()
  b.once('end', () => { b.end(new Uint8Array(90)) })
  const err = await perfClient(a, { uploadBytes: 5, downloadBytes: 100 }).catch(e => e)
  t.ok(isP2PError(err, 'ERR_PERF_DOWNLOAD_MISMATCH'), String(err))
  t.match(err.message, /100 bytes, received 90/)
})

t.test('client: a server that keeps sending past what was asked is stopped there, not read for ever', async t => {
  const [a, b] = duplexPair()
  b.on('error', () => {})
  let sent = 0
  // a fake server: drains the request and upload, then sends without end (until reset)
  b.resume()
  b.once('end', () => {
    const chunk = new Uint8Array(64 * 1024)
    const more = (): void => {
      while (!b.destroyed && sent < 64 * 1024 * 1024) {
        sent += chunk.length
        if (!b.write(chunk)) { b.once('drain', more); return }
      }
    }
    more()
  })
  const err = await perfClient(a, { uploadBytes: 5, downloadBytes: 100 }).catch(e => e)
  t.ok(isP2PError(err, 'ERR_PERF_DOWNLOAD_MISMATCH'), String(err))
  t.match(err.message, /asked the server for 100 bytes, received more/)
  t.ok(sent < 64 * 1024 * 1024, `stopped early (${sent} bytes sent)`)
})

t.test('client: bad sizes and abort', async t => {
  const [a] = duplexPair()
  t.ok(isP2PError(await perfClient(a, { uploadBytes: -1, downloadBytes: 0 }).catch(e => e), 'ERR_INVALID_PARAMETERS'))
  t.ok(isP2PError(await perfClient(a, { uploadBytes: 0, downloadBytes: 1.5 }).catch(e => e), 'ERR_INVALID_PARAMETERS'))

  const [c, d] = duplexPair()
  d.resume() // a server that never answers
  const controller = new AbortController()
  setTimeout(() => controller.abort(), 10)
  const err = await perfClient(c, { uploadBytes: 10, downloadBytes: 10, signal: controller.signal }).catch(e => e)
  t.ok(err instanceof Error && (err as Error).name === 'AbortError', String(err))
  t.ok(c.destroyed)
})

t.test('server stream destroyed with an error mid-download: rejection, no unhandled error', async t => {
  const [a, b] = duplexPair()
  const served = handlePerf(b)
  // the client does not read, so the server blocks on backpressure
  a.end(encodePerfRequest(10n * 1024n * 1024n))
  await new Promise(resolve => setTimeout(resolve, 10))
  const boom = new Error('remote reset')
  b.destroy(boom)
  t.equal(await served.catch(e => e), boom)
  a.destroy()
})

t.test('server: its signal ends the download too, resetting the stream', async t => {
  const [a, b] = duplexPair()
  a.on('error', () => {})
  const controller = new AbortController()
  const served = handlePerf(b, { signal: controller.signal })
  let received = 0
  let onFirst!: () => void
  const first = new Promise<void>(resolve => { onFirst = resolve })
  a.on('data', (c: Buffer) => { received += c.length; onFirst() })
  a.write(encodePerfRequest(2n ** 40n))
  a.end()
  await first
  const reason = new Error('operator stopped it')
  controller.abort(reason)
  await t.rejects(served, reason, 'rejects with the abort reason')
  t.ok(b.destroyed, 'the stream was reset')
  const atAbort = received
  await new Promise(resolve => setTimeout(resolve, 20))
  t.ok(received === atAbort && received < 2 ** 30, `nothing more was sent (${received} bytes in all)`)
})

t.test('server: an aborted signal refuses the stream before reading it', async t => {
  const [, b] = duplexPair()
  const controller = new AbortController()
  controller.abort(new Error('already'))
  await t.rejects(handlePerf(b, { signal: controller.signal }), { message: 'already' })
})

t.test('server: a stream that stands still for idleTimeoutMs is reset with ERR_PERF_TIMEOUT (no header, a stalled upload, a download nobody reads)', async t => {
  t.equal(PERF_SERVER_IDLE_TIMEOUT_MS, 60_000)
  // the idle timer is unref'd (a limit keeps no process alive) and a duplexPair holds no handle: this keeps the test's process up
  const keepAlive = setInterval(() => {}, 1000)
  t.teardown(() => { clearInterval(keepAlive) })
  const silent = duplexPair()
  const started = performance.now()
  await t.rejects(handlePerf(silent[1], { idleTimeoutMs: 80 }), { code: 'ERR_PERF_TIMEOUT', message: /did not move for 80 ms/ }, 'no request header')
  t.ok(performance.now() - started >= 75, 'not before its time')
  t.ok(silent[1].destroyed, 'the stream was reset')

  const stalled = duplexPair()
  const served = handlePerf(stalled[1], { idleTimeoutMs: 80 })
  stalled[0].write(encodePerfRequest(0n))
  stalled[0].write(new Uint8Array(10))
  await t.rejects(served, { code: 'ERR_PERF_TIMEOUT' }, 'the upload stopped without its end')

  const unread = duplexPair()
  unread[0].end(encodePerfRequest(64n * 1024n * 1024n))
  await t.rejects(handlePerf(unread[1], { idleTimeoutMs: 80 }), { code: 'ERR_PERF_TIMEOUT' }, 'the client never reads its download')

  await t.rejects(handlePerf(duplexPair()[1], { idleTimeoutMs: 0 }), { code: 'ERR_INVALID_PARAMETERS' })
})

t.test('server: a slow client that keeps moving is served whatever the whole transfer takes', async t => {
  const [a, b] = duplexPair()
  const served = handlePerf(b, { idleTimeoutMs: 100 })
  let received = 0
  a.on('data', (c: Buffer) => { received += c.length })
  const ended = new Promise(resolve => a.once('end', resolve))
  const started = performance.now()
  a.write(encodePerfRequest(1000n))
  for (let i = 0; i < 6; i++) {
    await new Promise(resolve => setTimeout(resolve, 40))
    a.write(new Uint8Array(100))
  }
  a.end()
  t.same(await served, { uploadBytes: 600, downloadBytes: 1000 })
  await ended
  t.equal(received, 1000)
  t.ok(performance.now() - started > 200, 'longer in all than the idle limit')
})
