// `p2p ls MULTIADDR`: connects and lists what the remote supports: its
// identify answer (protocols, agent and protocol version, listen and observed
// addresses; libp2p/specs identify/README.md) and, where it supports it, its
// answer to multistream-select `ls` (multistream-select README.md "Listing"),
// asked on a fresh stream. With --json one object:
//   {"remotePeer", "agentVersion", "protocolVersion", "listenAddrs",
//    "observedAddr", "protocols", "signedPeerRecord", "ls": [...] | null,
//    "lsError"?}

import { parseArgs } from 'node:util'
import { listProtocols } from '../../multistream/index.js'
import type { Connection } from '../../upgrader/index.js'
import { isP2PError, P2PError } from '../../util/errors.js'
import { parseTimeoutMs, requireTarget, withDialingNode } from '../options.js'
import type { Output } from '../output.js'

/** How long the remote gets to answer `ls` before we report it unsupported. */
export const LS_TIMEOUT_MS = 5_000

export interface LsResult {
  remotePeer: string
  agentVersion?: string
  protocolVersion?: string
  listenAddrs: string[]
  observedAddr?: string
  protocols: string[]
  /**
   * The remote's signed peer record (RFC 0003): its seq (a decimal string:
   * a uint64) when it came and was verified, the typed error when it came
   * and could not be used, or null when none came.
   */
  signedPeerRecord: { seq: string } | { rejected: string } | null
  /** The remote's answer to `ls`, or null when it gave none. */
  ls: string[] | null
  lsError?: string
}

export async function lsCommand (args: string[], out: Output): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      muxer: { type: 'string' },
      identity: { type: 'string' },
      timeout: { type: 'string' },
      json: { type: 'boolean' }
    }
  })
  const target = requireTarget(positionals, 'p2p ls MULTIADDR [--muxer yamux,mplex] [--json]')
  const timeoutMs = parseTimeoutMs(values.timeout, '--timeout', LS_TIMEOUT_MS)
  const result = await withDialingNode(values, async (node): Promise<LsResult> => {
    const connection = await node.dial(target)
    const identify = await node.identify(connection.remotePeer)
    const listed = await askLs(connection, timeoutMs)
    return {
      remotePeer: connection.remotePeer.toString(),
      ...(identify.agentVersion !== undefined ? { agentVersion: identify.agentVersion } : {}),
      ...(identify.protocolVersion !== undefined ? { protocolVersion: identify.protocolVersion } : {}),
      listenAddrs: identify.listenAddrs.map(a => a.toString()),
      ...(identify.observedAddr !== undefined ? { observedAddr: identify.observedAddr.toString() } : {}),
      protocols: identify.protocols,
      signedPeerRecord: identify.signedPeerRecord !== undefined
        ? { seq: identify.signedPeerRecord.seq.toString() }
        : identify.rejectedSignedPeerRecord !== undefined
          ? { rejected: `${identify.rejectedSignedPeerRecord.code}: ${identify.rejectedSignedPeerRecord.message}` }
          : null,
      ...listed
    }
  })
  out.record({ ...result })
  for (const line of formatLs(result)) out.line(line)
  return 0
}

/** Asks `ls` on a new stream; a remote that does not answer is not an error of ours. */
async function askLs (connection: Connection, timeoutMs: number): Promise<Pick<LsResult, 'ls' | 'lsError'>> {
  const stream = connection.muxerSession.newStream()
  // a remote reset must not become an uncaught 'error'
  stream.on('error', () => {})
  try {
    return { ls: await listProtocols(stream, { timeoutMs }) }
  } catch (err) {
    return { ls: null, lsError: isP2PError(err) ? `${err.code}: ${err.message}` : (err as Error).message }
  } finally {
    stream.destroy()
  }
}

/** The human form, one item per line. */
export function formatLs (result: LsResult): string[] {
  const lines = [`peer        ${result.remotePeer}`]
  if (result.agentVersion !== undefined) lines.push(`agent       ${result.agentVersion}`)
  if (result.protocolVersion !== undefined) lines.push(`protocol    ${result.protocolVersion}`)
  for (const addr of result.listenAddrs) lines.push(`listen      ${addr}`)
  if (result.observedAddr !== undefined) lines.push(`observed    ${result.observedAddr}`)
  const record = result.signedPeerRecord
  lines.push(`record      ${record === null ? 'none' : 'seq' in record ? `seq ${record.seq}, signature verified (listen addresses above are the record's)` : `set aside: ${record.rejected}`}`)
  lines.push(`identify protocols (${result.protocols.length}):`)
  for (const protocol of result.protocols) lines.push(`  ${protocol}`)
  if (result.ls === null) {
    lines.push(`multistream ls: not answered (${result.lsError ?? 'unknown error'})`)
  } else {
    lines.push(`multistream ls (${result.ls.length}):`)
    for (const protocol of result.ls) lines.push(`  ${protocol}`)
  }
  return lines
}
