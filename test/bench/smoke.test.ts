// A smoke test of the benchmark suite (bench/): every benchmark runs once at
// a tiny size, ours only (js-libp2p is never loaded), with its sides in
// worker processes as in `npm run bench`. It asserts the shape of the report
// and that the numbers are sane; it never asserts a time.

import t from 'tap'
import { runBenchmarks, parseArgs, parseSize } from '../../bench/run.js'
import { formatTable } from '../../bench/report.js'
import { BENCHMARKS, median, warmUpTransfers, WARM_UP_TRANSFERS } from '../../bench/benchmarks.js'
import { startDelayProxy } from '../../bench/delay-proxy.js'
import { reuseWorkers, setMainThreadCpus, withWorkers } from '../../bench/launch.js'
import { allowedCpus, describePlacement, resolvePlacement } from '../../bench/placement.js'
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import { nodeCrypto } from '../../src/noise/crypto-node.js'

t.test('parseSize and parseArgs', async t => {
  t.equal(parseSize('65536'), 65536)
  t.equal(parseSize('64KiB'), 65536)
  t.equal(parseSize('256MiB'), 256 * 2 ** 20)
  t.throws(() => parseSize('lots'))
  const options = parseArgs(['--json', '--rounds', '2', '--only', 'yamux,rtt', '--stream-bytes', '1KiB'])
  t.equal(options.json, true)
  t.equal(options.rounds, 2)
  t.same(options.only, ['yamux', 'rtt'])
  t.equal(options.sizes.streamBytes, 1024)
  t.equal(options.sizes.connectWarmup, 200, 'the connect benchmark warms up with 200 connections by default')
  t.equal(parseArgs(['--connect-warmup', '1000']).sizes.connectWarmup, 1000)
  t.equal(options.sizes.perfWarmup, undefined, 'the throughput warm-up defaults to twice --perf-bytes')
  t.equal(parseArgs(['--perf-warmup', '1GiB']).sizes.perfWarmup, 2 ** 30)
  t.throws(() => parseArgs(['--only', 'nope']))
  t.throws(() => parseArgs(['--frobnicate']))
})

t.test('the throughput warm-up: eight transfers each way that add up to the warm-up', async t => {
  const sizes = parseArgs([]).sizes
  t.equal(WARM_UP_TRANSFERS, 8)
  t.same(warmUpTransfers(sizes), Array(8).fill(64 * 2 ** 20), '512 MiB (twice the 256 MiB measured) as 8 x 64 MiB')
  t.same(warmUpTransfers({ ...sizes, perfBytes: 2 ** 20 }), Array(8).fill(2 ** 18), 'twice a small --perf-bytes')
  t.same(warmUpTransfers({ ...sizes, perfWarmup: 1000 }), Array(8).fill(125))
  t.same(warmUpTransfers({ ...sizes, perfWarmup: 1001 }), Array(8).fill(126), 'rounded up: never less than asked')
  t.same(warmUpTransfers({ ...sizes, perfWarmup: 0 }), [], '--perf-warmup 0: none')
})

t.test('median', async t => {
  t.equal(median([3, 1, 2]), 2)
  t.equal(median([4, 1, 3, 2]), 2.5)
})

