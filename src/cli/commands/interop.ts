// `p2p interop`: a libp2p/test-plans transport-interop test application
// (test-plans transport-interop/README.md "Test spec"; the newer unified
// runner in test-plans transport/, lib/run-single-test.sh).
//
// Theory of operation: the runner starts two containers, a listener and a
// dialer, and a Redis server; everything is configured through environment
// variables.
// - Listener: listen on `ip`, "Publish the listener's address via Redis'
//   RPUSH using the `listenerAddr` key" (the unified runner: the key
//   `<TEST_KEY>_listener_multiaddr`), then sleep for `test_timeout_seconds`
//   -- the runner kills us once the dialer is done; "If the timeout is hit,
//   exit with a non-zero error code." The unified runner gives no timeout:
//   "The listener must run until it is shutdown by Docker", and it does.
// - Dialer: "Get the listener's address via Redis' BLPOP", record
//   `handshakeStartInstant`, connect, ping, and print the two durations in
//   milliseconds to stdout -- `{"handshakePlusOneRTTMillis":..,
//   "pingRTTMilllis":..}` (three l's: the runners parse that spelling) for
//   the original runner, or the unified runner's YAML block (`latency:`,
//   `handshake_plus_one_rtt`, `ping_rtt`, `unit: ms`).
// - "The dialer should emit all diagnostic logs to stderr. Only the final
//   JSON string result should be emitted to stdout."
//
// The unified runner's misc suite adds `PROTOCOL` (ping, echo, identify):
// the dialer then exercises that protocol instead of ping alone
// (./interop-misc.ts). Its perf suite gives the dialer UPLOAD_BYTES and
// the like, and the dialer then measures throughput and latency with
// `/perf/1.0.0` (./interop-perf.ts). The listener serves all of them
// whatever it is told; only how it publishes its address differs between
// the suites, and `--publish set` chooses the perf suite's way.
//
// Which runner is talking to us: the unified runner sets upper-case names
// (IS_DIALER, TRANSPORT, SECURE_CHANNEL, MUXER, LISTENER_IP, REDIS_ADDR,
// TEST_KEY); the original sets lower-case ones. Upper-case wins when both
// are present. The output is YAML when IS_DIALER is set, JSON otherwise (an
// intermediate runner version sent lower-case names plus TEST_KEY and
// grepped the compact JSON); `--format json|yaml` overrides.

import { parseArgs } from 'node:util'
import { performance } from 'node:perf_hooks'
import { Libp2pNode } from '../../node/index.js'
import type { Multiaddr } from '../../multiaddr/index.js'
import type { Connection } from '../../upgrader/index.js'
import { parseMuxers } from '../options.js'
import { checkIdentify, formatMeasurements, MISC_PROTOCOLS, roundMillis, runEchoProbes, type MiscProtocol } from './interop-misc.js'
import { formatPerfSuite, parsePerfSuiteConfig, PERF_SUITE_DEFAULTS, runPerfSuite, type PerfSuiteConfig } from './interop-perf.js'
import type { Output } from '../output.js'
import { RedisClient, parseRedisAddr } from '../redis.js'
import { MAX_TIMER_MS } from '../../util/deadline.js'
import { isP2PError, P2PError } from '../../util/errors.js'
import { signalled } from '../signals.js'

/** transport-interop README: "default to the `redis` host on port 6379". */
export const DEFAULT_REDIS_ADDR = 'redis:6379'

/** transport-interop README: "default to 180 seconds". */
export const DEFAULT_TEST_TIMEOUT_SECONDS = 180

/** The perf suite's own limit on a test (libp2p/unified-testing perf/lib/run-single-test.sh: TEST_TIMEOUT=7200), the perf dialer's default. */
export const DEFAULT_PERF_TIMEOUT_SECONDS = 7200

/** transport-interop README: 'If not specified, the implementation should bind to `0.0.0.0`'. */
export const DEFAULT_LISTEN_IP = '0.0.0.0'

