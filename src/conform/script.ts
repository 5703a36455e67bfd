// Muxer session scripts: the format of spec-vectors/{yamux,mplex}/
// {sessions,invalid}.json and the player that replays them against a live
// peer (spec-vectors/README.md documents the JSON).
//
// A script is a list of steps. Each step sends one frame (given as fields, or
// as raw hex for frames our codec refuses to build), then the player watches
// what the peer sends back and compares the observable state, a snapshot, to
// the step's `expect`. The peer is any libp2p node serving /echo/1.0.0; the
// connection has /noise and the muxer agreed before the first step (the
// player does that with ./connect.ts). The snapshot covers only what the
// script itself caused: the streams it opened, the Ping ACKs it asked for,
// Go Away and the connection closing. Streams the peer opens on its own
// (identify) are reset by the probes and left out.
//
// In 'record' mode (the generator) the player waits SETTLE_MS after each step
// and records the snapshot; in 'verify' mode (the tests) it waits until the
// snapshot equals the step's `expect`, or until the deadline, and returns what
// it saw. Steps marked `unspecified` (the spec leaves the peer's immediate
// reaction open) have no expected state.

import { isDeepStrictEqual } from 'node:util'
import { Flag as YamuxFlag, encodeFrame as encodeYamuxFrame, type Frame as YamuxFrame } from '../yamux/index.js'
import { encodeFrame as encodeMplexFrame, type Frame as MplexFrame } from '../mplex/index.js'
import { openMuxed, type Dialer } from './connect.js'
import { YamuxProbe } from './yamux-probe.js'
import { MplexProbe } from './mplex-probe.js'
import { P2PError } from '../util/errors.js'

/** How long the generator lets the peer react to a step before it records the snapshot. */
export const SETTLE_MS = 250

export type YamuxFlagName = keyof typeof YamuxFlag

/** A yamux frame in JSON: flags by name, payload in hex. */
export type YamuxJsonFrame =
  | { type: 'data', flags: YamuxFlagName[], streamId: number, data: string }
  | { type: 'windowUpdate', flags: YamuxFlagName[], streamId: number, delta: number }
  | { type: 'ping', flags: YamuxFlagName[], streamId: number, opaque: number }
  | { type: 'goAway', flags: YamuxFlagName[], streamId: number, errorCode: number }

/** An mplex frame in JSON: the spec's flag name as type, payloads in hex. */
export type MplexJsonFrame =
  | { type: 'NewStream', streamId: number, name: string }
  | { type: 'MessageInitiator' | 'MessageReceiver', streamId: number, data: string }
  | { type: 'CloseInitiator' | 'CloseReceiver' | 'ResetInitiator' | 'ResetReceiver', streamId: number }

export interface YamuxStreamSnapshot { acked: boolean, received: string, fin: boolean, rst: boolean }
export interface YamuxSnapshot { streams: Record<string, YamuxStreamSnapshot>, pingAcks: number[], goAway: number | null, closed: boolean }
export interface MplexStreamSnapshot { received: string, closed: boolean, reset: boolean }
export interface MplexSnapshot { streams: Record<string, MplexStreamSnapshot>, closed: boolean }

export interface ScriptStep<F, S> {
  /** What this step does, in the spec's words. */
  note: string
  /** The frame to send, as fields (omitted when `raw` is given). */
  frame?: F
  /** The exact bytes sent (the encoded `frame`, or a deliberately broken frame). */
  hex: string
  /** Long payloads: `count` bytes of value `byte` sent right after `hex` (keeps the files small). */
  fill?: { byte: number, count: number }
  /** The observable state once the peer has reacted (absent when `unspecified`). */
  expect?: S
  /**
   * Set when the spec leaves the peer's immediate reaction to this step open
   * (when to send the ACK, whether a listener sends its multistream header
   * before the dialer's arrives): no state is expected right after it, the
   * following steps pin the state down.
   */
  unspecified?: string
}

export interface Script<F, S> {
  name: string
  /** The spec section the script checks. */
  section: string
  steps: Array<ScriptStep<F, S>>
  /** For invalid cases: the expected reaction in words, derived from the last snapshot. */
  reaction?: string
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex')
const unhex = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'hex'))

