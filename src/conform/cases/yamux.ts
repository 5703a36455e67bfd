// yamux cases, each on its own connection with /yamux/1.0.0 agreed.
//
// Spec: hashicorp/yamux spec.md "Flag Field", "Flow Control", "Ping",
// "Session termination"; libp2p/specs yamux/README.md.
//
// Cases that need a stream use /echo/1.0.0 when the peer serves it and
// /ipfs/ping/1.0.0 otherwise: both send back what they read, in 32-byte
// multiples, which is all the window and half-close checks need.

import { randomBytes } from 'node:crypto'
import { Flag, GoAwayCode, INITIAL_STREAM_WINDOW } from '../../yamux/index.js'
import { ECHO_PROTOCOL, PING_PROTOCOL, PING_LENGTH } from '../../protocols/index.js'
import { openMuxed, type Dialer } from '../connect.js'
import { YamuxProbe, type YamuxStreamRecord } from '../yamux-probe.js'
import { fail, notApplicable, pass, type CaseOutcome, type ConformCase } from '../case.js'

export const ECHOING_PROTOCOLS = [ECHO_PROTOCOL, PING_PROTOCOL] as const

/** Echo data sent in the window case: the initial window plus a quarter, a multiple of the 32-byte ping. */
const WINDOW_PROBE_BYTES = INITIAL_STREAM_WINDOW + INITIAL_STREAM_WINDOW / 4

/** How long the window case watches for bytes beyond the window once it is full. */
const OVERRUN_WATCH_MS = 300

/** How long the GoAway case watches for a new stream from the peer. */
const GO_AWAY_WATCH_MS = 300

type YamuxCaseBody = (probe: YamuxProbe, ctx: Dialer) => Promise<CaseOutcome>

/** Runs `body` on a fresh yamux session; n/a when the peer does not offer yamux. */
function withYamux (body: YamuxCaseBody): (ctx: Dialer) => Promise<CaseOutcome> {
  return async ctx => {
    const secured = await openMuxed(ctx, '/yamux/1.0.0')
    if (secured === undefined) return notApplicable('the peer answered na to /yamux/1.0.0')
    const probe = new YamuxProbe(secured.wire, ctx.stepTimeoutMs)
    try {
      return await body(probe, ctx)
    } finally {
      secured.wire.destroy()
    }
  }
}

async function openEchoing (probe: YamuxProbe): Promise<YamuxStreamRecord | undefined> {
  return (await probe.openProtocol(ECHOING_PROTOCOLS))?.stream
}

/** How a case half-closes after its data: FIN on the Data frame itself, or on a Window Update after it. */
type FinMode = 'none' | 'on-data' | 'separate'

/** Sends 32 bytes (and FIN as `fin` says) and checks that the same 32 bytes come back. */
async function roundTrip (probe: YamuxProbe, stream: YamuxStreamRecord, fin: FinMode, what: string): Promise<string | undefined> {
  const payload = randomBytes(PING_LENGTH)
  probe.write(stream, payload, fin === 'on-data' ? Flag.FIN : 0)
  if (fin === 'separate') probe.send({ type: 'windowUpdate', flags: Flag.FIN, streamId: stream.id, delta: 0 })
  const echoed = await probe.read(stream, PING_LENGTH, `${what}: the 32 bytes echoed`)
  if (!Buffer.from(echoed).equals(payload)) return `${what}: sent ${payload.toString('hex')}, got back ${Buffer.from(echoed).toString('hex')}`
  return undefined
}

/** The session still works: a ping is answered and no Go Away came. */
async function sessionAlive (probe: YamuxProbe, opaque: number): Promise<string | undefined> {
  if (probe.goAwayReceived !== undefined) return `the peer sent Go Away (code ${probe.goAwayReceived})`
  await probe.ping(opaque)
  if (probe.goAwayReceived !== undefined) return `the peer sent Go Away (code ${probe.goAwayReceived})`
  return undefined
}

/** What the peer did to a stream and the session, for failure details. */
function describe (probe: YamuxProbe, stream: YamuxStreamRecord): string {
  const seen = [
    stream.remoteRst ? 'the peer reset the stream' : '',
    stream.remoteFin ? 'the peer half-closed the stream' : '',
    probe.goAwayReceived !== undefined ? `the peer sent Go Away (code ${probe.goAwayReceived})` : '',
    probe.wire.closedReason ?? ''
  ].filter(s => s !== '')
  return seen.length > 0 ? seen.join(', ') : 'the connection stayed open and silent'
}