/** The original runner's Redis key for the listener's address. */
export const LISTENER_ADDR_KEY = 'listenerAddr'

/** The unified runner's key: `<TEST_KEY>` followed by this suffix. */
export const LISTENER_MULTIADDR_KEY_SUFFIX = '_listener_multiaddr'

/**
 * Pause between attempts to reach Redis: in a compose setup Redis may still
 * be starting when we do, so connecting is retried until the test timeout.
 */
export const REDIS_CONNECT_RETRY_MS = 250

/** How long each of the dialer's BLPOPs for the listener's address waits (see takeListenerAddr). */
export const LISTENER_ADDR_POLL_SECONDS = 1

/** How long the dialer waits for its node to shut down after printing. */
export const STOP_TIMEOUT_MS = 3_000

/** unified-testing docs/write-a-transport-test-app.md, misc "Protocol: ping": "Repeat for 5 round trips". */
export const MISC_PING_ROUND_TRIPS = 5

export const SUPPORTED = {
  transport: ['tcp'],
  security: ['noise'],
  muxer: ['yamux', 'mplex'],
  protocol: [...MISC_PROTOCOLS, 'perf']
} as const

export type InteropProtocol = MiscProtocol | 'perf'

export type InteropOutputFormat = 'json' | 'yaml'

/**
 * How the listener publishes its address: `rpush`, as the transport suite
 * asks (its dialers BLPOP), or `set`, as the perf suite's images do (its
 * dialers GET, which fails on a list). No variable tells the two suites'
 * listeners apart, so an image built for the perf suite says `--publish set`.
 */
export const PUBLISH_COMMANDS = ['rpush', 'set'] as const
export type InteropPublishCommand = typeof PUBLISH_COMMANDS[number]

export interface InteropConfig {
  isDialer: boolean
  transport: 'tcp'
  security: 'noise'
  muxer: 'yamux' | 'mplex'
  /** What the dialer exercises once connected: the misc suite's PROTOCOL, perf in the perf suite, else ping. */
  protocol: InteropProtocol
  /**
   * Pings the dialer makes: 1 in the transport suite (the timed one), 5 when
   * the misc suite asks for ping ("Repeat for 5 round trips. Each must
   * succeed"); the extra ones follow the timed one on the same connection.
   */
  pingRoundTrips: number
  /** The perf suite's settings (its defaults outside it). */
  perf: PerfSuiteConfig
  /** Where the listener binds. */
  ip: string
  redisAddr: string
  /** The dialer's limit on the whole test. */
  timeoutSeconds: number
  /**
   * The listener's: undefined when it runs until stopped, as the unified
   * runner asks ("The listener must run until it is shutdown by Docker")
   * unless a timeout is given.
   */
  listenerTimeoutSeconds: number | undefined
  /** The Redis key the listener's address travels under. */
  listenerAddrKey: string
  /** Set by the unified runner; its key is then deleted before the RPUSH. */
  testKey?: string
  /** The Redis command the listener publishes with (`--publish`). */
  publish: InteropPublishCommand
  output: InteropOutputFormat
}

export type Env = Record<string, string | undefined>

/** First non-empty value among the names, upper-case (unified runner) first. */
function pick (env: Env, ...names: string[]): string | undefined {
  for (const name of names) {
    const value = env[name]
    if (value !== undefined && value !== '') return value
  }
  return undefined
}

function required (env: Env, upper: string, lower: string): string {
  const value = pick(env, upper, lower)
  if (value === undefined) {
    throw new P2PError('ERR_INVALID_PARAMETERS', `the environment variable ${lower} (or ${upper}) is required`)
  }
  return value
}

function oneOf<T extends string> (value: string, allowed: readonly T[], name: string): T {
  const found = allowed.find(a => a === value)
  if (found === undefined) {
    throw new P2PError('ERR_UNSUPPORTED', `${name}="${value}" is not supported (supported: ${allowed.join(', ')})`)
  }
  return found
}

/** `text` if it parses as a Redis address: a malformed one is a usage error at once, not a Redis that never answers. */
function checkRedisAddr (text: string): string {
  parseRedisAddr(text)
  return text
}

