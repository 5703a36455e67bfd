// The `p2p` command's entry point: dispatches to a subcommand, turns every
// error into one line on stderr and a non-zero exit code.

import type { Writable } from 'node:stream'
import { createOutput } from './output.js'
import { signalled } from './signals.js'
import { idCommand } from './commands/id.js'
import { listenCommand } from './commands/listen.js'
import { dialCommand } from './commands/dial.js'
import { pingCommand } from './commands/ping.js'
import { traceCommand } from './commands/trace.js'
import { lsCommand } from './commands/ls.js'
import { perfCommand } from './commands/perf.js'
import { interopCommand } from './commands/interop.js'
import { conformCommand } from './commands/conform.js'
import { isP2PError } from '../util/errors.js'
import { IMPLEMENTATION_NAME, VERSION } from '../version.js'

const USAGE = `usage: p2p <command> [options]

  id      [--identity FILE]                       print the peer ID (creates the key file)
  listen  [--listen MA ...] [--identity FILE]     serve ping, identify, perf and echo
          [--muxer yamux,mplex] [--peerstore FILE] [--trace] [--keylog FILE]
  dial    MA [--ping N] [--echo BYTES] [--identify] [--muxer ...] [--identity FILE]
  ping    MA [-c N] [--muxer ...] [--identity FILE]  each RTT and a min/avg/max summary
  trace   MA [--ping N] [--identify] [--echo BYTES]  every message of one connection, layer by layer
          [--keylog FILE] [--muxer ...] [--identity FILE]
  ls      MA [--timeout MS] [--muxer ...]         what the remote supports (identify, multistream ls)
          [--identity FILE]
  perf    MA --upload BYTES --download BYTES      the perf protocol (libp2p/specs perf)
          [--muxer ...] [--identity FILE]
          --server-address HOST:PORT [--transport tcp] --upload-bytes N --download-bytes N | --run-server
  interop [--format json|yaml]                    libp2p/test-plans transport-interop, misc and perf (configured by environment)
          [--publish rpush|set]                   how the listener publishes its address (set: the perf suite's images)
  conform MA [--only PREFIX,...] [--timeout MS]   check a remote peer against the specs, case by case

Every command accepts --json (one JSON object per line on stdout; before
the command too), and --help (its usage). p2p --version prints the version.`

/** The usage lines of one command (its line of USAGE and those continuing it). */
export function commandUsage (command: string): string | undefined {
  // a word: '' or a space would match a continuation line
  if (!/^[a-z]+$/.test(command)) return undefined
  const lines = USAGE.split('\n')
  const first = lines.findIndex(line => line.startsWith(`  ${command} `))
  if (first === -1) return undefined
  let last = first + 1
  while (last < lines.length && /^ {3,}\S/.test(lines[last])) last++
  const [head, ...rest] = lines.slice(first, last).map(line => line.trim())
  const indent = ' '.repeat('usage: p2p '.length + command.length + 1)
  return [`usage: p2p ${head.replace(/^(\S+)\s+/, '$1 ')}`, ...rest.map(line => indent + line)].join('\n')
}

/**
 * For the process that runs `p2p`: a reader that went away (`p2p listen |
 * head -1`, `p2p ping MA | head -1`, or the same on stderr with `2>&1`) is
 * no failure of the command. What it would still print is dropped and it
 * carries on (a listener keeps serving), instead of dying on an unhandled
 * EPIPE with a stack trace. Output that fails otherwise (a full disk) is
 * lost too, but the command then exits 1, with one line on stderr.
 */
export function dropOutputOnceReaderGone (stdout: Writable = process.stdout, stderr: Writable = process.stderr): void {
  let reported = false
  stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE' || reported) return
    reported = true
    process.exitCode = 1
    stderr.write(`p2p: ERR_OUTPUT_FAILED: cannot write the output: ${err.code ?? err.message}\n`)
  })
  stderr.on('error', () => {})
}

export async function main (argv: string[]): Promise<number> {
  // --json is every command's option, so it may come before the command too (p2p --json ping MA);
  // passed on after the command, where each command's parser expects it
  const leading = argv.findIndex(arg => arg !== '--json')
  const jsonFirst = argv.length > 0 && leading !== 0 // leading === -1: nothing but --json
  const [command, ...rest] = leading === -1 ? [] : argv.slice(leading)
  const args = jsonFirst && !rest.includes('--json') ? [...rest, '--json'] : rest
  const out = createOutput(jsonFirst || args.includes('--json'))
  const usage = command === undefined ? undefined : commandUsage(command)
  if (usage !== undefined && (args.includes('--help') || args.includes('-h'))) {
    for (const line of usage.split('\n')) out.line(line)
    out.record({ usage })
    return 0
  }
  try {
    switch (command) {
      case 'id': return await idCommand(args, out)
      case 'listen': return await listenCommand(args, out, signalled())
      case 'dial': return await dialCommand(args, out)
      case 'ping': return await pingCommand(args, out)
      case 'trace': return await traceCommand(args, out)
      case 'ls': return await lsCommand(args, out)
      case 'perf': return await perfCommand(args, out)
      case 'interop': return await interopCommand(args, out)
      case 'conform': return await conformCommand(args, out)
      case 'version':
      case '--version':
        out.line(`${IMPLEMENTATION_NAME} ${VERSION} (node ${process.versions.node})`)
        out.record({ name: IMPLEMENTATION_NAME, version: VERSION, node: process.versions.node })
        return 0
      case undefined:
        if (!out.json) process.stdout.write(`${USAGE}\n`)
        out.error(`p2p: no command given (${out.json ? 'p2p help lists them' : 'the usage above lists them'})`)
        return 1
      case 'help':
      case '--help':
      case '-h':
        for (const line of USAGE.split('\n')) out.line(line)
        out.record({ usage: USAGE })
        return 0
      default:
        out.error(`p2p: unknown command "${command}" (try p2p help)`)
        return 2
    }
  } catch (err) {
    // node:util parseArgs's errors (an unknown option, a missing value) are the user's, like our own usage errors
    const code = isP2PError(err) ? `${err.code}: ` : isParseArgsError(err) ? 'ERR_INVALID_PARAMETERS: ' : ''
    out.error(`p2p ${command}: ${code}${(err as Error).message}`)
    return 1
  }
}

function isParseArgsError (err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_')
}
