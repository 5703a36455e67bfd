import t from 'tap'
import { closeSync, existsSync, mkdtempSync, openSync, statSync, writeFileSync } from 'node:fs'
import { spawn } from 'node:child_process'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { once } from 'node:events'
import { P2P, run, start, firstLine } from './fixtures/run.js'
import { Libp2pNode } from '../../src/node/index.js'
import { ECHO_PROTOCOL } from '../../src/protocols/index.js'
import { compareEcho } from '../../src/cli/commands/dial.js'

const dir = mkdtempSync(join(tmpdir(), 'p2p-cli-'))

// every test here starts `p2p` processes, each compiling the TypeScript
// sources on its own: on a fresh clone (a cold compile cache) and 2 busy
// cores the file takes about two minutes, tap's default limit
t.setTimeout(300_000)

t.test('p2p id creates a key file once and prints the same peer ID after', async t => {
  const identity = join(dir, 'id.key')
  const first = await run(P2P, ['id', '--identity', identity, '--json'])
  t.equal(first.code, 0)
  const created = JSON.parse(first.stdout) as { peerId: string, created: boolean, keyType: string }
  t.match(created, { created: true, keyType: 'Ed25519' })
  t.match(created.peerId, /^12D3KooW/)
  t.equal(statSync(identity).mode & 0o777, 0o600, 'the key file is private')
  const second = await run(P2P, ['id', '--identity', identity])
  t.equal(second.stdout.trim(), created.peerId, 'human output is the bare peer ID')
})

t.test('p2p id refuses a foreign file with a one-line typed error', async t => {
  const bad = join(dir, 'bad.key')
  writeFileSync(bad, 'not a key')
  const result = await run(P2P, ['id', '--identity', bad])
  t.equal(result.code, 1)
  t.match(result.stderr, /ERR_INVALID_KEY_FILE/)
  t.equal(result.stderr.trim().split('\n').length, 1)
})

