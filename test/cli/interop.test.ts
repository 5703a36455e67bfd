// `p2p interop` (libp2p/test-plans transport-interop) and its Redis client.
// The RESP codec is checked against the examples of the Redis protocol
// specification; the contract end to end through a real redis-server
// (skipped, with a message, when the binary is absent), with redis-cli as
// the independent Redis client, in both roles, against our own peer and
// against js-libp2p.

import t, { type Test } from 'tap'
import fc from 'fast-check'
import { spawn, spawnSync, execFile } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import net from 'node:net'
import { once } from 'node:events'
import { promisify } from 'node:util'
import { PassThrough } from 'node:stream'
import { encodeCommand, decodeReply, parseRedisAddr, RedisClient, MAX_BULK_LENGTH, MAX_NESTING } from '../../src/cli/redis.js'
import type { RespValue } from '../../src/cli/redis.js'
import { interopCommand, parseInteropConfig, formatInteropResult, dialableAddr, LISTENER_ADDR_KEY, DEFAULT_PERF_TIMEOUT_SECONDS } from '../../src/cli/commands/interop.js'
import { PERF_SUITE_DEFAULTS } from '../../src/cli/commands/interop-perf.js'
import type { Env } from '../../src/cli/commands/interop.js'
import { createOutput } from '../../src/cli/output.js'
import { commandUsage, main } from '../../src/cli/main.js'
import { Multiaddr } from '../../src/multiaddr/index.js'
import { isP2PError } from '../../src/util/errors.js'
import { createJsNode, jsEcho, multiaddr } from '../interop/js-peer.js'
import { startDelayProxy } from '../../bench/delay-proxy.js'

const execFileP = promisify(execFile)
const P2P = fileURLToPath(new URL('./fixtures/p2p.ts', import.meta.url))

// ---------------------------------------------------------------- RESP codec

interface VectorValue { simpleString?: string, error?: string, integer?: string, bulkString?: string | null, array?: VectorValue[] | null }
const vectors = JSON.parse(readFileSync(new URL('../../spec-vectors/redis/resp2.json', import.meta.url), 'utf8')) as {
  commands: Array<{ args: string[], wire: string }>
  replies: Array<{ wire: string, value: VectorValue }>
}

/** Our decoded value in the vector file's notation. */
function toVector (value: RespValue): VectorValue {
  switch (value.type) {
    case 'simpleString': return { simpleString: value.value }
    case 'error': return { error: value.message }
    case 'integer': return { integer: value.value.toString() }
    case 'bulkString': return { bulkString: value.value === null ? null : Buffer.from(value.value).toString('utf8') }
    case 'array': return { array: value.items === null ? null : value.items.map(toVector) }
  }
}

const bytes = (text: string): Uint8Array => Buffer.from(text, 'binary')

t.test('RESP: commands encode as the spec shows', async t => {
  for (const v of vectors.commands) {
    t.same(Buffer.from(encodeCommand(v.args)).toString('binary'), v.wire, v.args.join(' '))
  }
  // bulk lengths count bytes, not characters
  t.equal(Buffer.from(encodeCommand(['SET', 'k', 'é'])).toString('binary'), '*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\n\xc3\xa9\r\n')
})

t.test('RESP: every reply example of the spec decodes, byte exact', async t => {
  for (const v of vectors.replies) {
    const decoded = decodeReply(bytes(v.wire))
    t.ok(decoded, v.wire)
    t.same(toVector(decoded!.value), v.value, JSON.stringify(v.wire))
    t.equal(decoded!.bytes, bytes(v.wire).length, 'consumes exactly the reply')
  }
})

t.test('RESP: any prefix is "need more bytes", trailing bytes stay unread', async t => {
  const all = vectors.replies.map(v => v.wire).join('')
  fc.assert(fc.property(fc.integer({ min: 0, max: vectors.replies.length - 1 }), fc.integer({ min: 0, max: 200 }), (i, cut) => {
    const wire = bytes(vectors.replies[i].wire)
    const prefix = wire.subarray(0, Math.min(cut, wire.length - 1))
    return decodeReply(prefix) === undefined
  }), { numRuns: 300 })
  // a stream of replies decodes one after another from offsets
  const stream = bytes(all)
  let offset = 0
  const seen: VectorValue[] = []
  for (;;) {
    const r = decodeReply(stream, offset)
    if (r === undefined) break
    seen.push(toVector(r.value))
    offset += r.bytes
  }
  t.equal(offset, stream.length)
  t.same(seen, vectors.replies.map(v => v.value))
})

t.test('RESP: hostile replies are typed errors', async t => {
  const bad: Array<[string, string]> = [
    ['?oops\r\n', 'unknown type byte'],
    ['_\r\n', 'RESP3 null on a RESP2 connection'],
    [`$${MAX_BULK_LENGTH + 1}\r\n`, 'bulk string over the limit'],
    ['$-2\r\n', 'negative length other than -1'],
    ['$abc\r\n', 'length not a number'],
    ['$3\r\nabcXY', 'bulk string without its CRLF'],
    [':12\rx', 'CR without LF'],
    ['+OK\n', 'LF without CR'],
    [':99999999999999999999\r\n', 'integer beyond 64 bits'],
    ['*1\r\n'.repeat(MAX_NESTING + 1) + ':1\r\n', 'nesting too deep'],
    ['+' + 'a'.repeat(70_000), 'line with no end']
  ]
  for (const [wire, why] of bad) {
    t.throws(() => decodeReply(bytes(wire)), { code: 'ERR_REDIS_PROTOCOL' }, why)
  }
})

