// `p2p perf`: the client and server of the perf benchmark (libp2p/specs
// perf/perf.md) with the command-line contract of the libp2p/test-plans perf
// runner (perf/runner/src/index.ts, and the go-libp2p perf binary it drives).
//
// Theory of operation:
// - Server: `p2p perf --run-server --server-address HOST:PORT` listens there
//   and serves /perf/1.0.0 until SIGINT/SIGTERM. perf.md: "it SHOULD NOT be
//   enabled by default in any implementation", so only this command (and
//   `p2p listen`) turns it on. It prints each listen address with /p2p/ on
//   its own line (the runner scans the server's output for a line with
//   `/p2p/`). Its identity is fixed unless --identity is given: the Ed25519
//   key from a seed of 32 zero bytes, the "stable fake identity" of the
//   go-libp2p perf server, "Using a stable identity (i.e. peer ID) allows the
//   client to connect to the server without a prior exchange of the server's
//   peer ID" (PERF_SERVER_PEER_ID). It answers downloads of any size up to
//   2^64 - 1 bytes: the runner asks for Number.MAX_SAFE_INTEGER and stops the
//   client with a timer ("timer based variant" in perf.md).
// - Client: `p2p perf --server-address HOST:PORT --transport tcp
//   --upload-bytes N --download-bytes N` (the runner's flags) or
//   `p2p perf MULTIADDR --upload N --download N`. A HOST:PORT address names
//   no peer, so the Noise handshake accepts whichever peer answers.
// - Output: the runner parses every stdout line as JSON: about every second
//   `{"type":"intermediary","timeSeconds":T,"uploadBytes":U,"downloadBytes":D}`
//   where T is the length of that interval and U, D the bytes moved in it,
//   then `{"type":"final",...}` with the totals and the time from the start
//   of the dial to the server's EOF. These lines are printed with --json,
//   and whenever --server-address is used (the runner does not pass --json).
//   Otherwise the output is for people: a progress line rewritten in place
//   on a TTY, then a summary.

import { parseArgs } from 'node:util'
import { performance } from 'node:perf_hooks'
import type { Writable } from 'node:stream'
import { isIP } from 'node:net'
import { Multiaddr } from '../../multiaddr/index.js'
import { Libp2pNode } from '../../node/index.js'
import { ed25519PrivateKeyFromSeed } from '../../peer/index.js'
import type { PrivateKey } from '../../peer/index.js'
import { PERF_PROTOCOL, perfClient } from '../../protocols/index.js'
import type { PerfProgress } from '../../protocols/perf/index.js'
import { loadOrCreateKeyFile } from '../../peer/index.js'
import { parseByteCount, parseMuxers } from '../options.js'
import { createOutput } from '../output.js'
import type { Output } from '../output.js'
import { P2PError } from '../../util/errors.js'
import { signalled } from '../signals.js'

/** The go-libp2p perf server's key seed (`simpleReader{seed: 0}`): 32 zero bytes. */
export const PERF_SERVER_SEED = new Uint8Array(32)

/** The peer ID of that key, as the go-libp2p perf client hard-codes it. */
export const PERF_SERVER_PEER_ID = '12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN'

/** test-plans perf: an intermediary result about every second. */
export const PERF_REPORT_INTERVAL_MS = 1000

/** Where the server listens without --server-address: loopback, a free port. */
export const DEFAULT_PERF_SERVER_ADDR = '/ip4/127.0.0.1/tcp/0'

/** Transports the runner may name; we have TCP only. */
export const PERF_TRANSPORTS = ['tcp'] as const

export interface PerfLine {
  type: 'intermediary' | 'final'
  timeSeconds: number
  uploadBytes: number
  downloadBytes: number
}

/** `HOST:PORT` (the runner's --server-address) as a TCP multiaddr without /p2p. */
export function serverAddressToMultiaddr (text: string): string {
  const match = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? /^([^:[\]]+):(\d+)$/.exec(text)
  const port = Number(match?.[2])
  if (match === null || !Number.isInteger(port) || port > 65535) {
    throw new P2PError('ERR_INVALID_PARAMETERS', `--server-address must be HOST:PORT, got "${text}"`)
  }
  const host = match[1]
  const family = isIP(host)
  if (family === 0) return `/dns/${host}/tcp/${port}`
  // an IPv6 host may carry a zone ([fe80::1%eth0]:4001): /ip6zone/eth0/ip6/fe80::1
  return Multiaddr.fromSocketAddress({ family: family === 4 ? 4 : 6, host, port, transport: 'tcp' }).toString()
}

