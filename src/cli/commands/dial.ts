// `p2p dial MULTIADDR [--muxer ...] [--ping N] [--echo BYTES] [--identify]`:
// connects, runs what was asked, prints the result.

import { parseArgs } from 'node:util'
import { randomBytes } from 'node:crypto'
import { ECHO_PROTOCOL } from '../../protocols/echo/index.js'
import type { ProtocolStream } from '../../upgrader/index.js'
import { parseByteCount, parseCount, requireTarget, withDialingNode } from '../options.js'
import { P2PError } from '../../util/errors.js'
import { resetAfter } from '../../protocols/stream-io.js'
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
    let echo: EchoCheck | undefined
    if (echoBytes > 0) {
      const stream = await connection.newStream(ECHO_PROTOCOL)
      echo = await echoRoundTrip(stream, randomBytes(echoBytes))
      result.echoOk = echo.ok
      out.line(`echo of ${echoBytes} bytes: ${echo.ok ? 'ok' : 'MISMATCH'}`)
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
    if (echo?.ok === false) {
      out.error(`p2p dial: ERR_ECHO_MISMATCH: ${echo.problem}`)
      return 1
    }
    return 0
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

/** What came back from an echo: all of it, or what went wrong, in words. */
export type EchoCheck = { ok: true } | { ok: false, problem: string }

/**
 * How long an echo may go without a byte coming back (or, after the last
 * one, without the peer ending its side) before it is reset with
 * ERR_TIMEOUT: a peer that stalls or never half-closes must not hold the
 * command for ever.
 */
export const ECHO_IDLE_TIMEOUT_MS = 10_000

/**
 * Writes `payload` on an echo stream, half-closes, and compares what comes
 * back. Reading stops (and the stream is reset) as soon as more has come
 * back than was sent: an echo is a mismatch by then, and a peer that keeps
 * sending cannot fill our memory.
 */
export async function echoRoundTrip (stream: ProtocolStream, payload: Uint8Array, idleTimeoutMs = ECHO_IDLE_TIMEOUT_MS): Promise<EchoCheck> {
  const idle = (): () => void => resetAfter(stream, idleTimeoutMs, () => new P2PError('ERR_TIMEOUT', `the echo stalled: nothing came back, nor its end, for ${idleTimeoutMs} ms`, { remote: true }))
  let clear = idle()
  try {
    stream.end(payload)
    const chunks: Buffer[] = []
    let received = 0
    for await (const chunk of stream) {
      clear()
      chunks.push(chunk as Buffer)
      received += (chunk as Buffer).length
      if (received > payload.length) break // the for-await destroys the stream
      clear = idle()
    }
    return compareEcho(payload, Buffer.concat(chunks))
  } finally {
    clear()
  }
}

/** `back` against `sent`: the first changed byte, or a length that differs (an echo that ended early is no mismatch of content). */
export function compareEcho (sent: Uint8Array, back: Uint8Array): EchoCheck {
  const common = Math.min(sent.length, back.length)
  if (Buffer.compare(sent.subarray(0, common), back.subarray(0, common)) !== 0) {
    const at = back.findIndex((byte, i) => i < common && byte !== sent[i])
    return { ok: false, problem: `byte ${at} of the ${sent.length} sent came back changed` }
  }
  if (back.length < sent.length) return { ok: false, problem: `the echo ended after ${back.length} of the ${sent.length} bytes sent` }
  if (back.length > sent.length) return { ok: false, problem: `${back.length - sent.length} bytes more came back than the ${sent.length} sent` }
  return { ok: true }
}
