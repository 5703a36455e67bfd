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
})
