// The dialer drivers of multistream-select: `selectProtocol` proposes
// protocols until one is echoed, `listProtocols` asks `ls`
// (libp2p/specs connections/README.md, "multistream-select").
//
// Thin: DialerMachine decides, these functions move its messages between it
// and a node:stream Duplex. On success the stream is positioned right after
// the listener's echo, so the agreed protocol reads its bytes from the same
// stream. On failure the stream is left as it is; the caller should destroy it.

import type { Duplex } from 'node:stream'
import { P2PError } from '../util/errors.js'
import { StreamReader } from '../util/stream-reader.js'
import { MAX_LS_ANSWER_LENGTH } from './constants.js'
import { unreachable } from './message.js'
import { DialerMachine, type DialerOutcome, type DialerStep } from './dialer.js'
import { negotiationTimeLimit, notSupported, readMessageBody, traceReceived, writeMessages, type NegotiationOptions } from './io.js'

export interface SelectOptions extends NegotiationOptions {
  /** The header was already exchanged on this stream (e.g. by `listProtocols`). */
  headerExchanged?: boolean
}

/**
 * Proposes `protocols` in order of preference and resolves with the first one
 * the listener echoes. The header and the first proposal go out in one write.
 * Rejects with ERR_PROTOCOL_NOT_SUPPORTED (listing what was tried) when the
 * listener answers `na` to all of them.
 */
export async function selectProtocol (stream: Duplex, protocols: string[], options: SelectOptions = {}): Promise<string> {
  const machine = new DialerMachine({ headerExchanged: options.headerExchanged })
  const outcome = await drive(stream, machine, machine.propose(protocols), options)
  switch (outcome.type) {
    case 'selected': return outcome.protocol
    case 'rejected': throw notSupported(outcome.tried)
    case 'listed':
    case 'ls-unsupported':
    case 'need-more':
      throw new P2PError('ERR_INVALID_STATE', `negotiation ended with ${outcome.type}`)
    default:
      return unreachable(outcome)
  }
}

/**
 * Sends `ls` and resolves with the listener's protocols. The header is then
 * exchanged: propose next with `selectProtocol(stream, ids, { headerExchanged: true })`,
 * also after ERR_LS_NOT_SUPPORTED (a listener that answered `na`).
 */
export async function listProtocols (stream: Duplex, options: NegotiationOptions = {}): Promise<string[]> {
  const machine = new DialerMachine()
  const outcome = await drive(stream, machine, machine.list(), options)
  if (outcome.type === 'ls-unsupported') {
    throw new P2PError('ERR_LS_NOT_SUPPORTED', 'the listener answered ls with na: it does not list its protocols (ls is optional); propose on this stream instead', { remote: true })
  }
  if (outcome.type !== 'listed') throw new P2PError('ERR_INVALID_STATE', `ls ended with ${outcome.type}`)
  return outcome.protocols
}

/** Runs the machine until its outcome is no longer need-more. */
async function drive (stream: Duplex, machine: DialerMachine, first: DialerStep, options: NegotiationOptions): Promise<DialerOutcome> {
  options.signal?.throwIfAborted()
  const reader = new StreamReader(stream, options.signal, negotiationTimeLimit(options))
  writeMessages(stream, first.send, options.onMessage)
  while (true) {
    const taken = readMessageBody(reader, machine.expectsLsAnswer ? MAX_LS_ANSWER_LENGTH : undefined)
    const body = taken instanceof Uint8Array ? taken : await taken
    const step = machine.receive(body)
    traceReceived(options.onMessage, step.received)
    writeMessages(stream, step.send, options.onMessage)
    if (step.outcome.type !== 'need-more') return step.outcome
  }
}
