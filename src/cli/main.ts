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
  interop                                         libp2p/test-plans transport-interop (configured by environment)
  conform MA                                      check a remote peer against the specs, case by case

Every command accepts --json (one JSON object per line on stdout).`

export async function main (argv: string[]): Promise<number> {
  const [command, ...args] = argv
  const out = createOutput(args.includes('--json'))
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
