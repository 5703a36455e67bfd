// multistream-select cases, on the plaintext connection before /noise.
//
// Spec: multiformats/multistream-select README.md "Protocol", "Listing";
// libp2p/specs connections/README.md "multistream-select".

import { encodeFrame, encodeMessage, MULTISTREAM_PROTOCOL_ID, parseLsAnswer } from '../../multistream/index.js'
import { NOISE_PROTOCOL_ID } from '../../noise/index.js'
import { concat } from '../../multistream/codec.js'
import { openRaw, select } from '../connect.js'
import { expectHeader, takeMessage, takeMessageBody } from '../multistream.js'
import { fail, pass, type ConformCase } from '../case.js'

/** A protocol ID nobody serves. */
const UNKNOWN_PROTOCOL = '/libp2p-conform/does-not-exist/1.0.0'

/**
 * The over-long message we send: 10 KiB, ten times what go, rust and js
 * accept (1024 bytes), so any implementation with a limit must reject it.
 */
const OVER_LONG_MESSAGE_BYTES = 10 * 1024

export const multistreamCases: ConformCase[] = [
  {
    id: 'multistream.na-then-continue',
    section: 'multistream-select README "Protocol"',
    required: true,
    async run (ctx) {
      const wire = await openRaw(ctx)
      // "If the listener does not support the protocol, it responds with na"
      const answer = await select(wire, UNKNOWN_PROTOCOL, ctx.stepTimeoutMs)
      if (answer !== 'na') return fail(`expected "na" for ${UNKNOWN_PROTOCOL}, got "${answer}"`)
      // "... and the dialer may then propose a different protocol"
      wire.write(encodeMessage(NOISE_PROTOCOL_ID))
      const second = await wire.next(q => takeMessage(q), `the answer to "${NOISE_PROTOCOL_ID}" after na`, ctx.stepTimeoutMs)
      wire.destroy()
      if (second !== NOISE_PROTOCOL_ID) return fail(`after na, expected "${NOISE_PROTOCOL_ID}" to be accepted, got "${second}"`)
      return pass(`na, then ${NOISE_PROTOCOL_ID} accepted`)
    }
  },
  {
    id: 'multistream.ls',
    section: 'multistream-select README "Listing"',
    // go-multistream and others have dropped `ls`; the spec still lists it.
    required: false,
    async run (ctx) {
      const wire = await openRaw(ctx)
      wire.write(concat([encodeMessage(MULTISTREAM_PROTOCOL_ID), encodeMessage('ls')]))
      expectHeader(await wire.next(q => takeMessage(q), 'the multistream header', ctx.stepTimeoutMs))
      let body: Uint8Array
      try {
        body = await wire.next(q => takeMessageBody(q), 'the answer to ls', ctx.stepTimeoutMs)
      } finally {
        wire.destroy()
      }
      if (new TextDecoder().decode(body) === 'na') return fail('answered "na" to ls')
      const protocols = parseLsAnswer(body)
      if (!protocols.includes(NOISE_PROTOCOL_ID)) return fail(`ls answer ${JSON.stringify(protocols)} does not list ${NOISE_PROTOCOL_ID}, which the peer accepts`)
      return pass(`ls: ${protocols.join(' ')}`)
    }
  },
  {
    id: 'multistream.over-long-message',
    section: 'connections README "multistream-select" (message length limit)',
    // the specs name no limit; every implementation has one
    required: false,
    async run (ctx) {
      const wire = await openRaw(ctx)
      const body = new Uint8Array(OVER_LONG_MESSAGE_BYTES - 1).fill(0x61)
      body[0] = 0x2f // '/'
      wire.write(concat([encodeMessage(MULTISTREAM_PROTOCOL_ID), encodeFrame(body, Infinity)]))
      try {
        expectHeader(await wire.next(q => takeMessage(q), 'the multistream header', ctx.stepTimeoutMs))
        const answer = await wire.next(q => takeMessage(q), 'an answer or a closed connection', ctx.stepTimeoutMs)
        if (answer === 'na') return pass(`a ${OVER_LONG_MESSAGE_BYTES}-byte message was answered with na`)
        return fail(`a ${OVER_LONG_MESSAGE_BYTES}-byte protocol ID was answered with "${answer.slice(0, 40)}..."`)
      } catch (err) {
        if (wire.closedReason !== undefined) return pass(`the peer closed the connection (${wire.closedReason})`)
        throw err
      } finally {
        wire.destroy()
      }
    }
  }
]
