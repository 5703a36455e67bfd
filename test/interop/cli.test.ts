// The `p2p` command (../shared/DESIGN.md "The p2p command") against a real
// js-libp2p node, run as a child process:
//   p2p dial <js addr> --ping 3 --identify --echo 65536 --json --muxer yamux
//   p2p listen --json, dialled by a js node, then stopped with SIGTERM

import './polyfill.js'
import t from 'tap'
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { createInterface } from 'node:readline'
import { readdirSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { randomBytes } from 'node:crypto'
import { createJsNode, jsEcho, multiaddr } from './js-peer.js'
import type { JsMuxerName } from './js-peer.js'
import { MUXER_PROTOCOL, within } from './helpers.js'
import { CODE_P2P } from '../../src/multiaddr/index.js'
import { AGENT_VERSION } from '../../src/node/index.js'

t.jobs = 2 // the two child processes run side by side

/** A child process may load the TypeScript sources first; allow for a busy machine. */
const CHILD_TIMEOUT_MS = 30_000

/** The echo size the issue asks the CLI to run. */
const ECHO_BYTES = 65536

const ROOT = fileURLToPath(new URL('../../', import.meta.url))

/**
 * How the child runs the `p2p` command: bin/p2p.js (the compiled dist/) when
 * dist/ is at least as new as every source file, since it starts in a
 * fraction of the time; otherwise the TypeScript source through tap's loader
 * (process.execArgv), with an inline entry rather than a helper file, because
 * tap given a folder runs every file in it as a test. P2P_INTEROP_FROM_SOURCE=1
 * forces the source.
 */
function p2pCommand (): { argv: string[], how: string } {
  if (process.env.P2P_INTEROP_FROM_SOURCE !== '1' && distIsFresh()) return { argv: [join(ROOT, 'bin/p2p.js')], how: 'bin/p2p.js (dist/ is up to date)' }
  const main = new URL('../../src/cli/main.js', import.meta.url).href
  const entry = `const { main } = await import(${JSON.stringify(main)}); process.exitCode = await main(process.argv.slice(1))`
  return { argv: [...process.execArgv, '--input-type=module', '--eval', entry], how: 'src/cli/main.ts through tap\'s TypeScript loader (dist/ is missing or stale, or P2P_INTEROP_FROM_SOURCE=1)' }
}

/** True when every src/**\/*.ts has a dist/src/**\/*.js at least as new. */
function distIsFresh (): boolean {
  const walk = (dir: string): string[] => readdirSync(dir, { withFileTypes: true })
    .flatMap(e => e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)])
  try {
    return walk(join(ROOT, 'src')).filter(f => f.endsWith('.ts')).every(file => {
      const built = join(ROOT, 'dist', relative(ROOT, file)).replace(/\.ts$/, '.js')
      return statSync(built).mtimeMs >= statSync(file).mtimeMs
    })
  } catch {
    return false
  }
}

const P2P = p2pCommand()
t.comment(`running the p2p command as ${P2P.how}`)