/** Reads the test application's configuration from the environment (and the `--format` and `--publish` options). */
export function parseInteropConfig (env: Env, format?: string, publish?: string): InteropConfig {
  const isDialerText = required(env, 'IS_DIALER', 'is_dialer').toLowerCase()
  if (isDialerText !== 'true' && isDialerText !== 'false') {
    throw new P2PError('ERR_INVALID_PARAMETERS', `is_dialer must be "true" or "false", got "${isDialerText}"`)
  }
  const timeoutText = pick(env, 'TEST_TIMEOUT_SECS', 'TEST_TIMEOUT_SECONDS', 'test_timeout_seconds', 'test_timeout_secs')
  const givenTimeout = timeoutText === undefined ? undefined : Number(timeoutText)
  // it becomes a timer of whole milliseconds: at least 1, at most the longest Node can set
  if (givenTimeout !== undefined && (!Number.isFinite(givenTimeout) || givenTimeout < 0.001 || givenTimeout * 1000 > MAX_TIMER_MS)) {
    throw new P2PError('ERR_INVALID_PARAMETERS', `test_timeout_seconds must be a number of seconds in 0.001..${Math.floor(MAX_TIMER_MS / 1000)}, got "${String(timeoutText)}"`)
  }
  const perfSuite = parsePerfSuiteConfig(env)
  // the runner passes PROTOCOL (protocol to older images); its guide for
  // writing a test application names MISC_PROTOCOL
  const protocolText = pick(env, 'PROTOCOL', 'MISC_PROTOCOL', 'protocol')
  const protocol = oneOf(protocolText ?? (perfSuite === undefined ? 'ping' : 'perf'), SUPPORTED.protocol, 'protocol')
  const testKey = pick(env, 'TEST_KEY')
  const output = format ?? (env.IS_DIALER !== undefined ? 'yaml' : 'json')
  return {
    isDialer: isDialerText === 'true',
    transport: oneOf(required(env, 'TRANSPORT', 'transport'), SUPPORTED.transport, 'transport'),
    security: oneOf(required(env, 'SECURE_CHANNEL', 'security'), SUPPORTED.security, 'security'),
    muxer: oneOf(required(env, 'MUXER', 'muxer'), SUPPORTED.muxer, 'muxer'),
    protocol,
    pingRoundTrips: protocol === 'ping' && protocolText !== undefined ? MISC_PING_ROUND_TRIPS : 1,
    perf: perfSuite ?? PERF_SUITE_DEFAULTS,
    ip: pick(env, 'LISTENER_IP', 'ip') ?? DEFAULT_LISTEN_IP,
    redisAddr: checkRedisAddr(pick(env, 'REDIS_ADDR', 'redis_addr') ?? DEFAULT_REDIS_ADDR),
    timeoutSeconds: givenTimeout ?? (protocol === 'perf' ? DEFAULT_PERF_TIMEOUT_SECONDS : DEFAULT_TEST_TIMEOUT_SECONDS),
    listenerTimeoutSeconds: givenTimeout ?? (testKey === undefined ? DEFAULT_TEST_TIMEOUT_SECONDS : undefined),
    listenerAddrKey: testKey === undefined ? LISTENER_ADDR_KEY : `${testKey}${LISTENER_MULTIADDR_KEY_SUFFIX}`,
    testKey,
    publish: oneOf(publish ?? 'rpush', PUBLISH_COMMANDS, '--publish'),
    output: oneOf(output, ['json', 'yaml'] as const, '--format')
  }
}

export interface InteropResult {
  /** From before the dial to the ping's answer. */
  handshakePlusOneRTTMillis: number
  pingRTTMillis: number
}