t.test('Redis addresses', async t => {
  t.same(parseRedisAddr('redis:6379'), { host: 'redis', port: 6379 })
  t.same(parseRedisAddr('127.0.0.1:7000'), { host: '127.0.0.1', port: 7000 })
  t.same(parseRedisAddr('[::1]:7001'), { host: '::1', port: 7001 })
  t.same(parseRedisAddr('redis://example:7002'), { host: 'example', port: 7002 })
  t.same(parseRedisAddr('redis'), { host: 'redis', port: 6379 })
  for (const bad of ['', 'host:0', 'host:70000', 'host:x']) {
    t.throws(() => parseRedisAddr(bad), { code: 'ERR_INVALID_PARAMETERS' }, bad)
  }
})

// ------------------------------------------------------------ configuration

const BASE: Env = { transport: 'tcp', muxer: 'yamux', security: 'noise', is_dialer: 'true' }

t.test('configuration from the original runner\'s lower-case variables', async t => {
  const c = parseInteropConfig(BASE)
  t.same(c, {
    isDialer: true,
    transport: 'tcp',
    security: 'noise',
    muxer: 'yamux',
    protocol: 'ping',
    pingRoundTrips: 1,
    perf: PERF_SUITE_DEFAULTS,
    ip: '0.0.0.0',
    redisAddr: 'redis:6379',
    timeoutSeconds: 180,
    listenerTimeoutSeconds: 180,
    listenerAddrKey: 'listenerAddr',
    testKey: undefined,
    publish: 'rpush',
    output: 'json'
  })
  const l = parseInteropConfig({ ...BASE, is_dialer: 'false', muxer: 'mplex', ip: '127.0.0.1', redis_addr: 'r:1', test_timeout_seconds: '7' })
  t.match(l, { isDialer: false, muxer: 'mplex', ip: '127.0.0.1', redisAddr: 'r:1', timeoutSeconds: 7 })
  t.equal(parseInteropConfig({ ...BASE, test_timeout_secs: '9' }).timeoutSeconds, 9)
  t.equal(parseInteropConfig({ ...BASE, TEST_TIMEOUT_SECS: '11' }).timeoutSeconds, 11)
})

t.test('configuration from the unified runner\'s upper-case variables', async t => {
  const c = parseInteropConfig({
    IS_DIALER: 'false', TRANSPORT: 'tcp', SECURE_CHANNEL: 'noise', MUXER: 'mplex',
    LISTENER_IP: '0.0.0.0', REDIS_ADDR: 'transport-redis:6379', TEST_KEY: 'a1b2c3d4', DEBUG: 'false'
  })
  t.match(c, { isDialer: false, muxer: 'mplex', redisAddr: 'transport-redis:6379', listenerAddrKey: 'a1b2c3d4_listener_multiaddr', testKey: 'a1b2c3d4', output: 'yaml' })
  // the intermediate runner: lower-case names plus REDIS_ADDR and TEST_KEY, JSON output
  const mid = parseInteropConfig({ ...BASE, REDIS_ADDR: 'transport-redis:6379', TEST_KEY: 'k' })
  t.match(mid, { listenerAddrKey: 'k_listener_multiaddr', redisAddr: 'transport-redis:6379', output: 'json' })
  t.equal(parseInteropConfig({ ...BASE, MUXER: 'mplex' }).muxer, 'mplex', 'upper-case wins')
  t.equal(parseInteropConfig(BASE, 'yaml').output, 'yaml', '--format overrides')
  t.equal(c.publish, 'rpush', 'the listener RPUSHes unless told otherwise')
  t.equal(parseInteropConfig(BASE, undefined, 'set').publish, 'set', '--publish set')
})

t.test('commandUsage: a command\'s usage lines; nothing for what is not a command word', async t => {
  t.match(commandUsage('ping'), /^usage: p2p ping MA \[-c N\]/)
  for (const word of ['', ' ', 'nope', 'pi ng']) t.equal(commandUsage(word), undefined, JSON.stringify(word))
})

t.test('--json asks for the json format: with --format yaml it is a usage error, before anything is dialled', async t => {
  const json = createOutput(true, new PassThrough(), new PassThrough())
  await t.rejects(interopCommand(['--format', 'yaml'], json, { log: () => {} }, { ...BASE, IS_DIALER: 'true' }), { code: 'ERR_INVALID_PARAMETERS', message: /--json and --format yaml/ })
})

