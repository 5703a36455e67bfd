// The perf suite for `p2p interop` (src/cli/commands/interop-perf.ts): its
// settings, the summary of a series as the runner reads it, the printed
// blocks, and a small suite run between two of our nodes, checked against
// what the listener's perf server really moved.

import t from 'tap'
import { Libp2pNode } from '../../src/node/index.js'
import { PERF_PROTOCOL, handlePerf } from '../../src/protocols/index.js'
import { formatPerfSuite, parsePerfSuiteConfig, runPerfSuite, summarize, PERF_SUITE_DEFAULTS } from '../../src/cli/commands/interop-perf.js'
import type { PerfSuiteResult } from '../../src/cli/commands/interop-perf.js'

t.test('settings: none of the variables means not the perf suite; the images\' defaults fill the rest', async t => {
  t.equal(parsePerfSuiteConfig({ MUXER: 'yamux' }), undefined)
  t.equal(parsePerfSuiteConfig({ UPLOAD_BYTES: '' }), undefined, 'an empty variable is not set')
  t.same(PERF_SUITE_DEFAULTS, { uploadBytes: 1073741824, downloadBytes: 1073741824, uploadIterations: 10, downloadIterations: 10, latencyIterations: 100 })
  t.same(parsePerfSuiteConfig({ UPLOAD_BYTES: '1048576', LATENCY_ITERATIONS: '5' }), { ...PERF_SUITE_DEFAULTS, uploadBytes: 1048576, latencyIterations: 5 })
  t.same(parsePerfSuiteConfig({ UPLOAD_BYTES: '0', DOWNLOAD_BYTES: '0', UPLOAD_ITERATIONS: '1', DOWNLOAD_ITERATIONS: '2', LATENCY_ITERATIONS: '3' }),
    { uploadBytes: 0, downloadBytes: 0, uploadIterations: 1, downloadIterations: 2, latencyIterations: 3 })
  t.throws(() => parsePerfSuiteConfig({ UPLOAD_ITERATIONS: '0' }), { code: 'ERR_INVALID_PARAMETERS', message: 'UPLOAD_ITERATIONS must be a whole number of at least 1, got "0"' })
  t.throws(() => parsePerfSuiteConfig({ DOWNLOAD_BYTES: '-1' }), { code: 'ERR_INVALID_PARAMETERS', message: /DOWNLOAD_BYTES must be a whole number of at least 0/ })
  t.throws(() => parsePerfSuiteConfig({ DOWNLOAD_BYTES: '1e9' }), { code: 'ERR_INVALID_PARAMETERS' })
  t.throws(() => parsePerfSuiteConfig({ UPLOAD_BYTES: '9007199254740993' }), { code: 'ERR_INVALID_PARAMETERS' }, 'past 2^53')
})

t.test('a series: quartiles between ranks, outliers beyond 1.5 x IQR, min and max of the rest', async t => {
  t.same(summarize([4, 1, 3, 2]), { iterations: 4, min: 1, q1: 1.75, median: 2.5, q3: 3.25, max: 4, outliers: [], samples: [1, 2, 3, 4] })
  // q1 2, q3 4, IQR 2: fences at -1 and 7
  t.same(summarize([100, 2, 1, 4, 3]), { iterations: 5, min: 1, q1: 2, median: 3, q3: 4, max: 4, outliers: [100], samples: [1, 2, 3, 4, 100] })
  t.same(summarize([5]), { iterations: 1, min: 5, q1: 5, median: 5, q3: 5, max: 5, outliers: [], samples: [5] })
  t.throws(() => summarize([]), { code: 'ERR_INVALID_PARAMETERS' })
})

/** What the perf suite's runner keeps of the dialer's output (perf/lib/run-single-test.sh), line by line. */
const PERF_RUNNER_LINE = /^(upload:|download:|latency:| {2}(iterations|min|q1|median|q3|max|outliers|samples|unit):)/

t.test('the printed blocks: every line one the runner keeps, Gbps to 2 decimals, ms to 3', async t => {
  const result: PerfSuiteResult = {
    upload: summarize([1.234, 2.5]),
    download: summarize([3]),
    latency: summarize([0.5, 0.25, 10])
  }
  const yaml = formatPerfSuite(result, 'yaml')
  t.equal(yaml, [
    'upload:', '  iterations: 2', '  min: 1.23', '  q1: 1.55', '  median: 1.87', '  q3: 2.18', '  max: 2.50', '  outliers: []', '  samples: [1.23, 2.50]', '  unit: Gbps',
    '',
    'download:', '  iterations: 1', '  min: 3.00', '  q1: 3.00', '  median: 3.00', '  q3: 3.00', '  max: 3.00', '  outliers: []', '  samples: [3.00]', '  unit: Gbps',
    '',
    'latency:', '  iterations: 3', '  min: 0.250', '  q1: 0.375', '  median: 0.500', '  q3: 5.250', '  max: 10.000', '  outliers: []', '  samples: [0.250, 0.500, 10.000]', '  unit: ms',
    ''
  ].join('\n'))
  for (const line of yaml.split('\n').filter(line => line !== '')) t.match(line, PERF_RUNNER_LINE)
  const json = JSON.parse(formatPerfSuite(result, 'json')) as Record<string, Record<string, unknown>>
  t.same(Object.keys(json), ['upload', 'download', 'latency'])
  t.same(json.upload, { iterations: 2, min: 1.23, q1: 1.55, median: 1.87, q3: 2.18, max: 2.5, outliers: [], samples: [1.23, 2.5], unit: 'Gbps' })
})

t.test('a small suite between two of our nodes: each run on its own stream, the bytes really moved, in the suite\'s order', async t => {
  const listener = new Libp2pNode({ listenAddrs: ['/ip4/127.0.0.1/tcp/0'], identifyOnConnect: false })
  const served: Array<{ uploadBytes: number, downloadBytes: number }> = []
  listener.handle(PERF_PROTOCOL, async stream => { served.push(await handlePerf(stream)) })
  await listener.start()
  const dialer = new Libp2pNode({ identifyOnConnect: false })
  await dialer.start()
  t.teardown(async () => { await dialer.stop(); await listener.stop() })
  const connection = await dialer.dial(listener.multiaddrs[0])
  const config = { uploadBytes: 256 * 1024, downloadBytes: 128 * 1024, uploadIterations: 2, downloadIterations: 3, latencyIterations: 4 }
  const result = await runPerfSuite(dialer, connection.remotePeer, config, AbortSignal.timeout(20_000))
  t.same([result.upload.iterations, result.download.iterations, result.latency.iterations], [2, 3, 4])
  t.same(served, [
    ...Array(2).fill({ uploadBytes: 256 * 1024, downloadBytes: 0 }),
    ...Array(3).fill({ uploadBytes: 0, downloadBytes: 128 * 1024 }),
    ...Array(4).fill({ uploadBytes: 1, downloadBytes: 1 })
  ], 'uploads, then downloads, then 1-byte runs, each its own perf exchange')
  for (const series of [result.upload, result.download]) for (const gbps of series.samples) t.ok(gbps > 0 && gbps < 1000, `${gbps} Gbps`)
  for (const ms of result.latency.samples) t.ok(ms > 0 && ms < 20_000, `${ms} ms`)
  t.equal(dialer.switch.getConnections().length, 1, 'all over the one connection')
})