/** The dialer's stdout, in the format the runner parses (ends with a newline). */
export function formatInteropResult (result: InteropResult, format: InteropOutputFormat): string {
  const handshake = roundMillis(result.handshakePlusOneRTTMillis)
  const ping = roundMillis(result.pingRTTMillis)
  switch (format) {
    case 'json':
      // transport-interop README: `{"handshakePlusOneRTTMillis": handshakePlusOneRTT,
      // "pingRTTMilllis": pingRTT}` -- compact, which the runner that greps
      // `{"handshakePlusOneRTTMillis":[0-9.]*,"pingRTTMilllis":[0-9.]*}` also needs
      return `${JSON.stringify({ handshakePlusOneRTTMillis: handshake, pingRTTMilllis: ping })}\n`
    case 'yaml':
      return formatMeasurements({ block: 'latency', values: { handshake_plus_one_rtt: handshake, ping_rtt: ping, unit: 'ms' } }, 'yaml')
    default: {
      const never: never = format
      throw new P2PError('ERR_INVALID_PARAMETERS', `unknown output format ${String(never)}`)
    }
  }
}

export interface InteropIo {
  /** The result goes here (default process.stdout). */
  stdout?: { write: (text: string) => unknown }
  /** Diagnostics (default: stderr through the command's Output). */
  log: (text: string) => void
  /** Resolves when the listener should stop (default SIGINT or SIGTERM). */
  stop?: Promise<void>
}

/** Connects to Redis, retrying until it answers or `signal` fires. */
async function connectRedis (addr: string, signal: AbortSignal, log: (text: string) => void): Promise<RedisClient> {
  let attempt = 0
  for (;;) {
    try {
      return await RedisClient.connect(addr, { signal })
    } catch (err) {
      if (signal.aborted) throw new P2PError('ERR_TIMEOUT', `Redis at ${addr} did not answer before the test timeout`, { cause: err })
      if (attempt++ === 0) log(`waiting for Redis at ${addr}: ${(err as Error).message}`)
      await new Promise(resolve => setTimeout(resolve, REDIS_CONNECT_RETRY_MS))
    }
  }
}

/**
 * The dialer's node, or the listener's: that one serves, besides ping and
 * identify, the misc suite's `/echo/1.0.0` and the perf suite's
 * `/perf/1.0.0` (a test application, like `p2p perf --run-server`, may
 * turn perf on: perf.md only asks that it not be on by default).
 */
function newNode (config: InteropConfig, listen: boolean): Libp2pNode {
  const ip = config.ip.includes(':') ? `/ip6/${config.ip}` : `/ip4/${config.ip}`
  return new Libp2pNode({
    listenAddrs: listen ? [`${ip}/tcp/0`] : [],
    muxers: parseMuxers(config.muxer),
    identifyOnConnect: false,
    echo: listen,
    perf: listen
  })
}

/** A listen address another host can dial: not loopback when there is a choice. */
export function dialableAddr (addrs: Multiaddr[]): Multiaddr | undefined {
  const loopback = (a: Multiaddr): boolean => /^\/ip4\/127\.|^\/ip6\/::1\//.test(a.toString())
  return addrs.find(a => !loopback(a)) ?? addrs[0]
}

/** The dialer role: returns what it printed. */
export async function runInteropDialer (config: InteropConfig, io: InteropIo): Promise<string> {
  const deadline = AbortSignal.timeout(Math.round(config.timeoutSeconds * 1000))
  const redis = await connectRedis(config.redisAddr, deadline, io.log)
  let listenerAddr: string
  try {
    io.log(`waiting for the listener's address under "${config.listenerAddrKey}"`)
    listenerAddr = await takeListenerAddr(redis, config, deadline)
  } finally {
    redis.close()
  }
  const node = newNode(config, false)
  await node.start()
  try {
    io.log(`dialling ${listenerAddr}`)
    // README: "Record the current instant as handshakeStartInstant."
    const handshakeStart = performance.now()
    const connection = await node.dial(listenerAddr, { signal: deadline })
    const { output, summary } = await exercise(config, node, connection, handshakeStart, deadline)
    io.log(`connected to ${connection.remotePeer.toString()} over ${config.muxer}; ${summary}`)
    ;(io.stdout ?? process.stdout).write(output)
    // The result is out, so the test passed: a stop from Docker while we
    // close (a listener that exits once it has answered, under
    // --abort-on-container-exit, with an init forwarding SIGTERM) must not
    // turn it into exit 143, which the transport suite counts as a failure.
    process.once('SIGTERM', exitPassed)
    process.once('SIGINT', exitPassed)
    return output
  } catch (err) {
    if (deadline.aborted) throw new P2PError('ERR_TIMEOUT', `dial and ${config.protocol} did not finish within ${config.timeoutSeconds} s`, { cause: err })
    throw err
  } finally {
    await stopWithin(node, STOP_TIMEOUT_MS)
    process.off('SIGTERM', exitPassed)
    process.off('SIGINT', exitPassed)
  }
}