t.test('the misc suite\'s PROTOCOL (protocol for older images); ping without it', async t => {
  t.equal(parseInteropConfig(BASE).protocol, 'ping')
  t.equal(parseInteropConfig({ ...BASE, PROTOCOL: 'echo' }).protocol, 'echo')
  t.equal(parseInteropConfig({ ...BASE, protocol: 'identify' }).protocol, 'identify')
  t.equal(parseInteropConfig({ ...BASE, PROTOCOL: 'echo', protocol: 'identify' }).protocol, 'echo', 'upper-case wins')
  // the suite's guide for test applications names MISC_PROTOCOL; the runner passes PROTOCOL
  t.equal(parseInteropConfig({ ...BASE, MISC_PROTOCOL: 'echo' }).protocol, 'echo', 'MISC_PROTOCOL')
  t.equal(parseInteropConfig({ ...BASE, PROTOCOL: 'identify', MISC_PROTOCOL: 'echo' }).protocol, 'identify', 'PROTOCOL first')
  // the misc suite's ping: "Repeat for 5 round trips"; the transport suite's: one, timed
  t.equal(parseInteropConfig(BASE).pingRoundTrips, 1)
  t.equal(parseInteropConfig({ ...BASE, PROTOCOL: 'ping' }).pingRoundTrips, 5)
  t.equal(parseInteropConfig({ ...BASE, MISC_PROTOCOL: 'ping' }).pingRoundTrips, 5)
  t.equal(parseInteropConfig({ ...BASE, PROTOCOL: 'echo' }).pingRoundTrips, 1)
  t.throws(() => parseInteropConfig({ ...BASE, PROTOCOL: 'bitswap' }), { code: 'ERR_UNSUPPORTED', message: /protocol="bitswap" is not supported \(supported: ping, echo, identify, perf\)/ })
})

t.test('the perf suite: its variables make the dialer measure perf, with the suite\'s own time limit', async t => {
  const unified: Env = { IS_DIALER: 'true', TRANSPORT: 'tcp', SECURE_CHANNEL: 'noise', MUXER: 'yamux', TEST_KEY: 'k' }
  const c = parseInteropConfig({ ...unified, UPLOAD_BYTES: '1048576', UPLOAD_ITERATIONS: '3' })
  t.match(c, { protocol: 'perf', perf: { ...PERF_SUITE_DEFAULTS, uploadBytes: 1048576, uploadIterations: 3 }, timeoutSeconds: DEFAULT_PERF_TIMEOUT_SECONDS })
  t.equal(DEFAULT_PERF_TIMEOUT_SECONDS, 7200)
  t.equal(parseInteropConfig({ ...unified, PROTOCOL: 'perf' }).protocol, 'perf', 'or PROTOCOL=perf, with the defaults')
  t.equal(parseInteropConfig({ ...unified, LATENCY_ITERATIONS: '2', TEST_TIMEOUT_SECS: '30' }).timeoutSeconds, 30, 'a given timeout wins')
  t.throws(() => parseInteropConfig({ ...unified, UPLOAD_ITERATIONS: 'ten' }), { code: 'ERR_INVALID_PARAMETERS', message: /UPLOAD_ITERATIONS/ })
})

t.test('the listener\'s time limit: the original runner\'s default, none under the unified runner unless given', async t => {
  t.equal(parseInteropConfig({ ...BASE, is_dialer: 'false' }).listenerTimeoutSeconds, 180)
  const unified: Env = { IS_DIALER: 'false', TRANSPORT: 'tcp', SECURE_CHANNEL: 'noise', MUXER: 'yamux', TEST_KEY: 'k' }
  t.equal(parseInteropConfig(unified).listenerTimeoutSeconds, undefined, '"The listener must run until it is shutdown by Docker"')
  t.equal(parseInteropConfig({ ...unified, TEST_TIMEOUT_SECS: '40' }).listenerTimeoutSeconds, 40)
})

t.test('unsupported or missing settings are clear errors', async t => {
  t.throws(() => parseInteropConfig({ ...BASE, transport: 'quic-v1' }), { code: 'ERR_UNSUPPORTED', message: /transport="quic-v1" is not supported \(supported: tcp\)/ })
  t.throws(() => parseInteropConfig({ ...BASE, muxer: 'spdy' }), { code: 'ERR_UNSUPPORTED', message: /muxer="spdy"/ })
  t.throws(() => parseInteropConfig({ ...BASE, security: 'tls' }), { code: 'ERR_UNSUPPORTED', message: /security="tls"/ })
  t.throws(() => parseInteropConfig({ ...BASE, is_dialer: undefined }), { code: 'ERR_INVALID_PARAMETERS', message: /is_dialer/ })
  t.throws(() => parseInteropConfig({ ...BASE, is_dialer: 'yes' }), { code: 'ERR_INVALID_PARAMETERS' })
  t.throws(() => parseInteropConfig({ ...BASE, muxer: undefined }), { code: 'ERR_INVALID_PARAMETERS', message: /muxer/ })
  t.throws(() => parseInteropConfig({ ...BASE, test_timeout_seconds: '-1' }), { code: 'ERR_INVALID_PARAMETERS' })
  t.throws(() => parseInteropConfig(BASE, 'xml'), { code: 'ERR_UNSUPPORTED' })
  t.throws(() => parseInteropConfig(BASE, undefined, 'lpush'), { code: 'ERR_UNSUPPORTED', message: /--publish="lpush" is not supported \(supported: rpush, set\)/ })
})

/** What test-plans transport/lib/run-single-test.sh (intermediate version) greps from the dialer's output. */
const RUNNER_JSON = /\{"handshakePlusOneRTTMillis":[0-9.]*,"pingRTTMilllis":[0-9.]*\}/
/** What the unified runner greps (each line, after docker's prefix). */
const RUNNER_YAML_LINE = /^(latency:|  (handshake_plus_one_rtt|ping_rtt|unit):)/

