// The protocol exercises of the unified runner's "misc" suite, for
// `p2p interop` (libp2p/unified-testing misc/README.md and
// docs/write-a-transport-test-app.md, "How to Write a Misc (Protocol) Test
// Application").
//
// Theory of operation: the misc suite runs the same two containers as the
// transport suite, with one more variable, `PROTOCOL` (`protocol` for older
// images): `ping`, `echo` or `identify`. The listener is the transport
// suite's listener (it serves ping, identify and `/echo/1.0.0` whatever
// PROTOCOL says); the dialer, once connected, exercises that protocol and
// prints what it measured under `measurements:` (ping keeps the transport
// suite's `latency:` block).
// - echo: "The dialer sends three probes in sequence" on one stream -- 1 byte
//   of 0x42, 256 of 0xAB, 4096 of 0xCD -- and "reads back the same number of
//   bytes and verifies the response is byte-for-byte identical" after each.
//   Then we half-close; a listener that echoes until EOF answers with its
//   own EOF, one that echoes "until the stream is reset" gets the reset
//   after ECHO_CLOSE_WAIT_MS. Bytes beyond the probes are an error.
//   The suite's js-libp2p listener (misc/images/js/v3.x) echoes nothing
//   until the stream's end: when the first probe has not come back within
//   ECHO_PROBE_GRACE_MS we send the other two, half-close, and check the
//   three as they come back, which works with either kind of listener.
//   `echo_rtt` runs from the first probe's write to the last probe's last
//   byte back; `payload_bytes` is what the probes carried (4353).
// - identify: identify the listener and hold its answer to the doc's table:
//   a non-empty protocolVersion, a publicKey that matches the connection's
//   peer (checked by identify itself), at least one listen address, and a
//   protocol list that includes ping. The doc writes ping's ID as
//   `/ping/1.0.0`; the ping spec's ID, which every libp2p serves, is
//   `/ipfs/ping/1.0.0`, and that is the one required here.

import type { Duplex } from 'node:stream'
import { performance } from 'node:perf_hooks'
import type { Connection } from '../../upgrader/index.js'
import type { IdentifyResult } from '../../protocols/identify/index.js'
import { ECHO_PROTOCOL, PING_PROTOCOL } from '../../protocols/index.js'
import { endStream, guardStreamErrors, readChunks, resetStream, writeChunk } from '../../protocols/stream-io.js'
import { StreamReader } from '../../util/stream-reader.js'
import { P2PError } from '../../util/errors.js'

export const MISC_PROTOCOLS = ['ping', 'echo', 'identify'] as const
export type MiscProtocol = typeof MISC_PROTOCOLS[number]

/** The doc's probes, in the order they are sent. */
export const ECHO_PROBES: ReadonlyArray<{ size: number, fill: number }> = [
  { size: 1, fill: 0x42 },
  { size: 256, fill: 0xab },
  { size: 4096, fill: 0xcd }
]

/** How long, after our half-close, the listener has to end its side before we reset the stream. */
export const ECHO_CLOSE_WAIT_MS = 2_000

/**
 * How long the first probe may take to come back before we take the
 * listener for one that echoes only at the end of the stream. Within one
 * Docker network an echo takes well under a millisecond.
 */
export const ECHO_PROBE_GRACE_MS = 1_000

/** One measurement block as the runner reads it: `<name>:`, then `  key: value` lines. */
export interface Measurements {
  block: 'latency' | 'measurements'
  values: Record<string, number | string>
}

export interface EchoResult {
  /** From the first probe's write to the last probe's last byte back. */
  echoRTTMillis: number
  payloadBytes: number
}