function p2p (args: string[]): ChildProcess {
  return spawn(process.execPath, [...P2P.argv, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
}

async function run (args: string[]): Promise<{ code: number | null, stdout: string, stderr: string }> {
  const child = p2p(args)
  let stdout = ''
  let stderr = ''
  child.stdout?.setEncoding('utf8').on('data', (s: string) => { stdout += s })
  child.stderr?.setEncoding('utf8').on('data', (s: string) => { stderr += s })
  const timer = setTimeout(() => { child.kill('SIGKILL') }, CHILD_TIMEOUT_MS)
  const [code] = await once(child, 'exit') as [number | null]
  clearTimeout(timer)
  return { code, stdout, stderr }
}

const muxer: JsMuxerName = 'yamux'
t.test(`p2p dial <js addr> --ping 3 --identify --echo ${ECHO_BYTES} --json --muxer ${muxer}`, async t => {
  const js = await createJsNode({ muxer })
  t.teardown(async () => { await js.stop() })
  const target = js.getMultiaddrs()[0].toString()
  const { code, stdout, stderr } = await run(['dial', target, '--ping', '3', '--identify', '--echo', String(ECHO_BYTES), '--json', '--muxer', muxer])
  t.equal(stderr, '', 'nothing on stderr')
  t.equal(code, 0, 'exit code 0')
  const lines = stdout.trimEnd().split('\n')
  t.equal(lines.length, 1, 'exactly one JSON line')
  const result = JSON.parse(lines[0]) as Record<string, unknown>
  t.equal(result.remotePeer, js.peerId.toString())
  t.equal(result.encryption, '/noise')
  t.equal(result.muxer, MUXER_PROTOCOL[muxer])
  t.ok(typeof result.connectMs === 'number' && result.connectMs > 0, `connectMs ${String(result.connectMs)}`)
  const pingMs = result.pingMs as unknown[]
  t.ok(Array.isArray(pingMs) && pingMs.length === 3, 'pingMs has 3 entries')
  t.ok(pingMs.every(ms => typeof ms === 'number' && ms >= 0), `pingMs are durations: ${JSON.stringify(pingMs)}`)
  t.equal(result.echoOk, true, 'echo of 64 KiB came back byte-exact')
  const identify = result.identify as Record<string, unknown>
  t.match(identify.agentVersion, /^js-libp2p\/3\./)
  t.type(identify.protocolVersion, 'string')
  for (const protocol of ['/echo/1.0.0', '/ipfs/id/1.0.0', '/ipfs/ping/1.0.0']) {
    t.ok((identify.protocols as string[]).includes(protocol), `identify lists ${protocol}`)
  }
  t.ok((identify.listenAddrs as string[]).includes(js.getMultiaddrs()[0].decapsulateCode(CODE_P2P).toString()), 'identify lists the js listen address')
  // js-libp2p appends /p2p/<our ID> to the observed address
  t.match(identify.observedAddr, /^\/ip4\/127\.0\.0\.1\/tcp\/\d+(\/p2p\/12D3KooW[1-9A-HJ-NP-Za-km-z]+)?$/, 'js observed our loopback address')
})

t.test('p2p listen --json, dialled by a js node', async t => {
  const child = p2p(['listen', '--json'])
  let stderr = ''
  child.stderr?.setEncoding('utf8').on('data', (s: string) => { stderr += s })
  t.teardown(() => { if (child.exitCode === null) child.kill('SIGKILL') })
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]()
  const first = await within('p2p listen to print its addresses', lines.next(), CHILD_TIMEOUT_MS)
  const listening = JSON.parse(first.value as string) as { peerId: string, listenAddrs: string[] }
  t.match(listening.peerId, /^12D3KooW/, 'an Ed25519 peer ID')
  t.equal(listening.listenAddrs.length, 1)
  t.match(listening.listenAddrs[0], new RegExp(`^/ip4/127\\.0\\.0\\.1/tcp/\\d+/p2p/${listening.peerId}$`))

  const js = await createJsNode({ muxer: 'yamux', listen: false })
  t.teardown(async () => { await js.stop() })
  const identified = new Promise<{ agentVersion?: string, protocols: string[] }>(resolve => {
    js.addEventListener('peer:identify', evt => { resolve(evt.detail) })
  })
  const disconnected = new Promise<string>(resolve => { js.addEventListener('peer:disconnect', evt => { resolve(evt.detail.toString()) }) })
  const connection = await js.dial(multiaddr(listening.listenAddrs[0]))
  t.equal(connection.remotePeer.toString(), listening.peerId)
  t.equal(connection.multiplexer, MUXER_PROTOCOL.yamux)
  const rtt = await js.services.ping.ping(connection.remotePeer)
  t.ok(Number.isFinite(rtt) && rtt >= 0, `js pinged p2p listen: ${rtt} ms`)
  const info = await within('js identify of p2p listen', identified)
  t.equal(info.agentVersion, AGENT_VERSION)
  for (const protocol of ['/echo/1.0.0', '/ipfs/id/1.0.0', '/ipfs/id/push/1.0.0', '/ipfs/ping/1.0.0', '/perf/1.0.0']) {
    t.ok(info.protocols.includes(protocol), `p2p listen serves ${protocol}`)
  }
  const data = randomBytes(ECHO_BYTES)
  t.ok(Buffer.from(await jsEcho(js, connection.remotePeer, data)).equals(data), 'p2p listen echoed 64 KiB byte-exact')

  child.kill('SIGTERM')
  const [code] = await within('p2p listen to exit after SIGTERM', once(child, 'exit'), CHILD_TIMEOUT_MS) as [number | null]
  t.equal(code, 0, 'p2p listen exits 0 on SIGTERM')
  t.equal(stderr, '', 'nothing on stderr')
  t.equal(await within('js to see p2p listen leave', disconnected), listening.peerId)
  const rest: string[] = []
  for (let line = await lines.next(); line.done !== true; line = await lines.next()) rest.push(line.value as string)
  t.same(rest, [], 'nothing but the one JSON line on stdout')
  t.same(js.getConnections(), [])
})