t.test('result formats', async t => {
  const json = formatInteropResult({ handshakePlusOneRTTMillis: 12.3456789, pingRTTMillis: 0.5 }, 'json')
  t.equal(json, '{"handshakePlusOneRTTMillis":12.346,"pingRTTMilllis":0.5}\n')
  t.match(json, RUNNER_JSON)
  t.same(JSON.parse(json), { handshakePlusOneRTTMillis: 12.346, pingRTTMilllis: 0.5 })
  const yaml = formatInteropResult({ handshakePlusOneRTTMillis: 3, pingRTTMillis: 0.0004 }, 'yaml')
  t.equal(yaml, 'latency:\n  handshake_plus_one_rtt: 3\n  ping_rtt: 0\n  unit: ms\n')
  for (const line of yaml.trimEnd().split('\n')) t.match(line, RUNNER_YAML_LINE)
})

t.test('the published address is not loopback when there is a choice', async t => {
  const lo = Multiaddr.fromString('/ip4/127.0.0.1/tcp/1')
  const lan = Multiaddr.fromString('/ip4/10.0.0.5/tcp/1')
  t.equal(dialableAddr([lo, lan])?.toString(), lan.toString())
  t.equal(dialableAddr([lo])?.toString(), lo.toString())
  t.equal(dialableAddr([]), undefined)
})

// ------------------------------------------------------- with a real Redis