/** Runs the three probes over a new `/echo/1.0.0` stream on `connection`. */
export async function runEchoProbes (connection: Connection, signal: AbortSignal, graceMs = ECHO_PROBE_GRACE_MS): Promise<EchoResult> {
  const stream = await connection.newStream(ECHO_PROTOCOL, { signal })
  guardStreamErrors(stream)
  try {
    const reader = new StreamReader(stream, signal)
    const probes = ECHO_PROBES.map(probe => new Uint8Array(probe.size).fill(probe.fill))
    const start = performance.now()
    await writeChunk(stream, probes[0])
    const firstBack = reader.readExactly(probes[0].length)
    // a listener that echoes only at our end of stream: send it all, then end
    const ended = !await settlesWithin(firstBack, graceMs)
    if (ended) {
      for (const probe of probes.slice(1)) await writeChunk(stream, probe)
      await endStream(stream)
    }
    checkProbe(0, await firstBack)
    for (let index = 1; index < probes.length; index++) {
      if (!ended) await writeChunk(stream, probes[index])
      checkProbe(index, await reader.readExactly(probes[index].length))
    }
    const echoRTTMillis = performance.now() - start
    if (!ended) await endStream(stream)
    await waitForEnd(stream)
    return { echoRTTMillis, payloadBytes: probes.reduce((sum, probe) => sum + probe.length, 0) }
  } catch (err) {
    resetStream(stream)
    throw err
  }
}

/** Throws unless `back` is probe `index` byte for byte. */
function checkProbe (index: number, back: Uint8Array): void {
  const probe = ECHO_PROBES[index]
  const at = back.findIndex(byte => byte !== probe.fill)
  if (at !== -1) {
    throw new P2PError('ERR_INTEROP_CHECK', `echo probe ${index + 1} (${probe.size} bytes of 0x${probe.fill.toString(16)}) came back with 0x${back[at].toString(16)} at byte ${at}`, { remote: true })
  }
}

/** True when `promise` settles (either way) within `ms`. */
async function settlesWithin (promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<false>(resolve => { timer = setTimeout(() => { resolve(false) }, ms) })
  try {
    return await Promise.race([promise.then(() => true, () => true), late])
  } finally {
    clearTimeout(timer)
  }
}

/**
 * After our half-close: the listener's end of stream, or a reset from us
 * once ECHO_CLOSE_WAIT_MS pass. Every probe has come back by then, so a
 * reset from the listener ends the exercise too; only more bytes fail it.
 */
async function waitForEnd (stream: Duplex): Promise<void> {
  const extra = (async () => {
    for await (const chunk of readChunks(stream)) if (chunk.length > 0) return true
    return false
  })()
  const outcome = extra.catch(() => false)
  let timer: NodeJS.Timeout | undefined
  const waited = new Promise<'waited'>(resolve => { timer = setTimeout(() => { resolve('waited') }, ECHO_CLOSE_WAIT_MS) })
  try {
    const result = await Promise.race([outcome, waited])
    if (result === 'waited') resetStream(stream)
    else if (result) throw new P2PError('ERR_INTEROP_CHECK', 'echo: the listener sent bytes after the last probe had come back', { remote: true })
  } finally {
    clearTimeout(timer)
  }
}

/** Holds an identify answer to the doc's table; throws one error that names every field that fails. */
export function checkIdentify (result: IdentifyResult): void {
  const failures: string[] = []
  if (result.protocolVersion === undefined || result.protocolVersion === '') failures.push('protocolVersion is empty')
  if (result.publicKey === undefined) failures.push('publicKey is missing')
  if (result.listenAddrs.length === 0) failures.push('listenAddrs is empty')
  if (result.protocols.length === 0) failures.push('protocols is empty')
  else if (!result.protocols.includes(PING_PROTOCOL)) failures.push(`protocols does not include ${PING_PROTOCOL}: ${result.protocols.join(', ')}`)
  if (failures.length > 0) {
    throw new P2PError('ERR_INTEROP_CHECK', `identify of ${result.peerId.toString()}: ${failures.join('; ')}`, { remote: true })
  }
}

/** Milliseconds to three decimals (microseconds), never in exponent notation. */
export function roundMillis (value: number): number {
  return Math.round(value * 1000) / 1000
}

/**
 * The block as the runner reads it: YAML (the unified runner greps its
 * lines), or one compact JSON object (older runners grep a line that
 * starts with `{`).
 */
export function formatMeasurements (measurements: Measurements, format: 'json' | 'yaml'): string {
  const { block, values } = measurements
  if (format === 'json') return `${JSON.stringify({ [block]: values })}\n`
  return `${block}:\n${Object.entries(values).map(([key, value]) => `  ${key}: ${value}\n`).join('')}`
}
