// The short soak of `npm test`: 300 connections and 3,000 streams against one
// listener in batches of 25, in a child process with --expose-gc; then
// sockets, handles, timers, the resource manager's counters and the heap
// must be back near the start, and stop() under load must flush every
// in-flight echo and leave nothing running. The long run is `npm run soak`.

import t from 'tap'
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { leaks, type SoakFigures } from '../../bench/soak-run.js'

const SOAK = fileURLToPath(new URL('../../bench/soak.ts', import.meta.url))

t.test('300 connections and 3,000 streams leave no leak', async t => {
  const child = spawn(process.execPath, [
    '--expose-gc', ...process.execArgv, SOAK,
    '--connections', '300', '--streams', '3000', '--batch', '25', '--heap-margin-mb', '8', '--json'
  ], { stdio: ['ignore', 'pipe', 'inherit'] })
  let out = ''
  child.stdout.on('data', (chunk: Buffer) => { out += chunk.toString() })
  const code = await new Promise<number | null>(resolve => child.once('exit', resolve))
  const figures = JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as SoakFigures & { problems: string[] }
  t.same(figures.problems, [], 'no leak found')
  t.equal(code, 0, 'the soak exits 0')
  t.equal(figures.connections, 300)
  t.equal(figures.streams, 3000)
  t.equal(figures.after.listenerConnections, 0, 'every connection closed on the listener')
  t.equal(figures.after.inboundStreams, 0, 'every stream reservation given back')
  t.equal(figures.flushedOnStop, figures.flushTotal, 'stop() under load delivered every in-flight echo')
  t.same(figures.leftAfterStop, [], 'stop() left no socket, server or timer')
})

t.test('the leak check flags what a leak leaves behind', async t => {
  const clean = { heapUsed: 10e6, resources: { TCPServerWrap: 1 }, listenerConnections: 0, inboundStreams: 0, pendingUpgrades: 0 }
  const figures: SoakFigures = {
    connections: 1, streams: 1, seconds: 1, baseline: clean, flushedOnStop: 0, flushTotal: 0,
    after: { heapUsed: 30e6, resources: { TCPServerWrap: 1, TCPSocketWrap: 3, Timeout: 1 }, listenerConnections: 2, inboundStreams: 5, pendingUpgrades: 1 },
    heapGrowthBytes: 20e6,
    leftAfterStop: ['Timeout × 1']
  }
  t.same(leaks({ ...figures, after: clean, heapGrowthBytes: 0, leftAfterStop: [] }, 8e6), [], 'clean figures pass')
  t.same(leaks(figures, 8e6), [
    '3 more TCPSocketWrap than at the start',
    '1 more Timeout than at the start',
    '2 connections still registered on the listener',
    '5 inbound stream reservations never released',
    '1 handshake reservations never released',
    'heap grew by 20.0 MB (margin 8.0 MB)',
    'left after stop(): Timeout × 1'
  ])
})