function which (bin: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${bin}`])
  return r.status === 0 ? r.stdout.toString().trim() : undefined
}

async function freePort (): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as net.AddressInfo
  await new Promise(resolve => server.close(resolve))
  return port
}

const REDIS_SERVER = which('redis-server')
const REDIS_CLI = which('redis-cli')

interface Redis { addr: string, port: number, cli: (...args: string[]) => Promise<string>, child: ChildProcess }

async function startRedis (): Promise<Redis> {
  const port = await freePort()
  const child = spawn(REDIS_SERVER!, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] })
  await new Promise<void>((resolve, reject) => {
    let log = ''
    const timer = setTimeout(() => { reject(new Error(`redis-server did not start: ${log}`)) }, 10_000)
    child.stdout?.on('data', (d: Buffer) => {
      log += d.toString()
      if (log.includes('Ready to accept connections')) { clearTimeout(timer); resolve() }
    })
    child.once('exit', code => { clearTimeout(timer); reject(new Error(`redis-server exited with ${String(code)}: ${log}`)) })
  })
  const cli = async (...args: string[]): Promise<string> => (await execFileP(REDIS_CLI!, ['-h', '127.0.0.1', '-p', String(port), ...args])).stdout
  return { addr: `127.0.0.1:${port}`, port, cli, child }
}

/** A promise's outcome without ever leaving a rejection unhandled while the test awaits other things. */
async function settle<T> (promise: Promise<T>): Promise<{ value?: T, error?: unknown }> {
  return await promise.then(value => ({ value }), (error: unknown) => ({ error }))
}

function capture (): { text: string, write: (s: string) => boolean } {
  return { text: '', write (s: string) { this.text += s; return true } }
}

const quiet = createOutput(false, new PassThrough(), new PassThrough())

/** An env without whatever interop variables the test runner itself may carry. */
function childEnv (vars: Env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  const names = /^(transport|muxer|security|is_dialer|ip|redis_addr|test_timeout_seconds|test_timeout_secs|protocol|IS_DIALER|REDIS_ADDR|TEST_KEY|TRANSPORT|SECURE_CHANNEL|MUXER|LISTENER_IP|TEST_TIMEOUT_SECS|PROTOCOL|MISC_PROTOCOL)$/
  for (const [k, v] of Object.entries(process.env)) if (!names.test(k)) env[k] = v
  return { ...env, ...vars }
}

interface Child { child: ChildProcess, stdout: () => string, stderr: () => string, exit: Promise<number | null> }

function startP2P (args: string[], vars: Env): Child {
  const child = spawn(process.execPath, [...process.execArgv, P2P, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: childEnv(vars) })
  let stdout = ''
  let stderr = ''
  child.stdout?.on('data', (d: Buffer) => { stdout += d.toString() })
  child.stderr?.on('data', (d: Buffer) => { stderr += d.toString() })
  const exit = new Promise<number | null>(resolve => child.once('exit', code => { resolve(code) }))
  const timer = setTimeout(() => child.kill('SIGKILL'), 90_000)
  void exit.then(() => { clearTimeout(timer) })
  return { child, stdout: () => stdout, stderr: () => stderr, exit }
}

if (REDIS_SERVER === undefined || REDIS_CLI === undefined) {
  t.test('the interop contract end to end through Redis', { skip: 'redis-server / redis-cli not on PATH: these tests need Debian\'s redis-server (apt-get install -y redis-server; .ci/run installs it)' }, async () => {})
} else {
  const redis = await startRedis()
  t.teardown(() => { redis.child.kill('SIGTERM') })

  // The child processes of the last test start first, against a Redis of
  // their own, so that their slow start (a TypeScript loader each) overlaps
  // the in-process tests.
  const outsideRedis = await startRedis()
  t.teardown(() => { outsideRedis.child.kill('SIGTERM') })
  const common: Env = { transport: 'tcp', muxer: 'yamux', security: 'noise', redis_addr: outsideRedis.addr, test_timeout_seconds: '60' }
  const outside = {
    listener: startP2P(['interop'], { ...common, is_dialer: 'false', ip: '127.0.0.1' }),
    dialer: startP2P(['interop'], { ...common, is_dialer: 'true' })
  }
  t.teardown(() => { for (const c of Object.values(outside)) c.child.kill('SIGKILL') })
  const P2P_ADDR = /^\/ip4\/127\.0\.0\.1\/tcp\/\d+\/p2p\/12D3KooW[1-9A-HJ-NP-Za-km-z]+$/

  t.test('our Redis client against redis-server, cross-checked with redis-cli', async t => {
    const client = await RedisClient.connect(redis.addr)
    t.teardown(() => { client.close() })
    t.equal(await client.rpush('rc-list', 'a', 'b'), 2)
    t.equal(await redis.cli('LRANGE', 'rc-list', '0', '-1'), 'a\nb\n', 'redis-cli sees what we pushed')
    await redis.cli('RPUSH', 'rc-other', '/ip4/1.2.3.4/tcp/5')
    t.equal(await client.blpop('rc-other', 1), '/ip4/1.2.3.4/tcp/5', 'we pop what redis-cli pushed')
    t.equal(await client.blpop('rc-missing', 1), null, 'BLPOP times out with a null array')
    await client.set('rc-string', 'x')
    t.equal(await client.get('rc-string'), 'x')
    t.equal(await client.get('rc-nothing'), null)
    await t.rejects(client.rpush('rc-string', 'y'), { code: 'ERR_REDIS_REPLY', message: /WRONGTYPE/ }, 'an error reply rejects')
    t.equal(await client.del('rc-string'), 1, 'the connection still works after an error reply')
    // pipelined commands are answered in order
    const [a, b, c] = await Promise.all([client.rpush('rc-p', '1'), client.rpush('rc-p', '2'), client.get('rc-nothing')])
    t.same([a, b, c], [1, 2, null])
    await t.rejects(RedisClient.connect(`127.0.0.1:${await freePort()}`), { code: 'ERR_REDIS_CONNECTION' })
  })

  t.test('our listener and our dialer, unified runner (TEST_KEY, YAML)', async t => {
    const env: Env = { IS_DIALER: 'false', TRANSPORT: 'tcp', SECURE_CHANNEL: 'noise', MUXER: 'yamux', LISTENER_IP: '127.0.0.1', REDIS_ADDR: redis.addr, TEST_KEY: 'feedbeef' }
    await redis.cli('SET', 'feedbeef_listener_multiaddr', 'stale string value')
    let stop!: () => void
    t.teardown(() => { stop() })
    const logs: string[] = []
    let published!: () => void
    const ready = new Promise<void>(resolve => { published = resolve })
    const log = (s: string): void => { logs.push(s); if (s.startsWith('listening on')) published() }
    const listening = settle(interopCommand([], quiet, { log, stop: new Promise<void>(resolve => { stop = resolve }) }, env))
    await ready
    t.equal((await redis.cli('TYPE', 'feedbeef_listener_multiaddr')).trim(), 'list', 'the stale string was replaced by the list')
    const stdout = capture()
    const code = await interopCommand([], quiet, { log: s => logs.push(s), stdout }, { ...env, IS_DIALER: 'true' })
    stop()
    t.same(await listening, { value: 0 }, 'listener stops cleanly when told to')
    t.equal(code, 0)
    const m = /^latency:\n {2}handshake_plus_one_rtt: ([\d.]+)\n {2}ping_rtt: ([\d.]+)\n {2}unit: ms\n$/.exec(stdout.text)
    t.ok(m, stdout.text)
    t.ok(Number(m?.[1]) >= Number(m?.[2]), 'handshake plus one RTT is at least the RTT')
    t.equal((await redis.cli('LLEN', 'feedbeef_listener_multiaddr')).trim(), '0', 'the dialer consumed the address')
    t.ok(logs.some(l => /listening on \/ip4\/127\.0\.0\.1\/tcp\/\d+\/p2p\//.test(l)))
  })

  /** Starts our listener (unified runner, `key`); resolves once it has published its address. */
  async function ourListener (t: Test, key: string, vars: Env = {}, args: string[] = []): Promise<{ addr: string, done: Promise<{ value?: number, error?: unknown }> }> {
    let stop!: () => void
    t.teardown(() => { stop() })
    let published!: (addr: string) => void
    const ready = new Promise<string>(resolve => { published = resolve })
    const log = (s: string): void => { const m = /^listening on (\S+)/.exec(s); if (m !== null) published(m[1]) }
    const env: Env = { IS_DIALER: 'false', TRANSPORT: 'tcp', SECURE_CHANNEL: 'noise', MUXER: 'yamux', LISTENER_IP: '127.0.0.1', REDIS_ADDR: redis.addr, TEST_KEY: key, ...vars }
    const done = settle(interopCommand(args, quiet, { log, stop: new Promise<void>(resolve => { stop = resolve }) }, env))
    return { addr: await ready, done }
  }

  const ECHO_YAML = /^measurements:\n {2}echo_rtt: [\d.]+\n {2}payload_bytes: 4353\n {2}unit: ms\n$/
  const IDENTIFY_YAML = /^measurements:\n {2}identify_rtt: [\d.]+\n {2}protocol_count: (\d+)\n {2}unit: ms\n$/

  t.test('misc suite: our dialer exercises echo, then identify, against our listener', async t => {
    const listener = await ourListener(t, 'e1c0e1c0', { PROTOCOL: 'echo' })
    const dialerEnv: Env = { IS_DIALER: 'true', TRANSPORT: 'tcp', SECURE_CHANNEL: 'noise', MUXER: 'yamux', REDIS_ADDR: redis.addr, TEST_KEY: 'e1c0e1c0' }
    const echoOut = capture()
    const logs: string[] = []
    t.equal(await interopCommand([], quiet, { log: s => logs.push(s), stdout: echoOut }, { ...dialerEnv, PROTOCOL: 'echo' }), 0)
    t.match(echoOut.text, ECHO_YAML)
    t.ok(logs.some(l => /; echo: 4353 bytes came back intact/.test(l)), logs.join('\n'))
    // the misc suite's ping: five round trips, each checked
    await redis.cli('RPUSH', 'e1c0e1c0_listener_multiaddr', listener.addr)
    const pingOut = capture()
    t.equal(await interopCommand([], quiet, { log: s => logs.push(s), stdout: pingOut }, { ...dialerEnv, PROTOCOL: 'ping' }), 0)
    t.match(pingOut.text, /^latency:\n {2}handshake_plus_one_rtt: [\d.]+\n {2}ping_rtt: [\d.]+\n {2}unit: ms\n$/)
    t.ok(logs.some(l => /; ping [\d.]+, [\d.]+, [\d.]+, [\d.]+, [\d.]+ ms$/.test(l)), logs.join('\n'))
    // the same listener serves identify (and echo) whatever PROTOCOL it was given
    await redis.cli('RPUSH', 'e1c0e1c0_listener_multiaddr', listener.addr)
    const identifyOut = capture()
    t.equal(await interopCommand([], quiet, { log: s => logs.push(s), stdout: identifyOut }, { ...dialerEnv, protocol: 'identify' }), 0)
    const m = IDENTIFY_YAML.exec(identifyOut.text)
    t.ok(m, identifyOut.text)
    t.ok(Number(m?.[1]) >= 4, 'ping, identify, identify push and echo at least')
    const line = logs.find(l => /; identify: protocol version ipfs\/0\.1\.0, \d+ protocols \(/.test(l)) ?? ''
    t.ok(line.includes('/ipfs/ping/1.0.0') && line.includes('/echo/1.0.0'), line)
  })

  t.test('a dialer stopped (SIGTERM) after printing its result exits 0: the test passed', async t => {
    // a delay proxy between the two makes the dialer's close take a round
    // trip of 600 ms after it printed, time enough to stop it in the middle
    const listener = await ourListener(t, 'dead0001')
    await redis.cli('DEL', 'dead0001_listener_multiaddr')
    const m = /^\/ip4\/127\.0\.0\.1\/tcp\/(\d+)(\/p2p\/.+)$/.exec(listener.addr)
    if (m === null) throw new Error(`unexpected address ${listener.addr}`)
    const proxy = await startDelayProxy({ host: '127.0.0.1', port: Number(m[1]) }, 300)
    t.teardown(async () => { await proxy.close() })
    await redis.cli('RPUSH', 'dead0002_listener_multiaddr', `/ip4/127.0.0.1/tcp/${proxy.port}${m[2]}`)
    const dialer = startP2P(['interop'], { IS_DIALER: 'true', TRANSPORT: 'tcp', SECURE_CHANNEL: 'noise', MUXER: 'yamux', REDIS_ADDR: redis.addr, TEST_KEY: 'dead0002' })
    const exited = new Promise<[number | null, string | null]>(resolve => dialer.child.once('exit', (code, signal) => { resolve([code, signal]) }))
    for (let i = 0; i < 3000 && !dialer.stdout().includes('unit: ms') && dialer.child.exitCode === null; i++) await new Promise(resolve => setTimeout(resolve, 5))
    t.match(dialer.stdout(), /^latency:\n/, dialer.stderr())
    t.equal(dialer.child.exitCode, null, 'still closing when stopped')
    dialer.child.kill('SIGTERM')
    t.same(await exited, [0, null], 'exit 0, not killed by the signal')
  })

  t.test('misc suite: our dialer against a js-libp2p listener (echo, identify; mplex)', async t => {
    const js = await createJsNode({ muxer: 'mplex' })
    t.teardown(async () => { await js.stop() })
    const dialerEnv: Env = { IS_DIALER: 'true', TRANSPORT: 'tcp', SECURE_CHANNEL: 'noise', MUXER: 'mplex', REDIS_ADDR: redis.addr, TEST_KEY: 'a5a5a5a5' }
    for (const [protocol, expected] of [['echo', ECHO_YAML], ['identify', IDENTIFY_YAML]] as const) {
      await redis.cli('RPUSH', 'a5a5a5a5_listener_multiaddr', js.getMultiaddrs()[0].toString())
      const stdout = capture()
      t.equal(await interopCommand([], quiet, { log: () => {}, stdout }, { ...dialerEnv, PROTOCOL: protocol }), 0, protocol)
      t.match(stdout.text, expected, protocol)
    }
  })

  t.test('misc suite: a js-libp2p dialer exercises echo and identify against our listener', async t => {
    const listener = await ourListener(t, 'b0b0b0b0', { PROTOCOL: 'echo' })
    const js = await createJsNode({ muxer: 'yamux', listen: false })
    t.teardown(async () => { await js.stop() })
    const payload = new TextEncoder().encode('Hello from js-libp2p misc echo test!')
    t.same(await jsEcho(js, listener.addr, payload), Buffer.from(payload), 'our listener echoes for js-libp2p')
    const connection = js.getConnections()[0]
    const identified = await js.services.identify.identify(connection)
    t.ok(identified.protocols.includes('/ipfs/ping/1.0.0') && identified.protocols.includes('/echo/1.0.0'), identified.protocols.join(', '))
    t.ok(identified.listenAddrs.length > 0)
    t.equal(identified.peerId.toString(), /\/p2p\/(\w+)$/.exec(listener.addr)?.[1])
  })

  t.test('perf suite: our dialer measures against our listener, and prints the three blocks', async t => {
    await ourListener(t, 'feed0001')
    const stdout = capture()
    const logs: string[] = []
    const env: Env = {
      IS_DIALER: 'true', TRANSPORT: 'tcp', SECURE_CHANNEL: 'noise', MUXER: 'yamux', REDIS_ADDR: redis.addr, TEST_KEY: 'feed0001',
      UPLOAD_BYTES: '1048576', DOWNLOAD_BYTES: '524288', UPLOAD_ITERATIONS: '2', DOWNLOAD_ITERATIONS: '2', LATENCY_ITERATIONS: '3', DURATION: '20'
    }
    t.equal(await interopCommand([], quiet, { log: s => logs.push(s), stdout }, env), 0)
    const blocks = stdout.text.split('\n\n')
    t.equal(blocks.length, 3, stdout.text)
    for (const [i, [name, n, decimals, unit]] of ([['upload', 2, 2, 'Gbps'], ['download', 2, 2, 'Gbps'], ['latency', 3, 3, 'ms']] as const).entries()) {
      const number = `\\d+\\.\\d{${decimals}}`
      t.match(blocks[i], new RegExp(`^${name}:\\n {2}iterations: ${n}\\n( {2}(min|q1|median|q3|max): ${number}\\n){5} {2}outliers: \\[(${number}(, ${number})*)?\\]\\n {2}samples: \\[${number}(, ${number}){${n - 1}}\\]\\n {2}unit: ${unit}\\n?$`), name)
    }
    t.ok(logs.some(l => /; perf: upload median [\d.]+ Gbps, download [\d.]+ Gbps, latency [\d.]+ ms$/.test(l)), logs.join('\n'))
  })

  t.test('perf suite: with --publish set our listener SETs its address, as the perf images\' dialers GET it', async t => {
    const listener = await ourListener(t, 'feed0002', {}, ['--publish', 'set'])
    t.equal((await redis.cli('TYPE', 'feed0002_listener_multiaddr')).trim(), 'string')
    t.equal((await redis.cli('GET', 'feed0002_listener_multiaddr')).trim(), listener.addr, 'GET answers the address')
    const stdout = capture()
    const env: Env = {
      IS_DIALER: 'true', TRANSPORT: 'tcp', SECURE_CHANNEL: 'noise', MUXER: 'yamux', REDIS_ADDR: redis.addr, TEST_KEY: 'feed0002',
      UPLOAD_BYTES: '65536', DOWNLOAD_BYTES: '65536', UPLOAD_ITERATIONS: '1', DOWNLOAD_ITERATIONS: '1', LATENCY_ITERATIONS: '1'
    }
    t.equal(await interopCommand([], quiet, { log: () => {}, stdout }, env), 0)
    t.equal(stdout.text.split('\n\n').length, 3, stdout.text)
  })

  t.test('our dialer also takes an address the listener SET as a string (the perf suite\'s images), even one set while it waits', async t => {
    const js = await createJsNode({ muxer: 'yamux' })
    t.teardown(async () => { await js.stop() })
    const addr = js.getMultiaddrs()[0].toString()
    const env: Env = { IS_DIALER: 'true', TRANSPORT: 'tcp', SECURE_CHANNEL: 'noise', MUXER: 'yamux', REDIS_ADDR: redis.addr, TEST_KEY: 'c0ffee00' }
    await redis.cli('SET', 'c0ffee00_listener_multiaddr', addr)
    const first = capture()
    t.equal(await interopCommand([], quiet, { log: () => {}, stdout: first }, env), 0, 'set before the dialer asks')
    t.match(first.text, /^latency:\n/)
    await redis.cli('DEL', 'c0ffee00_listener_multiaddr')
    const second = capture()
    const dialing = settle(interopCommand([], quiet, { log: () => {}, stdout: second }, { ...env, PROTOCOL: 'echo' }))
    await new Promise(resolve => setTimeout(resolve, 300))
    await redis.cli('SET', 'c0ffee00_listener_multiaddr', addr)
    t.same(await dialing, { value: 0 }, 'set while the dialer waits in BLPOP')
    t.match(second.text, /^measurements:\n {2}echo_rtt: /)
  })

  t.test('listener publishes under listenerAddr, then fails when the timeout passes', async t => {
    await redis.cli('DEL', LISTENER_ADDR_KEY)
    const env: Env = { ...BASE, is_dialer: 'false', ip: '127.0.0.1', redis_addr: redis.addr, test_timeout_seconds: '1.5' }
    const started = Date.now()
    const listening = settle(interopCommand([], quiet, { log: () => {} }, env))
    const popped = (await redis.cli('BLPOP', LISTENER_ADDR_KEY, '5')).split('\n')
    t.equal(popped[0], LISTENER_ADDR_KEY)
    t.match(popped[1], P2P_ADDR, 'RPUSH of a full multiaddr with /p2p')
    const { error } = await listening
    t.ok(isP2PError(error, 'ERR_TIMEOUT'), String(error))
    t.ok(Date.now() - started >= 1400, 'waited for the timeout')
  })

  t.test('dialer without a listener fails with ERR_TIMEOUT', async t => {
    await redis.cli('DEL', LISTENER_ADDR_KEY)
    const stdout = capture()
    await t.rejects(interopCommand([], quiet, { log: () => {}, stdout }, { ...BASE, redis_addr: redis.addr, test_timeout_seconds: '1' }), { code: 'ERR_TIMEOUT' })
    t.equal(stdout.text, '', 'nothing on stdout')
  })

  t.test('dialer with no Redis to reach fails with ERR_TIMEOUT', async t => {
    const addr = `127.0.0.1:${await freePort()}`
    await t.rejects(interopCommand([], quiet, { log: () => {} }, { ...BASE, redis_addr: addr, test_timeout_seconds: '1' }), { code: 'ERR_TIMEOUT' })
  })

  t.test('our dialer against a js-libp2p listener (mplex)', async t => {
    const js = await createJsNode({ muxer: 'mplex' })
    t.teardown(async () => { await js.stop() })
    const muxers: string[] = []
    js.addEventListener('connection:open', event => { muxers.push(String(event.detail.multiplexer)) })
    await redis.cli('DEL', LISTENER_ADDR_KEY)
    await redis.cli('RPUSH', LISTENER_ADDR_KEY, js.getMultiaddrs()[0].toString())
    const stdout = capture()
    const code = await interopCommand([], quiet, { log: () => {}, stdout }, { ...BASE, muxer: 'mplex', redis_addr: redis.addr, test_timeout_seconds: '20' })
    t.equal(code, 0)
    t.match(stdout.text, RUNNER_JSON)
    const result = JSON.parse(stdout.text) as Record<string, number>
    t.same(Object.keys(result), ['handshakePlusOneRTTMillis', 'pingRTTMilllis'])
    t.ok(result.pingRTTMilllis > 0 && result.handshakePlusOneRTTMillis >= result.pingRTTMilllis)
    t.same(muxers, ['/mplex/6.7.0'], 'js-libp2p saw one connection, over mplex')
  })

  t.test('a js-libp2p dialer against our listener (yamux)', async t => {
    await redis.cli('DEL', LISTENER_ADDR_KEY)
    let stop!: () => void
    t.teardown(() => { stop() })
    const listening = settle(interopCommand([], quiet, { log: () => {}, stop: new Promise<void>(resolve => { stop = resolve }) },
      { ...BASE, is_dialer: 'false', ip: '127.0.0.1', redis_addr: redis.addr, test_timeout_seconds: '30' }))
    const [, addr] = (await redis.cli('BLPOP', LISTENER_ADDR_KEY, '20')).split('\n')
    t.match(addr, P2P_ADDR)
    const js = await createJsNode({ muxer: 'yamux', listen: false })
    t.teardown(async () => { await js.stop() })
    const rtt = await js.services.ping.ping(multiaddr(addr))
    t.ok(rtt >= 0, `js-libp2p pinged us: ${rtt} ms`)
    t.equal(js.getConnections()[0]?.multiplexer, '/yamux/1.0.0')
    stop()
    t.same(await listening, { value: 0 })
  })

  t.test('an unsupported muxer: exit code 1 and one line on stderr (through main)', async t => {
    const saved = { ...process.env }
    Object.assign(process.env, { ...BASE, muxer: 'quic', redis_addr: redis.addr })
    const writes: string[] = []
    const write = process.stderr.write
    process.stderr.write = ((chunk: string) => { writes.push(String(chunk)); return true }) as typeof process.stderr.write
    try {
      t.equal(await main(['interop']), 1)
    } finally {
      process.stderr.write = write
      for (const k of Object.keys(process.env)) if (!(k in saved)) Reflect.deleteProperty(process.env, k)
      Object.assign(process.env, saved)
    }
    t.same(writes, ['p2p interop: ERR_UNSUPPORTED: muxer="quic" is not supported (supported: yamux, mplex)\n'])
  })

  t.test('the contract from the outside: two processes, environment in, one line out', async t => {
    const { listener, dialer } = outside
    const code = await dialer.exit
    t.equal(code, 0, code === 0 ? 'the dialer exits 0' : dialer.stderr())
    const lines = dialer.stdout().split('\n')
    t.equal(lines.length, 2, 'exactly one line on stdout')
    t.equal(lines[1], '')
    t.match(lines[0], new RegExp(`^${RUNNER_JSON.source}$`))
    t.match(dialer.stderr(), /dialling \/ip4\/127\.0\.0\.1\/tcp\/\d+\/p2p\//, 'logs go to stderr')

    listener.child.kill('SIGTERM')
    t.equal(await listener.exit, 0, 'the listener exits cleanly when the runner stops it')
    t.equal(listener.stdout(), '', 'the listener prints nothing on stdout')
  })
}
