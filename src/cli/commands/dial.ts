// `p2p dial MULTIADDR [--muxer ...] [--ping N] [--echo BYTES] [--identify]`:
// connects, runs what was asked, prints the result.

import { parseArgs } from 'node:util'
import { randomBytes } from 'node:crypto'
import { ECHO_PROTOCOL } from '../../protocols/echo/index.js'
import type { ProtocolStream } from '../../upgrader/index.js'
import { parseByteCount, parseCount, requireTarget, withDialingNode } from '../options.js'
import { P2PError } from '../../util/errors.js'
import type { Output } from '../output.js'

export async function dialCommand (args: string[], out: Output): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      muxer: { type: 'string' },
      identity: { type: 'string' },
      ping: { type: 'string' },
      echo: { type: 'string' },
      identify: { type: 'boolean' },
      json: { type: 'boolean' }
    }
  })
  const target = requireTarget(positionals, 'p2p dial MULTIADDR [--ping N] [--echo BYTES] [--identify]')
  const pings = parseCount(values.ping, '--ping', 0)
  const echoBytes = parseEchoBytes(values.echo)
  return await withDialingNode(values, async node => {
    const started = performance.now()
    const connection = await node.dial(target)
    const connectMs = performance.now() - started
    out.line(`connected to ${connection.remotePeer.toString()} in ${connectMs.toFixed(2)} ms (${connection.encryption}, ${connection.muxer})`)
    const result: Record<string, unknown> = {
      remotePeer: connection.remotePeer.toString(),
      encryption: connection.encryption,
      muxer: connection.muxer,
      connectMs
    }
    if (pings > 0) {
      const rtts = await node.ping(connection.remotePeer, { count: pings })
      result.pingMs = rtts
      rtts.forEach((rtt, i) => { out.line(`ping ${i + 1}: ${rtt.toFixed(3)} ms`) })
    }
    if (echoBytes > 0) {
      const stream = await connection.newStream(ECHO_PROTOCOL)
      const echoOk = await echoRoundTrip(stream, randomBytes(echoBytes))
      result.echoOk = echoOk
      out.line(`echo of ${echoBytes} bytes: ${echoOk ? 'ok' : 'MISMATCH'}`)
    }
    if (values.identify === true) {
      const identify = await node.identify(connection.remotePeer)
      result.identify = {
        agentVersion: identify.agentVersion,
        protocolVersion: identify.protocolVersion,
        protocols: identify.protocols,
        listenAddrs: identify.listenAddrs.map(a => a.toString()),
        observedAddr: identify.observedAddr?.toString()
      }
      out.line(`agent: ${identify.agentVersion ?? '(none)'}`)
      out.line(`protocols: ${identify.protocols.join(', ')}`)
      for (const addr of identify.listenAddrs) out.line(`listen address: ${addr.toString()}`)
      if (identify.observedAddr !== undefined) out.line(`observed address: ${identify.observedAddr.toString()}`)
    }
    out.record(result)
    return result.echoOk === false ? 1 : 0
  })
}

/**
 * The echo's payload and its reply are both held in memory to compare them,
 * so its size is capped; perf (`p2p perf`) is the protocol for moving more.
 */
export const MAX_ECHO_BYTES = 256 * 2 ** 20

/** `--echo BYTES` (a byte count, ../options.ts), at most MAX_ECHO_BYTES. */
export function parseEchoBytes (value: string | undefined): number {
  const bytes = parseByteCount(value, '--echo', 0)
  if (bytes > MAX_ECHO_BYTES) {
    throw new P2PError('ERR_INVALID_PARAMETERS', `--echo must be at most ${MAX_ECHO_BYTES} bytes (${MAX_ECHO_BYTES / 2 ** 20}MiB: payload and reply are held in memory), got ${bytes}; p2p perf moves more`)
  }
  return bytes
}

/** Writes `payload` on an echo stream, half-closes, and compares what comes back. */
export async function echoRoundTrip (stream: ProtocolStream, payload: Uint8Array): Promise<boolean> {
  stream.end(payload)
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).equals(payload)
}
