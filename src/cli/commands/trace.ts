// `p2p trace MULTIADDR`: dials, opens a ping stream so there is something to
// see, closes, and prints every message that crossed the wire, layer by layer
// (src/trace). With --json one event per line; --keylog FILE appends the
// Noise session keys to FILE (format: src/trace/keylog.ts); keys never appear
// in the trace itself.
//
//   p2p trace MA [--ping N] [--identify] [--echo BYTES] [--muxer yamux,mplex]
//                [--keylog FILE] [--identity FILE] [--json]

import { parseArgs } from 'node:util'
import { randomBytes } from 'node:crypto'
import { Libp2pNode } from '../../node/index.js'
import { PeerId } from '../../peer/index.js'
import type { PrivateKey } from '../../peer/index.js'
import type { StreamMuxerFactory } from '../../muxer/types.js'
import { ECHO_PROTOCOL } from '../../protocols/index.js'
import { createWireTracer, fileKeyLog, formatText, toRecord } from '../../trace/index.js'
import type { TraceEvent, TraceSink } from '../../trace/index.js'
import type { UpgradeTrace } from '../../upgrader/index.js'
import { loadIdentity, parseCount, parseMuxers, requireTarget } from '../options.js'
import { echoRoundTrip, parseEchoBytes, type EchoCheck } from './dial.js'
import type { Output } from '../output.js'

/** How long to wait, after closing, for the connection's close to show in the trace. */
const CLOSE_GRACE_MS = 1_000

/** The sink for the `p2p` command: JSON records, or text lines coloured on a TTY. */
export function commandTraceSink (out: Output, isTTY = process.stdout.isTTY === true): TraceSink {
  if (out.json) return event => { out.record(toRecord(event)) }
  const color = isTTY && process.env.NO_COLOR === undefined
  // formatText escapes what peers sent; its colours are ours
  return event => { out.styledLine(formatText(event, { color })) }
}

/** A tracer for a node with this key and these muxers, writing to `sink` (and the key log when asked). */
export function commandTracer (privateKey: PrivateKey, muxers: StreamMuxerFactory[], sink: TraceSink, keylog: string | undefined): UpgradeTrace {
  return createWireTracer({
    sink,
    local: {
      peerId: PeerId.fromPublicKey(privateKey.publicKey).toString(),
      keyType: privateKey.type,
      streamMuxers: muxers.map(m => m.protocol)
    },
    keyLog: keylog === undefined ? undefined : fileKeyLog(keylog)
  })
}

export async function traceCommand (args: string[], out: Output): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      ping: { type: 'string' },
      identify: { type: 'boolean' },
      echo: { type: 'string' },
      muxer: { type: 'string' },
      keylog: { type: 'string' },
      identity: { type: 'string' },
      json: { type: 'boolean' }
    }
  })
  const target = requireTarget(positionals, 'p2p trace MULTIADDR [--ping N] [--identify] [--echo BYTES] [--keylog FILE] [--json]')
  const pings = parseCount(values.ping, '--ping', 1)
  const echoBytes = parseEchoBytes(values.echo)
  const privateKey = loadIdentity(values.identity)
  const muxers = parseMuxers(values.muxer)

  let closed: (() => void) | undefined
  const closeSeen = new Promise<void>(resolve => { closed = resolve })
  const print = commandTraceSink(out)
  // the summary is the trace's last line: whatever a late close still
  // reports after it (node.stop() waits for the socket, but a close that
  // outlasts the grace below would) is not printed
  let summarised = false
  const sink = (event: TraceEvent): void => {
    if (summarised) return
    print(event)
    if (event.type === 'tcp:close') closed?.()
  }
  const node = new Libp2pNode({
    privateKey,
    muxers,
    identifyOnConnect: false,
    trace: commandTracer(privateKey, muxers, sink, values.keylog)
  })
  await node.start()
  const summary: Record<string, unknown> = {}
  let echoCheck: EchoCheck | undefined
  try {
    const connection = await node.dial(target)
    summary.remotePeer = connection.remotePeer.toString()
    summary.muxer = connection.muxer
    if (pings > 0) summary.pingMs = await node.ping(connection.remotePeer, { count: pings })
    if (values.identify === true) {
      const result = await node.identify(connection.remotePeer)
      summary.agentVersion = result.agentVersion
      summary.protocols = result.protocols
    }
    if (echoBytes > 0) {
      echoCheck = await echo(node, connection.remotePeer, echoBytes)
      summary.echoOk = echoCheck.ok
    }
  } finally {
    await node.stop()
    let timer: NodeJS.Timeout | undefined
    await Promise.race([closeSeen, new Promise<void>(resolve => { timer = setTimeout(resolve, CLOSE_GRACE_MS) })])
    clearTimeout(timer)
    summarised = true
  }
  out.record({ type: 'summary', ...summary })
  out.line(`traced: ${String(summary.remotePeer)} over ${String(summary.muxer)}` +
    (Array.isArray(summary.pingMs) ? `, ping ${summary.pingMs.map((ms: number) => `${ms.toFixed(3)} ms`).join(', ')}` : '') +
    (Array.isArray(summary.protocols) ? `, identify: ${summary.protocols.length} protocols` : '') +
    (echoCheck === undefined ? '' : `, echo of ${echoBytes} bytes ${echoCheck.ok ? 'ok' : 'MISMATCH'}`))
  if (echoCheck?.ok === false) {
    out.error(`p2p trace: ERR_ECHO_MISMATCH: ${echoCheck.problem}`)
    return 1
  }
  return 0
}

/** Sends `size` random bytes on /echo/1.0.0 and checks they come back. */
async function echo (node: Libp2pNode, peer: PeerId, size: number): Promise<EchoCheck> {
  return await echoRoundTrip(await node.newStream(peer, ECHO_PROTOCOL), randomBytes(size))
}