export function yamuxFrameFromJson (f: YamuxJsonFrame): YamuxFrame {
  const flags = f.flags.reduce((bits, name) => bits | YamuxFlag[name], 0)
  switch (f.type) {
    case 'data': return { type: 'data', flags, streamId: f.streamId, data: unhex(f.data) }
    case 'windowUpdate': return { type: 'windowUpdate', flags, streamId: f.streamId, delta: f.delta }
    case 'ping': return { type: 'ping', flags, streamId: f.streamId, opaque: f.opaque }
    case 'goAway': return { type: 'goAway', flags, streamId: f.streamId, errorCode: f.errorCode }
    default: {
      const never: never = f
      throw new TypeError(`unknown frame ${String(never)}`)
    }
  }
}

export function mplexFrameFromJson (f: MplexJsonFrame): MplexFrame {
  switch (f.type) {
    case 'NewStream': return { type: f.type, streamId: f.streamId, name: unhex(f.name) }
    case 'MessageInitiator':
    case 'MessageReceiver': return { type: f.type, streamId: f.streamId, data: [unhex(f.data)] }
    case 'CloseInitiator':
    case 'CloseReceiver':
    case 'ResetInitiator':
    case 'ResetReceiver': return { type: f.type, streamId: f.streamId }
    default: {
      const never: never = f
      throw new TypeError(`unknown frame ${String(never)}`)
    }
  }
}

/** The bytes a step sends: `hex`, then the fill. */
export function stepBytes (step: { hex: string, fill?: { byte: number, count: number } }): Uint8Array {
  const head = unhex(step.hex)
  if (step.fill === undefined) return head
  const out = new Uint8Array(head.length + step.fill.count).fill(step.fill.byte)
  out.set(head, 0)
  return out
}

/** A step sending `frame`, its bytes filled in. */
export function yamuxStep (note: string, frame: YamuxJsonFrame): ScriptStep<YamuxJsonFrame, YamuxSnapshot> {
  return { note, frame, hex: hex(encodeYamuxFrame(yamuxFrameFromJson(frame))) }
}

export function mplexStep (note: string, frame: MplexJsonFrame): ScriptStep<MplexJsonFrame, MplexSnapshot> {
  return { note, frame, hex: hex(encodeMplexFrame(mplexFrameFromJson(frame))) }
}

function yamuxSnapshot (probe: YamuxProbe, opened: Set<number>): YamuxSnapshot {
  const streams: Record<string, YamuxStreamSnapshot> = {}
  for (const id of [...opened].sort((a, b) => a - b)) {
    const s = probe.streams.get(id)
    if (s === undefined) continue
    streams[String(id)] = { acked: s.acked, received: hex(s.data.peek(s.data.length) ?? new Uint8Array(0)), fin: s.remoteFin, rst: s.remoteRst }
  }
  return { streams, pingAcks: [...probe.pingAcks], goAway: probe.goAwayReceived ?? null, closed: probe.wire.closedReason !== undefined }
}

function mplexSnapshot (probe: MplexProbe, opened: Set<number>): MplexSnapshot {
  const streams: Record<string, MplexStreamSnapshot> = {}
  for (const id of [...opened].sort((a, b) => a - b)) {
    const s = probe.streams.get(id)
    if (s === undefined) continue
    streams[String(id)] = { received: hex(s.data.peek(s.data.length) ?? new Uint8Array(0)), closed: s.remoteClosed, reset: s.remoteReset }
  }
  return { streams, closed: probe.wire.closedReason !== undefined }
}

/**
 * 'record' (the generator): after each specified step, wait SETTLE_MS and take
 * the snapshot. 'verify' (the tests): wait until the snapshot equals the
 * step's `expect`, or the deadline.
 */
export type PlayMode = 'record' | 'verify'

/** Waits as the mode says; returns the last snapshot. */
async function observe<S> (wait: (probe: () => true | undefined, ms: number) => Promise<void>, snapshot: () => S, step: ScriptStep<unknown, S>, mode: PlayMode, timeoutMs: number): Promise<S> {
  if (step.unspecified !== undefined) return snapshot()
  const expected = step.expect
  if (mode === 'record' || expected === undefined) {
    await new Promise(resolve => setTimeout(resolve, SETTLE_MS))
    return snapshot()
  }
  try {
    await wait(() => isDeepStrictEqual(snapshot(), expected) ? true : undefined, timeoutMs)
    // a little longer: nothing more may arrive (a frame beyond the expected state is a mismatch too)
    await new Promise(resolve => setTimeout(resolve, 20))
  } catch {
    // the mismatch is reported through the returned snapshot
  }
  return snapshot()
}