/**
 * Turns the client's cumulative progress into interval lines: a line once at
 * least `intervalMs` has passed since the previous one, with the bytes moved
 * since then (as the go-libp2p perf client reports them).
 */
export function intervalReporter (intervalMs: number, emit: (line: PerfLine) => void): (progress: PerfProgress) => void {
  let last = { timeSeconds: 0, uploadBytes: 0, downloadBytes: 0 }
  return progress => {
    const elapsed = progress.timeSeconds - last.timeSeconds
    if (elapsed * 1000 < intervalMs) return
    emit({
      type: 'intermediary',
      timeSeconds: elapsed,
      uploadBytes: progress.uploadBytes - last.uploadBytes,
      downloadBytes: progress.downloadBytes - last.downloadBytes
    })
    last = { timeSeconds: progress.timeSeconds, uploadBytes: progress.uploadBytes, downloadBytes: progress.downloadBytes }
  }
}

export interface PerfCommandOptions {
  /** Server: resolves when it should stop (default SIGINT or SIGTERM). */
  stop?: Promise<void>
  /** Where JSON lines go when --server-address asks for them without --json. */
  stdout?: Writable
  /** Whether stdout is a terminal (default process.stdout.isTTY). */
  isTTY?: boolean
  /** Interval between intermediary lines (default PERF_REPORT_INTERVAL_MS). */
  reportIntervalMs?: number
  /** Server: called once it listens, with its dialable addresses. */
  onListening?: (addrs: string[]) => void
}

/** `--run-server true|false` and `--run-server=…` (the js perf binary's form) as a plain flag. */
function normaliseRunServer (args: string[]): string[] {
  const out: string[] = []
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]
    if (arg === '--run-server=true') { out.push('--run-server'); continue }
    if (arg === '--run-server=false') continue
    if (arg === '--run-server' && (args[i + 1] === 'true' || args[i + 1] === 'false')) {
      if (args[++i] === 'true') out.push('--run-server')
      continue
    }
    out.push(arg)
  }
  return out
}

export async function perfCommand (args: string[], out: Output, options: PerfCommandOptions = {}): Promise<number> {
  const { values, positionals } = parseArgs({
    args: normaliseRunServer(args),
    allowPositionals: true,
    options: {
      'run-server': { type: 'boolean' },
      'server-address': { type: 'string' },
      transport: { type: 'string' },
      'upload-bytes': { type: 'string' },
      'download-bytes': { type: 'string' },
      upload: { type: 'string' },
      download: { type: 'string' },
      identity: { type: 'string' },
      muxer: { type: 'string' },
      json: { type: 'boolean' }
    }
  })
  if (positionals.length > 1) {
    throw new P2PError('ERR_INVALID_PARAMETERS', `expected at most one MULTIADDR, got ${positionals.length} (${positionals.join(' ')})`)
  }
  const transport = values.transport ?? 'tcp'
  if (!PERF_TRANSPORTS.some(t => t === transport)) {
    throw new P2PError('ERR_UNSUPPORTED', `--transport ${transport} is not supported (supported: ${PERF_TRANSPORTS.join(', ')})`)
  }
  // one way to say each thing: of a pair, which one wins would be a guess
  for (const [a, b] of [['upload', 'upload-bytes'], ['download', 'download-bytes']] as const) {
    if (values[a] !== undefined && values[b] !== undefined) {
      throw new P2PError('ERR_INVALID_PARAMETERS', `--${a} and --${b} are the same option; give one`)
    }
  }
  if (positionals.length > 0 && values['server-address'] !== undefined) {
    throw new P2PError('ERR_INVALID_PARAMETERS', `the server is ${positionals[0]} or --server-address ${values['server-address']}; give one`)
  }
  const serverAddress = values['server-address'] === undefined ? undefined : serverAddressToMultiaddr(values['server-address'])
  if (values['run-server'] === true) {
    const clientOption = (['upload', 'download', 'upload-bytes', 'download-bytes'] as const).find(name => values[name] !== undefined)
    if (clientOption !== undefined) {
      throw new P2PError('ERR_INVALID_PARAMETERS', `--${clientOption} is the client's; a server sends what each client asks for`)
    }
    const privateKey: PrivateKey = values.identity === undefined
      ? ed25519PrivateKeyFromSeed(PERF_SERVER_SEED)
      : loadOrCreateKeyFile(values.identity).key
    return await runServer({ privateKey, listenAddr: serverAddress ?? positionals[0] ?? DEFAULT_PERF_SERVER_ADDR, muxer: values.muxer }, out, options)
  }
  const target = positionals[0] ?? serverAddress
  if (target === undefined) {
    throw new P2PError('ERR_INVALID_PARAMETERS', 'usage: p2p perf MULTIADDR --upload BYTES --download BYTES, or p2p perf --server-address HOST:PORT --upload-bytes N --download-bytes N, or p2p perf --run-server [--server-address HOST:PORT]')
  }
  const uploadBytes = parseByteCount(values['upload-bytes'] ?? values.upload, values['upload-bytes'] === undefined ? '--upload' : '--upload-bytes', 0)
  const downloadBytes = parseByteCount(values['download-bytes'] ?? values.download, values['download-bytes'] === undefined ? '--download' : '--download-bytes', 0)
  // the runner reads JSON lines from stdout and does not pass --json
  const json = out.json ? out : serverAddress !== undefined ? createOutput(true, options.stdout ?? process.stdout) : undefined
  return await runClient({ target, uploadBytes, downloadBytes, muxer: values.muxer, identity: values.identity }, out, json, options)
}

