// `p2p trace` and `p2p listen --trace --keylog`: the trace's content for a
// real connection, its JSON form, and that Noise keys appear in the key log
// and nowhere else.
import t from 'tap'
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { PassThrough } from 'node:stream'
import { Libp2pNode } from '../../src/node/index.js'
import { traceCommand, commandTraceSink } from '../../src/cli/commands/trace.js'
import { listenCommand } from '../../src/cli/commands/listen.js'
import { createOutput } from '../../src/cli/output.js'
import { parseKeyLog } from '../../src/trace/index.js'

function capture (json: boolean): { out: ReturnType<typeof createOutput>, text: () => string } {
  const stdout = new PassThrough()
  const chunks: Buffer[] = []
  stdout.on('data', (c: Buffer) => chunks.push(c))
  return { out: createOutput(json, stdout, stdout), text: () => Buffer.concat(chunks).toString('utf8') }
}

async function withListener (fn: (addr: string, node: Libp2pNode) => Promise<void>): Promise<void> {
  const node = new Libp2pNode({ listenAddrs: ['/ip4/127.0.0.1/tcp/0'], echo: true })
  await node.start()
  try {
    await fn(node.multiaddrs[0].toString(), node)
  } finally {
    await node.stop()
  }
}

t.test('p2p trace MA: every layer, in order', async t => {
  await withListener(async (addr, node) => {
    const { out, text } = capture(false)
    t.equal(await traceCommand([addr], out), 0)
    const lines = text().trimEnd().split('\n')
    const expected = [
      /^\+ *[\d.]+ms #1 tcp +connected \/ip4\/127\.0\.0\.1\/tcp\/\d+ -> \/ip4\/127\.0\.0\.1\/tcp\/\d+ \(we dialled\)$/,
      / multistream -> \/multistream\/1\.0\.0 \(20 bytes\)$/,
      / multistream -> \/noise \(8 bytes\)$/,
      / noise +-> message 1 \[-> e\] 34 bytes, payload: empty$/,
      / multistream <- \/noise \(8 bytes\)$/,
      / noise +<- message 2 \[<- e, ee, s, es\] \d+ bytes, payload: NoiseHandshakePayload: identity_key 36 bytes, identity_sig 64 bytes, stream_muxers \[\/yamux\/1\.0\.0, \/mplex\/6\.7\.0\]$/,
      / noise +-> message 3 \[-> s, se\] \d+ bytes/,
      / noise +our identity: Ed25519 key, peer 12D3KooW\w+, extensions: stream_muxers \[\/yamux\/1\.0\.0, \/mplex\/6\.7\.0\]$/,
      new RegExp(` noise +remote identity: Ed25519 key, peer ${node.peerId.toString()}, signature over its Noise static key verified`),
      / muxer +muxer \/yamux\/1\.0\.0 \(inlined in the Noise handshake\)$/,
      / yamux +-> Window Update flags=SYN stream=1 delta=0$/,
      / multistream -> stream 1: \/ipfs\/ping\/1\.0\.0 \(18 bytes\)$/,
      / app +-> stream 1 \/ipfs\/ping\/1\.0\.0: 32 bytes [0-9a-f]{32}…$/,
      / multistream <- stream 1: \/ipfs\/ping\/1\.0\.0 \(18 bytes\)$/,
      / app +<- stream 1 \/ipfs\/ping\/1\.0\.0: 32 bytes [0-9a-f]{32}…$/,
      / yamux +-> Go Away flags=0 stream=0 code=0$/,
      / tcp +connection closed$/,
      new RegExp(`^traced: ${node.peerId.toString()} over /yamux/1.0.0, ping [\\d.]+ ms$`)
    ]
    let from = 0
    for (const re of expected) {
      const at = lines.findIndex((l, i) => i >= from && re.test(l))
      t.ok(at >= 0, `${re.source} after line ${from}`)
      if (at < 0) {
        t.comment(lines.slice(from).join('\n'))
        break
      }
      from = at + 1
    }
    const sent = lines.find(l => / app +-> stream 1/.test(l))?.match(/bytes ([0-9a-f]{32})/)?.[1]
    const echoed = lines.find(l => / app +<- stream 1/.test(l))?.match(/bytes ([0-9a-f]{32})/)?.[1]
    t.equal(echoed, sent, 'the ping payload comes back unchanged')
    t.notMatch(text(), /\u001b/, 'no colours when not on a TTY')
  })
})

t.test('p2p trace --json --muxer mplex --echo: one event per line', async t => {
  await withListener(async addr => {
    const { out, text } = capture(true)
    t.equal(await traceCommand([addr, '--json', '--muxer', 'mplex', '--echo', '100', '--ping', '0'], out), 0)
    const records = text().trimEnd().split('\n').map(l => JSON.parse(l))
    const layers = new Set(records.map(r => r.layer))
    for (const layer of ['tcp', 'multistream', 'noise', 'muxer', 'mplex', 'app']) t.ok(layers.has(layer), `a ${layer} event`)
    t.ok(records.every((r, i) => i === records.length - 1 || (typeof r.t === 'number' && r.connection === 1)), 'every event has a time and a connection')
    t.match(records.find(r => r.type === 'mplex:frame' && r.frame === 'NewStream'), { direction: 'out', opener: 'local', streamId: 1 })
    t.match(records.find(r => r.type === 'multistream' && r.scope === 'stream' && r.direction === 'in'), { message: '/multistream/1.0.0' })
    t.match(records.filter(r => r.type === 'app:data' && r.protocol === '/echo/1.0.0').map(r => [r.direction, r.length]), [['out', 100], ['in', 100]])
    t.same(records.at(-1), { type: 'summary', remotePeer: records.find(r => r.type === 'noise:identity' && r.side === 'remote').peerId, muxer: '/mplex/6.7.0', echoOk: true })
    const atSummary = text()
    await new Promise(resolve => setTimeout(resolve, 100))
    t.equal(text(), atSummary, 'the summary stays the last line')
  })
})

