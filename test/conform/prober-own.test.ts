// The prober against our own listener: every case must pass (none n/a: our
// node offers yamux and mplex and serves echo, ping and identify), and the
// `p2p conform --json` output must be one object per case plus a summary.

import t from 'tap'
import { Writable } from 'node:stream'
import { Libp2pNode } from '../../src/node/index.js'
import { runConformance, ALL_CASES } from '../../src/conform/index.js'
import { conformCommand } from '../../src/cli/commands/conform.js'
import { createOutput } from '../../src/cli/output.js'

const node = new Libp2pNode({ listenAddrs: ['/ip4/127.0.0.1/tcp/0'], echo: true })
await node.start()
t.teardown(async () => { await node.stop() })
const target = node.multiaddrs[0].toString()

t.test('every case passes against our listener', async t => {
  const { results, summary } = await runConformance(target, { stepTimeoutMs: 2000 })
  t.equal(results.length, ALL_CASES.length, 'one result per case')
  for (const r of results) t.equal(r.status, 'pass', `${r.id}: ${r.detail}`)
  t.same(summary, { target, passed: ALL_CASES.length, failed: 0, notApplicable: 0, ok: true })
})

t.test('p2p conform --json: one object per case, then the summary; exit 0', async t => {
  let text = ''
  const stdout = new Writable({ write (chunk: Buffer, _enc, cb) { text += chunk.toString(); cb() } })
  const out = createOutput(true, stdout, stdout)
  const code = await conformCommand([target, '--json', '--only', 'multistream.,yamux.ping,ping.'], out)
  t.equal(code, 0)
  const lines = text.trim().split('\n').map(line => JSON.parse(line) as Record<string, unknown>)
  t.same(lines.slice(0, -1).map(l => l.case), ['multistream.na-then-continue', 'multistream.ls', 'multistream.over-long-message', 'yamux.ping', 'ping.round-trip'])
  for (const l of lines.slice(0, -1)) {
    t.equal(l.status, 'pass')
    t.type(l.section, 'string')
    t.type(l.required, 'boolean')
  }
  t.match(lines[lines.length - 1], { summary: true, passed: 5, failed: 0, ok: true })
})

t.test('human output: a row per case and a summary line', async t => {
  let text = ''
  const stdout = new Writable({ write (chunk: Buffer, _enc, cb) { text += chunk.toString(); cb() } })
  const code = await conformCommand([target, '--only', 'noise.handshake'], createOutput(false, stdout, stdout))
  t.equal(code, 0)
  t.match(text, /noise\.handshake\s+pass\s+remote peer 12D3KooW/)
  t.match(text, /1 passed, 0 failed, 0 not applicable: all required cases passed/)
  t.notMatch(text, /\\n/, 'real line breaks, not escaped ones')
  const lines = text.trimEnd().split('\n')
  t.match(lines, [/^conformance of \/ip4\//, /^case\s+result\s+seen \/ spec section$/, /^noise\.handshake\s+pass/, /^\s+\S/, /passed/], 'header, the case and its spec section, summary: a line each')
})

t.test('an application that resets at EOF is not held against the muxer (go-libp2p\'s ping handler does)', async t => {
  // our muxers (conforming), but ping answered as go-libp2p's PingHandler
  // answers it: echo every 32 bytes, and reset the stream at EOF
  const peer = new Libp2pNode({ listenAddrs: ['/ip4/127.0.0.1/tcp/0'] })
  await peer.start()
  t.teardown(async () => { await peer.stop() })
  peer.unhandle('/ipfs/ping/1.0.0')
  const streamIds: number[] = []
  peer.handle('/ipfs/ping/1.0.0', stream => {
    streamIds.push((stream as unknown as { id: number }).id)
    let pending = Buffer.alloc(0)
    stream.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk])
      while (pending.length >= 32) {
        stream.write(pending.subarray(0, 32))
        pending = pending.subarray(32)
      }
    })
    stream.on('end', () => { stream.destroy() })
  })
  const cases = ['yamux.half-close', 'yamux.window-update-after-fin', 'mplex.half-close']
  const { results } = await runConformance(peer.multiaddrs[0].toString(), { stepTimeoutMs: 2000, only: cases })
  t.same(results.map(r => r.id), cases)
  for (const r of results) t.equal(r.status, 'pass', `${r.id}: ${r.detail}`)
  t.match(results.find(r => r.id === 'yamux.half-close')?.detail, /then RST/, 'the reset is reported')
  t.match(results.find(r => r.id === 'mplex.half-close')?.detail, /then Reset/)
  // the prober dials, so its mplex streams have odd IDs (mplex README "Opening a new stream")
  const mplexId = streamIds[streamIds.length - 1]
  t.equal(mplexId % 2, 1, `the prober's mplex stream ID is odd (${mplexId})`)
})

t.test('identify.contents passes behind a port-mapping proxy, and says so', async t => {
  const net = await import('node:net')
  const { port } = node.multiaddrs[0].toSocketAddress()
  const proxy = net.createServer(client => {
    const upstream = net.connect(port, '127.0.0.1')
    client.pipe(upstream).pipe(client)
    client.on('error', () => { upstream.destroy() })
    upstream.on('error', () => { client.destroy() })
  })
  await new Promise<void>(resolve => proxy.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { proxy.close() })
  const peerId = node.peerId.toString()
  const target = `/ip4/127.0.0.1/tcp/${(proxy.address() as { port: number }).port}/p2p/${peerId}`
  const { results } = await runConformance(target, { stepTimeoutMs: 2000, only: ['identify.contents'] })
  t.equal(results[0]?.status, 'pass', results[0]?.detail)
  t.match(results[0]?.detail, /note: observedAddr is not our port/)
})
