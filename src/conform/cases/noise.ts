// Noise cases: the handshake as libp2p runs it, and the two checks a
// responder MUST make on the initiator's message 3.
//
// Spec: libp2p/specs noise/README.md "Handshake Pattern", "Static Key
// Authentication"; noiseprotocol.org noise.md §5.3, §7.

import { DHLEN } from '../../noise/index.js'
import { openSecured, select, type Dialer } from '../connect.js'
import { fail, pass, type CaseOutcome, type ConformCase } from '../case.js'
import type { Wire } from '../wire.js'
import { proposal } from '../multistream.js'

/**
 * After a broken message 3 the prober proposes a muxer as if nothing were
 * wrong: a peer that answers has accepted the connection; one that hangs up
 * rejected it.
 */
async function expectRejected (wire: Wire, ctx: Dialer, what: string): Promise<CaseOutcome> {
  try {
    // a peer that went on would answer this proposal
    if (wire.encrypted) wire.write(proposal('/yamux/1.0.0'))
    const closed = await wire.closedWithin(ctx.stepTimeoutMs)
    if (wire.queue.length > 0) return fail(`${what}: the peer went on and answered the muxer proposal`)
    if (closed) return pass(`${what}: the peer closed the connection`)
    return fail(`${what}: the connection was still open ${ctx.stepTimeoutMs} ms later`)
  } finally {
    wire.destroy()
  }
}

export const noiseCases: ConformCase[] = [
  {
    id: 'noise.handshake',
    section: 'libp2p noise README "Handshake Pattern", "Static Key Authentication"',
    required: true,
    async run (ctx) {
      const { wire, remotePeer, remoteExtensions } = await openSecured(ctx)
      try {
        // the encrypted channel must carry multistream-select next
        const answer = await select(wire, '/libp2p-conform/does-not-exist/1.0.0', ctx.stepTimeoutMs)
        if (answer !== 'na') return fail(`over the encrypted channel, expected "na" for an unknown muxer, got "${answer}"`)
        const muxers = remoteExtensions.streamMuxers.length > 0 ? `, stream_muxers [${remoteExtensions.streamMuxers.join(', ')}]` : ''
        return pass(`remote peer ${remotePeer.toString()}${muxers}`)
      } finally {
        wire.destroy()
      }
    }
  },
  {
    id: 'noise.bad-identity-signature',
    section: 'libp2p noise README "Static Key Authentication": "If the signature is invalid, the connection MUST be terminated immediately."',
    required: true,
    async run (ctx) {
      const { wire } = await openSecured(ctx, { badSignature: true })
      // the handshake is complete for us; the peer must not go on
      return await expectRejected(wire, ctx, 'identity_sig signs another static key')
    }
  },
  {
    id: 'noise.wrong-length-static-key',
    section: 'noise.md §7.4 / libp2p noise README "Handshake Pattern" (s is DHLEN = 32 bytes)',
    required: true,
    async run (ctx) {
      const { wire } = await openSecured(ctx, { staticKeyLength: DHLEN - 1 })
      return await expectRejected(wire, ctx, `a ${DHLEN - 1}-byte static key in message 3`)
    }
  }
]