/** The dialer's result is printed: whatever stops it now, the test passed. */
function exitPassed (): void {
  process.exit(0)
}

/** Runs the configured protocol over `connection`: what to print, as the runner reads it, and a line for the log. */
async function exercise (config: InteropConfig, node: Libp2pNode, connection: Connection, handshakeStart: number, signal: AbortSignal): Promise<{ output: string, summary: string }> {
  const protocol = config.protocol
  switch (protocol) {
    case 'ping': {
      const [pingRTTMillis] = await node.ping(connection.remotePeer, { count: 1, signal })
      // README: "Record the duration since handshakeStartInstant. This is handshakePlusOneRTT."
      const handshakePlusOneRTTMillis = performance.now() - handshakeStart
      // each checked byte for byte (ERR_PING_MISMATCH otherwise); not in the
      // transport suite, where some listeners leave once they have answered one
      const more = config.pingRoundTrips > 1 ? await node.ping(connection.remotePeer, { count: config.pingRoundTrips - 1, signal }) : []
      return {
        output: formatInteropResult({ handshakePlusOneRTTMillis, pingRTTMillis }, config.output),
        summary: `ping ${[pingRTTMillis, ...more].map(ms => ms.toFixed(3)).join(', ')} ms`
      }
    }
    case 'echo': {
      const { echoRTTMillis, payloadBytes } = await runEchoProbes(connection, signal)
      return {
        output: formatMeasurements({ block: 'measurements', values: { echo_rtt: roundMillis(echoRTTMillis), payload_bytes: payloadBytes, unit: 'ms' } }, config.output),
        summary: `echo: ${payloadBytes} bytes came back intact in ${echoRTTMillis.toFixed(3)} ms`
      }
    }
    case 'identify': {
      const result = await node.identifyService.identify(connection, { signal })
      const identifyRTTMillis = performance.now() - handshakeStart
      checkIdentify(result)
      return {
        output: formatMeasurements({ block: 'measurements', values: { identify_rtt: roundMillis(identifyRTTMillis), protocol_count: result.protocols.length, unit: 'ms' } }, config.output),
        summary: `identify: protocol version ${String(result.protocolVersion)}, ${result.protocols.length} protocols (${result.protocols.join(', ')})`
      }
    }
    case 'perf': {
      const result = await runPerfSuite(node, connection.remotePeer, config.perf, signal)
      return {
        output: formatPerfSuite(result, config.output),
        summary: `perf: upload median ${result.upload.median.toFixed(2)} Gbps, download ${result.download.median.toFixed(2)} Gbps, latency ${result.latency.median.toFixed(3)} ms`
      }
    }
    default: {
      const never: never = protocol
      throw new P2PError('ERR_INVALID_PARAMETERS', `unknown protocol ${String(never)}`)
    }
  }
}

/**
 * Pops the listener's address from its list (the transport suite's RPUSH),
 * or reads it as a string when the listener SET it, as the perf suite's
 * images and some transport images do (BLPOP on a string is a WRONGTYPE
 * error reply). Polls in LISTENER_ADDR_POLL_SECONDS steps, since a BLPOP
 * that waits on a missing key never wakes for a SET.
 */