t.test('the delay proxy holds each chunk for the delay and keeps order', async t => {
  const received: Buffer[] = []
  const server = net.createServer(socket => {
    socket.on('data', (chunk: Buffer) => { received.push(chunk); socket.write(chunk) })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as net.AddressInfo).port
  const delayMs = 40
  const proxy = await startDelayProxy({ host: '127.0.0.1', port }, delayMs)
  const client = net.connect({ host: '127.0.0.1', port: proxy.port })
  await new Promise(resolve => client.once('connect', resolve))
  const start = performance.now()
  const echoed: Buffer[] = []
  const all = new Promise<void>(resolve => {
    client.on('data', (chunk: Buffer) => {
      echoed.push(chunk)
      if (Buffer.concat(echoed).length === 300) resolve()
    })
  })
  for (let i = 0; i < 3; i++) client.write(Buffer.alloc(100, i + 1))
  await all
  const elapsed = performance.now() - start
  t.ok(elapsed >= 2 * delayMs - 5, `one round trip through the proxy takes 2 × delay (took ${elapsed.toFixed(1)} ms)`)
  const back = Buffer.concat(echoed)
  t.same([...back.subarray(0, 100)], new Array(100).fill(1))
  t.same([...back.subarray(100, 200)], new Array(100).fill(2))
  t.same([...back.subarray(200, 300)], new Array(100).fill(3))
  client.destroy()
  await proxy.close()
  await new Promise(resolve => server.close(resolve))
})

t.test('every benchmark runs at a tiny size (ours only) and reports each figure', async t => {
  // three worker processes for all benchmarks: each costs seconds of TypeScript compilation
  const stopWorkers = reuseWorkers()
  t.teardown(stopWorkers)
  const report = await runBenchmarks({
    rounds: 1,
    only: [],
    stacks: ['ours'],
    ceilings: true,
    log: () => {},
    sizes: { perfBytes: 256 * 1024, connections: 3, connectWarmup: 2, connectIdentities: 2, delayMs: 10, rttSamples: 1, idleConnections: 5, streams: 5, streamBytes: 1024 }
  })
  t.same(report.errors, [])
  t.equal(report.rounds, 1)
  t.ok(report.machine.cpus >= 1)
  const figures = report.rows.map(r => `${r.benchmark}/${r.figure}`)
  t.same(figures, [
    'yamux/down', 'yamux/up', 'yamux/down CPU', 'yamux/up CPU',
    'mplex/down', 'mplex/up', 'mplex/down CPU', 'mplex/up CPU',
    'connect/CPU per connection', 'connect/connections/s', 'connect/connections/s with close', 'connect/ms each',
    'rtt/round trips',
    'memory/RSS per connection', 'memory/heap per connection',
    'streams/time', 'streams/peak RSS, both sides'
  ])
  t.same([...new Set(report.rows.map(r => r.benchmark))], BENCHMARKS.map(b => b.name))
  for (const row of report.rows) {
    t.equal(row.samples.ours.length, 1, `${row.benchmark}/${row.figure}: one sample`)
    t.equal(row.samples.js.length, 0)
    t.equal(row.js, null)
    t.equal(row.ratio, null)
    t.ok(row.ours !== null && Number.isFinite(row.ours), `${row.benchmark}/${row.figure} is a number`)
    if (row.figure !== 'RSS per connection' && row.figure !== 'heap per connection') {
      t.ok((row.ours ?? 0) > 0, `${row.benchmark}/${row.figure} is positive`)
    }
    t.equal(row.oursOfRawTcp !== null, row.unit === 'MiB/s')
    t.equal(row.oursOfBatchedTcp !== null, row.unit === 'MiB/s')
    t.equal(row.oursOfNoiseTcp !== null, row.unit === 'MiB/s')
  }
  const rtt = report.rows.find(r => r.benchmark === 'rtt')
  // TCP's handshake is excluded, so at least the ping itself is one round trip
  t.ok((rtt?.ours ?? 0) >= 1, 'at least one round trip to the first ping reply')
  t.ok(report.ceilings !== null && report.ceilings.tcpMiBps > 0 && report.ceilings.noiseTcpMiBps > 0 && report.ceilings.chachaOpenMiBps > 0 && report.ceilings.cipherivSealMiBps > 0 && report.ceilings.chachaBackend === nodeCrypto.name && report.ceilings.x25519PerSecond > 0)
  const table = formatTable(report)
  t.match(table, /\| one stream, Noise \+ yamux \| down \(MiB\/s, higher is better\) \|/)
  t.ok(report.ceilings !== null && report.ceilings.tcpSenderCpuMsPerMiB > 0 && report.ceilings.tcpBatchedSenderCpuMsPerMiB > 0 && report.ceilings.noiseTcpReceiverCpuMsPerMiB > 0, 'each ceiling\'s CPU per MiB')
  t.ok(report.ceilings !== null && report.ceilings.tcpBatchedMiBps > 0, 'the batched raw TCP ceiling')
  t.match(table, /Ceilings: raw TCP loopback [\d,.]+ MiB\/s \(CPU ms per MiB: sender [\d.]+, receiver [\d.]+\); raw TCP, batched as our transport \(1 MiB corked writevs, lent 1 MiB reads\) [\d,.]+ MiB\/s \(CPU ms per MiB: sender [\d.]+, receiver [\d.]+\); Noise over TCP/)
  // ours only: what needs js-libp2p is not measured; the rest is checked (met or not: never asserted, it is a time)
  t.same(report.targets.map(x => x.met === null), [true, false, true, true, false, true, true], 'targets measured without js-libp2p: raw TCP and round trips')
  t.match(table, 'Against the targets of issue 8')
  t.equal(report.placement, 'free')
  t.match(table, /medians of 1 round\(s\); main threads placed by the OS scheduler\./)
})

t.test('--placement: parsed, refused when unknown, described in the report', async t => {
  t.equal(parseArgs([]).placement, 'free', 'the scheduler places the processes by default')
  t.equal(parseArgs(['--placement', 'same']).placement, 'same')
  t.equal(parseArgs(['--placement', 'split']).placement, 'split')
  t.throws(() => parseArgs(['--placement', 'anywhere']), /unknown placement "anywhere"; known: free, same, split/)
  t.equal(resolvePlacement('free'), undefined, 'free pins nothing (and needs nothing)')
  t.equal(describePlacement('split'), 'listener\'s and dialer\'s main threads pinned to two CPUs')
})

/** The CPUs a thread may run on, as /proc lists them ("0-1", "1"). */
function threadCpus (pid: number, tid: number): string {
  const status = fs.readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8')
  return /^Cpus_allowed_list:\s*(\S+)$/m.exec(status)?.[1] ?? ''
}

const canPin = os.platform() === 'linux' && os.availableParallelism() >= 2 && spawnSync('taskset', ['--version']).status === 0

t.test('resolvePlacement picks among the CPUs this process may use', { skip: canPin ? false : 'needs Linux, two CPUs and taskset (util-linux)' }, async t => {
  const cpus = allowedCpus()
  t.ok(cpus.length >= 2)
  t.same(resolvePlacement('same'), [cpus[0], cpus[0]], 'same: both on the first')
  t.same(resolvePlacement('split'), [cpus[0], cpus[1]], 'split: the first two')
})

t.test('pinning moves each of the first two workers\' main threads, and nothing else', { skip: canPin ? false : 'needs Linux, two CPUs and taskset (util-linux)' }, async t => {
  const all = threadCpus(process.pid, process.pid)
  const cpus = resolvePlacement('split')
  if (cpus === undefined) throw new Error('split resolves to two CPUs')
  setMainThreadCpus(cpus)
  t.teardown(() => { setMainThreadCpus(undefined) })
  await withWorkers(3, async workers => {
    t.same(workers.map(w => threadCpus(w.pid, w.pid)), [String(cpus[0]), String(cpus[1]), all], 'the listener on one CPU, the dialer on the other, the third (the delay proxy) free')
    for (const worker of workers.slice(0, 2)) {
      const others = fs.readdirSync(`/proc/${worker.pid}/task`).map(Number).filter(tid => tid !== worker.pid)
      t.ok(others.length > 0, 'V8 and libuv run threads of their own')
      t.same(others.map(tid => threadCpus(worker.pid, tid)), others.map(() => all), 'the threads Node started before the pinning stay free')
    }
  })
})