/** Runs `p2p ARGS` from the sources in a child process. */
function p2p (args: string[], env: Record<string, string> = {}): { done: Promise<{ code: number | null, stdout: string, stderr: string }> } {
  const child = spawn(process.execPath, [...process.execArgv, path.join(import.meta.dirname, '../trace/run-cli.ts'), ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (c: Buffer) => { stdout += c.toString() })
  child.stderr.on('data', (c: Buffer) => { stderr += c.toString() })
  const done = new Promise<{ code: number | null, stdout: string, stderr: string }>(resolve => {
    child.on('close', code => { resolve({ code, stdout, stderr }) })
  })
  return { done }
}

t.test('--keylog: the keys are in the key log, and nowhere else', async t => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'p2p-keylog-'))
  t.teardown(() => { fs.rmSync(dir, { recursive: true, force: true }) })
  const listenerLog = path.join(dir, 'listener.keys')
  const dialerLog = path.join(dir, 'dialer.keys')
  // the listener runs in this process, its output captured
  const { out, text } = capture(true)
  let stop: () => void = () => {}
  const stopped = new Promise<void>(resolve => { stop = resolve })
  let resolveAddr: (addr: string) => void = () => {}
  const listening = new Promise<string>(resolve => { resolveAddr = resolve })
  const realRecord = out.record
  out.record = value => {
    if (Array.isArray(value.listenAddrs)) resolveAddr(String(value.listenAddrs[0]))
    realRecord(value)
  }
  const listenerExit = listenCommand(['--json', '--trace', '--keylog', listenerLog], out, stopped)
  const addr = await listening
  // a trace with a key log, and a ping with every debug namespace on
  const [withLog, withoutLog] = await Promise.all([
    p2p(['trace', addr, '--keylog', dialerLog]).done,
    p2p(['ping', addr, '-c', '1'], { DEBUG: 'p2p:*' }).done
  ])
  stop()
  const listened = { code: await listenerExit, stdout: text(), stderr: '' }
  t.equal(withLog.code, 0, withLog.stderr)
  t.equal(withoutLog.code, 0, withoutLog.stderr)
  t.equal(listened.code, 0, listened.stderr)
  t.match(withLog.stdout, /message 3 \[-> s, se\]/, 'the trace was printed')
  t.match(withoutLog.stderr, /p2p:noise #1 -> message 1 \[-> e\]/, 'DEBUG=p2p:* logs every layer to stderr')
  t.match(listened.stdout, /"type":"noise:message"/, 'the listener traced too')

  const dialerKeys = parseKeyLog(fs.readFileSync(dialerLog, 'utf8'))
  const listenerKeys = parseKeyLog(fs.readFileSync(listenerLog, 'utf8'))
  t.equal(dialerKeys.length, 1, 'one connection logged by the dialer')
  t.equal(listenerKeys.length, 2, 'both connections logged by the listener')
  t.ok(listenerKeys.some(k => JSON.stringify(k) === JSON.stringify(dialerKeys[0])), 'both ends logged the same keys for the same connection')
  const secrets = listenerKeys.flatMap(k => [k.handshakeHash, k.initiatorToResponder, k.responderToInitiator])
  t.equal(secrets.length, 6)
  for (const secret of secrets) {
    t.match(secret, /^[0-9a-f]{64}$/)
    for (const [name, output] of Object.entries({ withLog, withoutLog, listened })) {
      t.notOk(output.stdout.includes(secret) || output.stderr.includes(secret), `no key in ${name}'s stdout or stderr`)
    }
  }
})

t.test('colours on a TTY, unless NO_COLOR', async t => {
  const event = { t: 1, connection: 1, type: 'tcp:close' } as const
  const { out, text } = capture(false)
  const saved = process.env.NO_COLOR
  delete process.env.NO_COLOR
  commandTraceSink(out, true)(event)
  process.env.NO_COLOR = '1'
  commandTraceSink(out, true)(event)
  if (saved === undefined) delete process.env.NO_COLOR
  else process.env.NO_COLOR = saved
  const [coloured, plain] = text().trimEnd().split('\n')
  t.match(coloured, /\u001b\[33mtcp/, 'the layer in its colour')
  t.equal(plain, '+    1.000ms #1 tcp            connection closed')
})

t.test('text a peer sent is escaped in a trace line, coloured or not: only our colours reach the terminal', async t => {
  const event = { t: 1, connection: 1, type: 'multistream', scope: 'connection', direction: 'in', message: '/evil\n\u001b]0;pwned\u0007' } as const
  const { out, text } = capture(false)
  const saved = process.env.NO_COLOR
  delete process.env.NO_COLOR
  commandTraceSink(out, true)(event)
  commandTraceSink(out, false)(event)
  if (saved === undefined) delete process.env.NO_COLOR
  else process.env.NO_COLOR = saved
  const lines = text().trimEnd().split('\n')
  t.equal(lines.length, 2, 'one line each')
  t.match(lines[0], /\u001b\[35mmultistream/, 'our colour')
  t.match(lines[0], /\/evil\\n\\x1b\]0;pwned\\x07$/, 'the peer\'s escape sequence, escaped')
  t.notMatch(lines[0], /\u001b\]/, 'no raw OSC sequence')
  t.equal(lines[1], '+    1.000ms #1 multistream <- /evil\\n\\x1b]0;pwned\\x07')
})