async function takeListenerAddr (redis: RedisClient, config: InteropConfig, deadline: AbortSignal): Promise<string> {
  const key = config.listenerAddrKey
  while (!deadline.aborted) {
    let addr: string | null
    try {
      addr = await redis.blpop(key, LISTENER_ADDR_POLL_SECONDS)
    } catch (err) {
      if (!isP2PError(err, 'ERR_REDIS_REPLY') || !err.message.includes('WRONGTYPE')) throw err
      addr = await redis.get(key)
    }
    if (addr !== null) return addr
  }
  throw new P2PError('ERR_TIMEOUT', `no listener address under "${key}" within ${config.timeoutSeconds} s`)
}

/**
 * The listener role: publishes its address and serves ping, identify, echo
 * and perf until `stop` (then resolves) or its timeout, when it has one
 * (then rejects with ERR_TIMEOUT).
 */
export async function runInteropListener (config: InteropConfig, io: InteropIo): Promise<void> {
  const limit = config.listenerTimeoutSeconds
  const deadline = limit === undefined ? new AbortController().signal : AbortSignal.timeout(Math.round(limit * 1000))
  const node = newNode(config, true)
  await node.start()
  try {
    const addr = dialableAddr(node.multiaddrs)
    if (addr === undefined) throw new P2PError('ERR_LISTEN_FAILED', `no address to publish after listening on ${config.ip}`)
    const redis = await connectRedis(config.redisAddr, deadline, io.log)
    try {
      if (config.publish === 'set') {
        // SET replaces whatever the key held
        await redis.set(config.listenerAddrKey, addr.toString())
      } else {
        // the unified runner's js listener clears the key first, so that a
        // leftover value of another type cannot make RPUSH fail
        if (config.testKey !== undefined) await redis.del(config.listenerAddrKey)
        await redis.rpush(config.listenerAddrKey, addr.toString())
      }
    } finally {
      redis.close()
    }
    io.log(`listening on ${addr.toString()} (published with ${config.publish.toUpperCase()} under "${config.listenerAddrKey}")`)
    const timedOut = new Promise<'timeout'>(resolve => { deadline.addEventListener('abort', () => { resolve('timeout') }, { once: true }) })
    const outcome = await Promise.race([timedOut, (io.stop ?? signalled()).then(() => 'stopped' as const)])
    if (outcome === 'timeout') {
      throw new P2PError('ERR_TIMEOUT', `the test timeout of ${String(limit)} s passed before the runner stopped the listener`)
    }
    io.log('stopping')
  } finally {
    await stopWithin(node, STOP_TIMEOUT_MS)
  }
}


async function stopWithin (node: Libp2pNode, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  await Promise.race([
    node.stop().catch(() => {}),
    new Promise<void>(resolve => { timer = setTimeout(resolve, timeoutMs) })
  ])
  clearTimeout(timer)
}

export async function interopCommand (args: string[], out: Output, io: Partial<InteropIo> = {}, env: Env = process.env): Promise<number> {
  const { values } = parseArgs({ args, options: { format: { type: 'string' }, publish: { type: 'string' }, json: { type: 'boolean' } } })
  // --json is every command's promise of JSON lines on stdout: it asks for the json format
  if (out.json && values.format !== undefined && values.format !== 'json') {
    throw new P2PError('ERR_INVALID_PARAMETERS', `--json and --format ${values.format} ask for two formats; give one`)
  }
  const config = parseInteropConfig(env, out.json ? 'json' : values.format, values.publish)
  const fullIo: InteropIo = { log: text => { out.error(`p2p interop: ${text}`) }, ...io }
  const limit = config.isDialer ? config.timeoutSeconds : config.listenerTimeoutSeconds
  fullIo.log(`${config.isDialer ? `dialer (${config.protocol})` : 'listener'}: ${config.transport}/${config.security}/${config.muxer}, Redis ${config.redisAddr}, ${limit === undefined ? 'runs until stopped' : `timeout ${limit} s`}`)
  if (config.isDialer) await runInteropDialer(config, fullIo)
  else await runInteropListener(config, fullIo)
  return 0
}
