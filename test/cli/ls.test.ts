// `p2p ls MA`: identify's answer and multistream `ls`, against our own
// listener and a js-libp2p one.
import t from 'tap'
import { PassThrough } from 'node:stream'
import { Libp2pNode, AGENT_VERSION } from '../../src/node/index.js'
import { lsCommand, formatLs } from '../../src/cli/commands/ls.js'
import type { LsResult } from '../../src/cli/commands/ls.js'
import { createOutput } from '../../src/cli/output.js'
import { createJsNode } from '../interop/js-peer.js'
import { openSignedPeerRecord } from '../../src/protocols/index.js'

async function runLs (args: string[], json: boolean): Promise<{ code: number, text: string }> {
  const stdout = new PassThrough()
  const chunks: Buffer[] = []
  stdout.on('data', (c: Buffer) => chunks.push(c))
  const code = await lsCommand(args, createOutput(json, stdout, stdout))
  return { code, text: Buffer.concat(chunks).toString('utf8') }
}

const SERVED = ['/echo/1.0.0', '/ipfs/id/1.0.0', '/ipfs/id/push/1.0.0', '/ipfs/ping/1.0.0', '/perf/1.0.0']

t.test('against our listener: identify and ls agree on what it serves', async t => {
  const node = new Libp2pNode({ listenAddrs: ['/ip4/127.0.0.1/tcp/0'], echo: true, perf: true })
  await node.start()
  t.teardown(async () => { await node.stop() })
  const addr = node.multiaddrs[0].toString()

  const { code, text } = await runLs([addr, '--json'], true)
  t.equal(code, 0)
  const lines = text.trimEnd().split('\n')
  t.equal(lines.length, 1, 'one JSON object')
  const result = JSON.parse(lines[0]) as LsResult
  t.equal(result.remotePeer, node.peerId.toString())
  t.equal(result.agentVersion, AGENT_VERSION)
  t.equal(result.protocolVersion, 'ipfs/0.1.0')
  t.same([...result.protocols].sort(), SERVED, 'identify lists every protocol served')
  t.same([...(result.ls ?? [])].sort(), SERVED, 'multistream ls lists the same protocols')
  t.same(result.listenAddrs, [addr.replace(/\/p2p\/.*$/, '')], 'the listen address')
  t.match(result.observedAddr, /^\/ip4\/127\.0\.0\.1\/tcp\/\d+$/, 'where it saw us come from')
  const ours = node.identifyService.localInfo().signedPeerRecord
  t.same(result.signedPeerRecord, { seq: ours === undefined ? 'none' : openSignedPeerRecord(ours).seq.toString() }, 'the seq of the record it sent')

  const human = await runLs([addr], false)
  t.equal(human.code, 0)
  t.same(human.text.trimEnd().split('\n'), formatLs({ ...result, remotePeer: node.peerId.toString(), observedAddr: human.text.match(/observed +(\S+)/)?.[1] }))
  t.match(human.text, new RegExp(`^peer +${node.peerId.toString()}\\nagent +${AGENT_VERSION.replace(/[.+/]/g, '\\$&')}\\n`))
  t.match(human.text, /identify protocols \(5\):\n( {2}\/.*\n){5}multistream ls \(5\):\n/)
})

t.test('formatLs: a remote that does not answer ls', async t => {
  t.same(formatLs({ remotePeer: 'P', listenAddrs: [], protocols: ['/a'], signedPeerRecord: null, ls: null, lsError: 'ERR_PROTOCOL_NOT_SUPPORTED: na' }), [
    'peer        P',
    'record      none',
    'identify protocols (1):',
    '  /a',
    'multistream ls: not answered (ERR_PROTOCOL_NOT_SUPPORTED: na)'
  ])
})

t.test('formatLs: a verified record, and one set aside', async t => {
  const base = { remotePeer: 'P', listenAddrs: ['/ip4/10.0.0.1/tcp/1'], protocols: [], ls: [] }
  t.equal(formatLs({ ...base, signedPeerRecord: { seq: '18446744073709551615' } })[2], 'record      seq 18446744073709551615, signature verified (listen addresses above are the record\'s)')
  t.equal(formatLs({ ...base, signedPeerRecord: { rejected: 'ERR_ENVELOPE_INVALID_SIGNATURE: bad' } })[2], 'record      set aside: ERR_ENVELOPE_INVALID_SIGNATURE: bad')
})

t.test('against a js-libp2p listener', async t => {
  const js = await createJsNode({ muxer: 'yamux' })
  t.teardown(async () => { await js.stop() })
  const addr = js.getMultiaddrs()[0].toString()
  const { code, text } = await runLs([addr, '--json', '--timeout', '2000'], true)
  t.equal(code, 0)
  const result = JSON.parse(text) as LsResult
  t.equal(result.remotePeer, js.peerId.toString())
  t.match(result.agentVersion, /js-libp2p/)
  for (const p of ['/ipfs/id/1.0.0', '/ipfs/ping/1.0.0', '/echo/1.0.0']) t.ok(result.protocols.includes(p), `identify lists ${p}`)
  t.same([...(result.ls ?? [])].sort(), [...result.protocols].sort(), 'js-libp2p answers ls with what identify lists')
  t.match(result.signedPeerRecord, { seq: /^\d+$/ }, 'js-libp2p signs its record, and we verify it')
})