interface ServerInit { privateKey: PrivateKey, listenAddr: string, muxer: string | undefined }

async function runServer (init: ServerInit, out: Output, options: PerfCommandOptions): Promise<number> {
  // perf: true answers any request, max uint64 included (../../protocols/perf/constants.ts)
  const node = new Libp2pNode({ privateKey: init.privateKey, listenAddrs: [init.listenAddr], muxers: parseMuxers(init.muxer), perf: true })
  await node.start()
  try {
    const listenAddrs = node.multiaddrs.map(a => a.toString())
    out.record({ peerId: node.peerId.toString(), listenAddrs })
    for (const addr of listenAddrs) out.line(addr)
    options.onListening?.(listenAddrs)
    await (options.stop ?? signalled())
  } finally {
    await node.stop()
  }
  return 0
}

interface ClientInit { target: string, uploadBytes: number, downloadBytes: number, muxer: string | undefined, identity: string | undefined }

async function runClient (init: ClientInit, out: Output, json: Output | undefined, options: PerfCommandOptions): Promise<number> {
  const node = new Libp2pNode({
    privateKey: init.identity === undefined ? undefined : loadOrCreateKeyFile(init.identity).key,
    muxers: parseMuxers(init.muxer),
    identifyOnConnect: false
  })
  const stdout = options.stdout ?? process.stdout
  const tty = json === undefined && (options.isTTY ?? process.stdout.isTTY === true)
  await node.start()
  try {
    // test-plans perf (go-libp2p main.go): the final time runs from before the dial
    const start = performance.now()
    const connection = await node.dial(init.target)
    out.error(`p2p perf: connected to ${connection.remotePeer.toString()} (${connection.encryption}, ${connection.muxer})`)
    const stream = await connection.newStream(PERF_PROTOCOL)
    const intervalMs = options.reportIntervalMs ?? PERF_REPORT_INTERVAL_MS
    const onInterval = intervalReporter(intervalMs, line => {
      if (json !== undefined) json.record({ ...line })
      else if (tty) stdout.write(`\r\x1b[K${progressText(line)}`)
    })
    const result = await perfClient(stream, {
      uploadBytes: init.uploadBytes,
      downloadBytes: init.downloadBytes,
      progressIntervalMs: intervalMs,
      onProgress: onInterval
    })
    const final: PerfLine = {
      type: 'final',
      timeSeconds: (performance.now() - start) / 1000,
      uploadBytes: result.uploadBytes,
      downloadBytes: result.downloadBytes
    }
    if (json !== undefined) {
      json.record({ ...final })
    } else {
      if (tty) stdout.write('\r\x1b[K')
      out.line(`perf with ${connection.remotePeer.toString()} over ${connection.muxer}`)
      out.line(`uploaded ${formatBytes(final.uploadBytes)}, downloaded ${formatBytes(final.downloadBytes)} in ${final.timeSeconds.toFixed(3)} s (${formatRate(final)})`)
    }
    return 0
  } finally {
    await node.stop()
  }
}

function progressText (line: PerfLine): string {
  return `up ${formatBytes(line.uploadBytes)}, down ${formatBytes(line.downloadBytes)} in the last ${line.timeSeconds.toFixed(1)} s (${formatRate(line)})`
}

function formatBytes (n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let value = n
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) { value /= 1024; unit++ }
  return unit === 0 ? `${n} B` : `${value.toFixed(1)} ${units[unit]}`
}

function formatRate (line: PerfLine): string {
  const bits = (line.uploadBytes + line.downloadBytes) * 8
  return line.timeSeconds > 0 ? `${(bits / line.timeSeconds / 1e6).toFixed(1)} Mbit/s` : '-'
}

