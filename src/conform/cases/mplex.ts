// mplex cases, each on its own connection with /mplex/6.7.0 agreed (n/a when
// the peer does not offer it).
//
// Spec: libp2p/specs mplex/README.md "Opening a new stream", "Writing to a
// stream", "Closing a stream", "Resetting a stream".

import { randomBytes } from 'node:crypto'
import { PING_LENGTH } from '../../protocols/index.js'
import { openMuxed, type Dialer } from '../connect.js'
import { MplexProbe, type MplexStreamRecord } from '../mplex-probe.js'
import { fail, notApplicable, pass, type CaseOutcome, type ConformCase } from '../case.js'
import { ECHOING_PROTOCOLS } from './yamux.js'

type MplexCaseBody = (probe: MplexProbe, ctx: Dialer) => Promise<CaseOutcome>

function withMplex (body: MplexCaseBody): (ctx: Dialer) => Promise<CaseOutcome> {
  return async ctx => {
    const secured = await openMuxed(ctx, '/mplex/6.7.0')
    if (secured === undefined) return notApplicable('the peer answered na to /mplex/6.7.0')
    const probe = new MplexProbe(secured.wire, ctx.stepTimeoutMs)
    try {
      return await body(probe, ctx)
    } finally {
      secured.wire.destroy()
    }
  }
}

const NO_ECHO = 'the peer serves neither /echo/1.0.0 nor /ipfs/ping/1.0.0'

async function roundTrip (probe: MplexProbe, stream: MplexStreamRecord, what: string): Promise<string | undefined> {
  const payload = randomBytes(PING_LENGTH)
  probe.write(stream, payload)
  const echoed = await probe.read(stream, PING_LENGTH, `${what}: the 32 bytes echoed`)
  if (!Buffer.from(echoed).equals(payload)) return `${what}: sent ${payload.toString('hex')}, got back ${Buffer.from(echoed).toString('hex')}`
  return undefined
}

export const mplexCases: ConformCase[] = [
  {
    id: 'mplex.half-close',
    section: 'mplex README "Closing a stream": "Closing a stream closes it for writing ... but allows writing in the other direction."',
    required: true,
    run: withMplex(async probe => {
      const opened = await probe.openProtocol(ECHOING_PROTOCOLS)
      if (opened === undefined) return notApplicable(NO_ECHO)
      const { stream } = opened
      const payload = randomBytes(PING_LENGTH)
      probe.write(stream, payload)
      probe.send({ type: 'CloseInitiator', streamId: stream.id })
      const echoed = await probe.read(stream, PING_LENGTH, 'the echo after our Close')
      if (!Buffer.from(echoed).equals(payload)) return fail('the echo after our Close differs from what was sent')
      // how the peer then ends its side is its application's choice, not
      // the muxer's: go-libp2p's ping handler resets the stream at EOF
      await probe.wire.until(() => stream.remoteClosed || stream.remoteReset ? true : undefined, 'the peer\'s CloseReceiver (or ResetReceiver)', probe.timeoutMs)
      return pass(`our Close, then 32 bytes back, then ${stream.remoteReset ? 'Reset (the peer\'s application reset its side: allowed)' : 'Close'}`)
    })
  },
  {
    id: 'mplex.reset',
    section: 'mplex README "Resetting a stream"',
    required: true,
    run: withMplex(async probe => {
      const opened = await probe.openProtocol(ECHOING_PROTOCOLS)
      if (opened === undefined) return notApplicable(NO_ECHO)
      probe.write(opened.stream, randomBytes(PING_LENGTH))
      probe.send({ type: 'ResetInitiator', streamId: opened.stream.id })
      const other = await probe.openProtocol(ECHOING_PROTOCOLS)
      if (other === undefined) return fail('after our Reset the peer no longer accepts a new stream')
      const problem = await roundTrip(probe, other.stream, 'a new stream after Reset')
      if (problem !== undefined) return fail(problem)
      return pass('Reset accepted; a new stream still works')
    })
  }
]