t.test('listen, then dial with ping, echo and identify, then ping, then SIGTERM', async t => {
  const listener = start(P2P, ['listen', '--json'])
  const announced = JSON.parse(await firstLine(listener)) as { peerId: string, listenAddrs: string[] }
  t.match(announced.listenAddrs[0], new RegExp(`^/ip4/127\\.0\\.0\\.1/tcp/\\d+/p2p/${announced.peerId}$`))

  const dial = await run(P2P, ['dial', announced.listenAddrs[0], '--ping', '2', '--echo', '100000', '--identify', '--json'])
  t.equal(dial.code, 0, dial.stderr)
  const result = JSON.parse(dial.stdout) as {
    remotePeer: string, encryption: string, muxer: string, connectMs: number, pingMs: number[], echoOk: boolean,
    identify: { protocols: string[], agentVersion: string, observedAddr: string }
  }
  t.equal(result.remotePeer, announced.peerId)
  t.equal(result.encryption, '/noise')
  t.equal(result.muxer, '/yamux/1.0.0')
  t.ok(result.connectMs > 0)
  t.equal(result.pingMs.length, 2)
  t.equal(result.echoOk, true)
  t.match(result.identify.agentVersion, /^libp2p-ts-stack\//)
  t.same(result.identify.protocols.filter(p => ['/echo/1.0.0', '/ipfs/id/1.0.0', '/ipfs/id/push/1.0.0', '/ipfs/ping/1.0.0', '/perf/1.0.0'].includes(p)).length, 5)
  t.match(result.identify.observedAddr, /^\/ip4\/127\.0\.0\.1\/tcp\/\d+$/)

  const mplex = await run(P2P, ['dial', announced.listenAddrs[0], '--muxer', 'mplex', '--json'])
  t.equal((JSON.parse(mplex.stdout) as { muxer: string }).muxer, '/mplex/6.7.0')

  const ping = await run(P2P, ['ping', announced.listenAddrs[0], '-c', '3'])
  t.equal(ping.code, 0)
  t.equal(ping.stdout.match(/seq=\d time=[\d.]+ ms/g)?.length, 3)
  t.match(ping.stdout, /rtt min\/avg\/max = [\d.]+\/[\d.]+\/[\d.]+ ms/)

  listener.kill('SIGTERM')
  const [code] = await once(listener, 'exit') as [number]
  t.equal(code, 0, 'clean shutdown on SIGTERM')
})

t.test('bad usage exits non-zero with one line', async t => {
  const unknown = await run(P2P, ['frobnicate'])
  t.equal(unknown.code, 2)
  t.match(unknown.stderr, /unknown command "frobnicate"/)
  const badMuxer = await run(P2P, ['dial', '/ip4/127.0.0.1/tcp/1', '--muxer', 'spdy'])
  t.equal(badMuxer.code, 1)
  t.match(badMuxer.stderr, /unknown muxer "spdy"/)
  const refused = await run(P2P, ['dial', '/ip4/127.0.0.1/tcp/1'])
  t.equal(refused.code, 1)
  t.match(refused.stderr, /ERR_CONNECTION_FAILED/)

  const none = await run(P2P, [])
  t.equal(none.code, 1)
  t.match(none.stdout, /^usage: p2p <command>/)
  t.equal(none.stderr, 'p2p: no command given (the usage above lists them)\n', 'one line on stderr')
  const unknownOption = await run(P2P, ['id', '--bogus'])
  t.equal(unknownOption.code, 1)
  t.match(unknownOption.stderr, /^p2p id: ERR_INVALID_PARAMETERS: Unknown option '--bogus'/, 'parseArgs errors are typed as usage errors')
  const missingValue = await run(P2P, ['id', '--identity'])
  t.match(missingValue.stderr, /^p2p id: ERR_INVALID_PARAMETERS: Option '--identity <value>' argument missing/)
  // checked before dialling: nothing on stdout, and no connection error
  const zero = await run(P2P, ['ping', '/ip4/127.0.0.1/tcp/1', '-c', '0'])
  t.equal(zero.code, 1)
  t.equal(zero.stdout, '')
  t.match(zero.stderr, /^p2p ping: ERR_INVALID_PARAMETERS: -c must be an integer of at least 1, got "0"\n$/)
  const two = await run(P2P, ['dial', '/ip4/127.0.0.1/tcp/1', '/ip4/127.0.0.1/tcp/2'])
  t.equal(two.code, 1)
  t.match(two.stderr, /^p2p dial: ERR_INVALID_PARAMETERS: expected one MULTIADDR, got 2 \(\/ip4\/127\.0\.0\.1\/tcp\/1 \/ip4\/127\.0\.0\.1\/tcp\/2\)/)
  // a key log that cannot be written fails the command at once, not every handshake after
  const keylog = await run(P2P, ['listen', '--keylog', join(dir, 'missing-dir', 'keys.log')])
  t.equal(keylog.code, 1)
  t.match(keylog.stderr, /^p2p listen: ERR_KEYLOG_UNWRITABLE: cannot write the key log ".*keys\.log": ENOENT/)
})

t.test('a reader that goes away (p2p ping MA | head -1) is no failure: no EPIPE trace, exit 0', async t => {
  const listener = start(P2P, ['listen', '--json'])
  t.teardown(() => { listener.kill('SIGKILL') })
  const announced = JSON.parse(await firstLine(listener)) as { listenAddrs: string[] }
  const ping = start(P2P, ['ping', announced.listenAddrs[0], '-c', '3'])
  let stderr = ''
  ping.stderr?.on('data', (d: Buffer) => { stderr += d.toString() })
  await once(ping.stdout!, 'data')
  ping.stdout?.destroy() // as head does after its line
  const [code] = await once(ping, 'exit') as [number]
  t.equal(code, 0, stderr)
  t.notMatch(stderr, /EPIPE|at /, 'no stack trace')
})

t.test('output that cannot be written (a full disk) fails the command with one line, no stack trace', { skip: existsSync('/dev/full') ? false : 'no /dev/full here' }, async t => {
  const full = openSync('/dev/full', 'w')
  t.teardown(() => { closeSync(full) })
  const child = spawn(process.execPath, [...process.execArgv, P2P, 'version'], { stdio: ['ignore', full, 'pipe'] })
  let stderr = ''
  child.stderr?.on('data', (d: Buffer) => { stderr += d.toString() })
  const [code] = await once(child, 'exit') as [number]
  t.equal(code, 1)
  t.equal(stderr, 'p2p: ERR_OUTPUT_FAILED: cannot write the output: ENOSPC\n')
})

t.test('an echo that comes back short or changed is a failure with a one-line error', async t => {
  const listener = new Libp2pNode({ listenAddrs: ['/ip4/127.0.0.1/tcp/0'] })
  // echoes half of what it is sent, then ends its side
  listener.handle(ECHO_PROTOCOL, async stream => {
    const chunks: Buffer[] = []
    // not `for await (… of stream)`: its end would destroy the stream before we answer
    for await (const chunk of stream.iterator({ destroyOnReturn: false })) chunks.push(chunk as Buffer)
    const all = Buffer.concat(chunks)
    stream.end(all.subarray(0, all.length / 2))
  })
  await listener.start()
  t.teardown(async () => { await listener.stop() })
  const dial = await run(P2P, ['dial', listener.multiaddrs[0].toString(), '--echo', '1000', '--json'])
  t.equal(dial.code, 1)
  t.equal((JSON.parse(dial.stdout) as { echoOk: boolean }).echoOk, false, 'the result is still printed')
  t.equal(dial.stderr, 'p2p dial: ERR_ECHO_MISMATCH: the echo ended after 500 of the 1000 bytes sent\n')
  const trace = await run(P2P, ['trace', listener.multiaddrs[0].toString(), '--echo', '1000'])
  t.equal(trace.code, 1, 'trace fails too')
  t.match(trace.stdout, /traced: .* echo of 1000 bytes MISMATCH\n$/)
  t.match(trace.stderr, /^p2p trace: ERR_ECHO_MISMATCH: the echo ended after 500 of the 1000 bytes sent\n$/)
})

t.test('compareEcho names what went wrong', async t => {
  const sent = Uint8Array.from([1, 2, 3, 4])
  t.same(compareEcho(sent, Uint8Array.from([1, 2, 3, 4])), { ok: true })
  t.same(compareEcho(sent, Uint8Array.from([1, 2, 9, 4])), { ok: false, problem: 'byte 2 of the 4 sent came back changed' })
  t.same(compareEcho(sent, Uint8Array.from([1, 9])), { ok: false, problem: 'byte 1 of the 4 sent came back changed' }, 'a change before the end counts first')
  t.same(compareEcho(sent, Uint8Array.from([1, 2])), { ok: false, problem: 'the echo ended after 2 of the 4 bytes sent' })
  t.same(compareEcho(sent, Uint8Array.from([1, 2, 3, 4, 5, 6])), { ok: false, problem: '2 bytes more came back than the 4 sent' })
})

t.test('--help after a command prints its usage; --version the version', async t => {
  const dial = await run(P2P, ['dial', '--help'])
  t.equal(dial.code, 0)
  t.match(dial.stdout, /^usage: p2p dial MA \[--ping N\] \[--echo BYTES\]/)
  t.equal(dial.stdout.trim().split('\n').length, 1, 'only its own usage')
  const listen = await run(P2P, ['listen', '-h'])
  t.equal(listen.code, 0)
  t.match(listen.stdout, /^usage: p2p listen \[--listen MA \.\.\.\][^\n]*\n {18}\[--muxer yamux,mplex\] \[--peerstore FILE\] \[--trace\] \[--keylog FILE\]\n$/, 'with its continuation line')
  const perf = await run(P2P, ['perf', '--help'])
  t.match(perf.stdout, /^usage: p2p perf MA --upload BYTES --download BYTES +the perf protocol[^\n]*\n +\[--muxer \.\.\.\] \[--identity FILE\]\n +--server-address HOST:PORT \[--transport tcp\]/, 'every option it takes')
  const json = await run(P2P, ['ping', '--help', '--json'])
  t.match(JSON.parse(json.stdout), { usage: /^usage: p2p ping MA \[-c N\]/ }, 'with --json, one JSON object')
  const version = await run(P2P, ['--version', '--json'])
  t.equal(version.code, 0)
  t.same(JSON.parse(version.stdout), { name: 'libp2p-ts-stack', version: '0.1.0', node: process.versions.node })
  // --json before the command counts as after it
  const before = await run(P2P, ['--json', 'ping', '--help'])
  t.match(JSON.parse(before.stdout), { usage: /^usage: p2p ping MA \[-c N\]/ }, '--json before the command')
  const failing = await run(P2P, ['--json', 'dial', '/ip4/127.0.0.1/tcp/1', '--echo', '64KB'])
  t.equal(failing.code, 1)
  t.equal(failing.stdout, '', 'nothing but JSON on stdout')
  const help = await run(P2P, ['help', '--json'])
  t.equal(help.code, 0)
  const { usage } = JSON.parse(help.stdout)
  t.match(usage, /^usage: p2p <command> \[options\]\n[^]*\n {2}conform MA/, 'help --json: the whole usage as one JSON object')
  const human = await run(P2P, ['help'])
  t.equal(human.stdout, `${usage as string}\n`, 'the same text as without --json')
  const none = await run(P2P, ['--json'])
  t.equal(none.code, 1)
  t.equal(none.stdout, '', 'no command: no usage text among the JSON')
})

t.test('byte counts take binary units; --echo is capped', async t => {
  const badSize = await run(P2P, ['dial', '/ip4/127.0.0.1/tcp/1', '--echo', '64KB'])
  t.equal(badSize.code, 1)
  t.match(badSize.stderr, /ERR_INVALID_PARAMETERS: --echo must be a byte count such as 65536, 64KiB or 10MiB, got "64KB"/)
  const tooBig = await run(P2P, ['dial', '/ip4/127.0.0.1/tcp/1', '--echo', '257MiB'])
  t.equal(tooBig.code, 1)
  t.match(tooBig.stderr, /--echo must be at most 268435456 bytes/)
})
