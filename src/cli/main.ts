// The `p2p` command's entry point: dispatches to a subcommand, turns every
// error into one line on stderr and a non-zero exit code.

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
          [--muxer yamux,mplex] [--peerstore FILE]
  dial    MA [--ping N] [--echo BYTES] [--identify] [--muxer ...]
  ping    MA [-c N]                               each RTT and a min/avg/max summary
  trace   MA                                      every message of one connection, layer by layer
  ls      MA                                      what the remote supports (identify, multistream ls)
  perf    MA --upload BYTES --download BYTES      the perf protocol (libp2p/specs perf)
          --server-address HOST:PORT --upload-bytes N --download-bytes N | --run-server
  interop [--format json|yaml]                    libp2p/test-plans transport-interop, misc and perf (configured by environment)
          [--publish rpush|set]                   how the listener publishes its address (set: the perf suite's images)
  conform MA                                      check a remote peer against the specs, case by case

Every command accepts --json (one JSON object per line on stdout), and
--help (its usage). p2p --version prints the version.`

/** The usage lines of one command (its line of USAGE and those continuing it). */
export function commandUsage (command: string): string | undefined {
  const lines = USAGE.split('\n')
  const first = lines.findIndex(line => line.startsWith(`  ${command} `))
  if (first === -1) return undefined
  let last = first + 1
  while (last < lines.length && /^ {3,}\S/.test(lines[last])) last++
  const [head, ...rest] = lines.slice(first, last).map(line => line.trim())
  const indent = ' '.repeat('usage: p2p '.length + command.length + 1)
  return [`usage: p2p ${head.replace(/^(\S+)\s+/, '$1 ')}`, ...rest.map(line => indent + line)].join('\n')
}

export async function main (argv: string[]): Promise<number> {
  const [command, ...args] = argv
  const out = createOutput(args.includes('--json'))
  const usage = command === undefined ? undefined : commandUsage(command)
  if (usage !== undefined && (args.includes('--help') || args.includes('-h'))) {
    process.stdout.write(`${usage}\n`)
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
      case 'help':
      case '--help':
        process.stdout.write(`${USAGE}\n`)
        return command === undefined ? 1 : 0
      default:
        out.error(`p2p: unknown command "${command}" (try p2p help)`)
        return 2
    }
  } catch (err) {
    const code = isP2PError(err) ? `${err.code}: ` : ''
    out.error(`p2p ${command}: ${code}${(err as Error).message}`)
    return 1
  }
}