/** Plays a yamux script on a fresh connection; one snapshot per step (unspecified steps: the state right after sending). */
export async function playYamuxScript (d: Dialer, script: Script<YamuxJsonFrame, YamuxSnapshot>, mode: PlayMode = 'verify'): Promise<YamuxSnapshot[]> {
  const secured = await openMuxed(d, '/yamux/1.0.0')
  if (secured === undefined) throw new P2PError('ERR_CONFORM_UNEXPECTED', 'the peer does not offer /yamux/1.0.0')
  const probe = new YamuxProbe(secured.wire, d.stepTimeoutMs)
  const opened = new Set<number>()
  const out: YamuxSnapshot[] = []
  try {
    for (const step of script.steps) {
      if (step.frame !== undefined && (step.frame.type === 'data' || step.frame.type === 'windowUpdate') && (yamuxFrameFromJson(step.frame).flags & YamuxFlag.SYN) !== 0) {
        opened.add(step.frame.streamId)
        if (!probe.streams.has(step.frame.streamId)) probe.track(step.frame.streamId)
      }
      if (step.frame?.type === 'goAway') probe.goAwaySent = true
      secured.wire.write(stepBytes(step))
      const wait = async (p: () => true | undefined, ms: number): Promise<void> => { await secured.wire.until(p, 'the expected state', ms) }
      out.push(await observe(wait, () => yamuxSnapshot(probe, opened), step, mode, d.stepTimeoutMs))
    }
  } finally {
    secured.wire.destroy()
  }
  return out
}

/** Plays an mplex script on a fresh connection; one snapshot per step. */
export async function playMplexScript (d: Dialer, script: Script<MplexJsonFrame, MplexSnapshot>, mode: PlayMode = 'verify'): Promise<MplexSnapshot[]> {
  const secured = await openMuxed(d, '/mplex/6.7.0')
  if (secured === undefined) throw new P2PError('ERR_CONFORM_UNEXPECTED', 'the peer does not offer /mplex/6.7.0')
  const probe = new MplexProbe(secured.wire, d.stepTimeoutMs)
  const opened = new Set<number>()
  const out: MplexSnapshot[] = []
  try {
    for (const step of script.steps) {
      if (step.frame?.type === 'NewStream') {
        opened.add(step.frame.streamId)
        probe.track(step.frame.streamId)
      }
      secured.wire.write(stepBytes(step))
      const wait = async (p: () => true | undefined, ms: number): Promise<void> => { await secured.wire.until(p, 'the expected state', ms) }
      out.push(await observe(wait, () => mplexSnapshot(probe, opened), step, mode, d.stepTimeoutMs))
    }
  } finally {
    secured.wire.destroy()
  }
  return out
}

/** The reaction an invalid case expects, in words, from its last snapshot and the one before the bad frame. */
export function describeYamuxReaction (s: YamuxSnapshot, streamId: number): string {
  const parts: string[] = []
  if (s.goAway !== null) parts.push(`Go Away with code ${s.goAway} (${['Normal termination', 'Protocol error', 'Internal error'][s.goAway] ?? 'unknown'})`)
  const stream = s.streams[String(streamId)]
  if (stream?.rst === true) parts.push(`stream ${streamId} reset (RST)`)
  if (s.closed) parts.push('connection closed')
  if (parts.length === 0) parts.push('ignored: the session stays usable')
  return parts.join(', ')
}

export function describeMplexReaction (s: MplexSnapshot, streamId: number): string {
  const parts: string[] = []
  const stream = s.streams[String(streamId)]
  if (stream?.reset === true) parts.push(`stream ${streamId} reset (ResetReceiver)`)
  if (s.closed) parts.push('connection closed (mplex has no Go Away)')
  if (parts.length === 0) parts.push('ignored: the session stays usable')
  return parts.join(', ')
}