const NO_ECHO = 'the peer serves neither /echo/1.0.0 nor /ipfs/ping/1.0.0'

export const yamuxCases: ConformCase[] = [
  {
    id: 'yamux.ping',
    section: 'yamux spec.md "Length Field": Ping "Contains an opaque value, echoed back"; "Flag Field": ACK "Also sent with a ping to indicate response"',
    required: true,
    run: withYamux(async probe => {
      const opaque = 0x5eed_1234
      await probe.ping(opaque)
      return pass(`Ping ACK with opaque 0x${opaque.toString(16)}`)
    })
  },
  {
    id: 'yamux.window',
    section: 'yamux spec.md "Flow Control"; libp2p yamux README (initial window 256 KiB)',
    required: true,
    run: withYamux(async (probe, ctx) => {
      const stream = await openEchoing(probe)
      if (stream === undefined) return notApplicable(NO_ECHO)
      // the multistream answers already used part of the window
      const negotiationBytes = stream.received
      const data = randomBytes(WINDOW_PROBE_BYTES)
      let sent = 0
      // we send only within the window the peer grants us, and grant none back
      const sendSome = (): void => {
        while (sent < data.length && stream.sendWindow > 0) {
          const n = Math.min(data.length - sent, stream.sendWindow, 64 * 1024)
          probe.write(stream, data.subarray(sent, sent + n))
          sent += n
        }
      }
      sendSome()
      // the peer may send up to the window, and may stop short of it (the
      // spec only bounds it: nim-libp2p's window is 256000 bytes): watch
      // until the echo stops growing, or the window is full and a little more
      try {
        await probe.wire.until(() => { sendSome(); return stream.received > 0 ? true : undefined },
          'the first bytes of the echo', ctx.stepTimeoutMs)
      } catch (err) {
        return fail(`${(err as Error).message} (sent ${sent})`)
      }
      for (let seen = -1; stream.received !== seen;) {
        seen = stream.received
        await probe.wire.settle(OVERRUN_WATCH_MS)
        sendSome()
      }
      // Flow Control: "When Yamux is initially starts each stream with a 256KB window size."
      // "Both sides assume the initial 256KB window" - we sent no Window Update, so that is all it may send
      if (stream.received > INITIAL_STREAM_WINDOW) {
        return fail(`the peer sent ${stream.received} bytes on a new stream without a Window Update from us; the window is ${INITIAL_STREAM_WINDOW}`)
      }
      if (stream.remoteRst || probe.goAwayReceived !== undefined) return fail('the peer reset the stream or the session while its window was full')
      const stoppedAt = stream.received
      // now grant more: the rest must follow
      const expected = negotiationBytes + data.length
      probe.send({ type: 'windowUpdate', flags: 0, streamId: stream.id, delta: INITIAL_STREAM_WINDOW })
      await probe.wire.until(() => { sendSome(); return stream.received >= expected ? true : undefined },
        `the rest of the echo after our Window Update (${expected} bytes in total)`, ctx.stepTimeoutMs)
      return pass(stoppedAt === INITIAL_STREAM_WINDOW
        ? `stopped at exactly ${INITIAL_STREAM_WINDOW} bytes, resumed after a Window Update`
        : `stopped at ${stoppedAt} bytes, within the ${INITIAL_STREAM_WINDOW}-byte window; resumed after a Window Update`)
    })
  },
  {
    id: 'yamux.half-close',
    section: 'yamux spec.md "Flag Field": FIN "Performs a half-close of a stream"',
    required: true,
    run: withYamux(async probe => {
      const stream = await openEchoing(probe)
      if (stream === undefined) return notApplicable(NO_ECHO)
      // data, then FIN on a Window Update: the peer's reply must still come
      const problem = await roundTrip(probe, stream, 'separate', 'after our FIN')
      if (problem !== undefined) return fail(problem)
      // how the peer then ends its side is its application's choice, not
      // the muxer's: go-libp2p's ping handler resets the stream at EOF
      await probe.wire.until(() => stream.remoteFin || stream.remoteRst ? true : undefined, 'the peer\'s FIN (or RST)', probe.timeoutMs)
      return pass(`our FIN, then 32 bytes back, then ${stream.remoteRst ? 'RST (the peer\'s application reset its side: allowed)' : 'FIN'}`)
    })
  },
  {
    id: 'yamux.data-with-fin',
    section: 'yamux spec.md "Flag Field": FIN "May be sent with a data message or window update."',
    required: true,
    run: withYamux(async probe => {
      const stream = await openEchoing(probe)
      if (stream === undefined) return notApplicable(NO_ECHO)
      // the payload of a Data frame that carries FIN is data like any other
      const problem = await roundTrip(probe, stream, 'on-data', 'the payload of a Data frame with FIN')
      if (problem !== undefined) return fail(problem)
      return pass('the payload of a Data|FIN frame was delivered and echoed')
    })
  },
  {
    id: 'yamux.rst',
    section: 'yamux spec.md "Flag Field": RST "Reset a stream immediately"',
    required: true,
    run: withYamux(async probe => {
      const stream = await openEchoing(probe)
      if (stream === undefined) return notApplicable(NO_ECHO)
      probe.write(stream, randomBytes(PING_LENGTH))
      probe.send({ type: 'windowUpdate', flags: Flag.RST, streamId: stream.id, delta: 0 })
      const dead = await sessionAlive(probe, 0x0000_0a57)
      if (dead !== undefined) return fail(`after our RST: ${dead}`)
      const other = await openEchoing(probe)
      if (other === undefined) return fail('after our RST the peer no longer accepts a new stream')
      const problem = await roundTrip(probe, other, 'none', 'a new stream after RST')
      if (problem !== undefined) return fail(problem)
      return pass('RST accepted; session and a new stream still work')
    })
  },
  {
    id: 'yamux.window-update-after-fin',
    section: 'yamux spec.md "Flag Field" / "Flow Control" (FIN closes only our direction; the peer may still send)',
    required: true,
    run: withYamux(async probe => {
      const stream = await openEchoing(probe)
      if (stream === undefined) return notApplicable(NO_ECHO)
      const payload = randomBytes(PING_LENGTH)
      probe.write(stream, payload)
      probe.send({ type: 'windowUpdate', flags: Flag.FIN, streamId: stream.id, delta: 0 })
      // what js-libp2p does, and nim-libp2p rejected: a Window Update on a stream we half-closed
      probe.send({ type: 'windowUpdate', flags: 0, streamId: stream.id, delta: INITIAL_STREAM_WINDOW })
      const echoed = await probe.read(stream, PING_LENGTH, 'the echo after FIN and Window Update')
      if (!Buffer.from(echoed).equals(payload)) return fail('the echo after FIN and Window Update differs from what was sent')
      // an RST after the whole echo proves nothing: the peer's application
      // may reset at our FIN (go-libp2p's ping handler does); one before it
      // would have failed the read above
      const dead = await sessionAlive(probe, 0x0000_f1f0)
      if (dead !== undefined) return fail(`after a Window Update following our FIN: ${dead}`)
      return pass('Window Update after FIN accepted')
    })
  },
  {
    id: 'yamux.go-away',
    // reported only: the spec says no more than this of Go Away, and the
    // implementations differ (go-yamux lets open streams finish,
    // rust-yamux and nim-libp2p end the whole session at once)
    section: 'yamux spec.md "Type Field": Go Away "Used to close a session"; "Session termination" (what happens to open streams is not specified)',
    required: false,
    run: withYamux(async probe => {
      const stream = await openEchoing(probe)
      if (stream === undefined) return notApplicable(NO_ECHO)
      const before = probe.inboundSyns.length
      probe.goAway(GoAwayCode.Normal)
      // streams open before Go Away continue
      let problem: string | undefined
      try {
        problem = await roundTrip(probe, stream, 'separate', 'an existing stream after our Go Away')
      } catch (err) {
        problem = `${(err as Error).message}; ${describe(probe, stream)}`
      }
      if (problem !== undefined) return fail(problem)
      await probe.wire.settle(GO_AWAY_WATCH_MS)
      const late = probe.inboundSyns.slice(before).filter(s => s.afterGoAway)
      if (late.length > 0) return fail(`the peer opened stream ${late[0].id} after our Go Away`)
      return pass('existing stream finished; no new stream from the peer after Go Away')
    })
  }
]
