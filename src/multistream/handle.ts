// The listener driver of multistream-select: answer proposals and `ls` until
// one protocol is agreed (libp2p/specs connections/README.md,
// "multistream-select").
//
// Thin: ListenerMachine decides, `handleProtocols` moves its messages between
// it and a node:stream Duplex. It works for a dialer that waits for each
// answer as well as for an optimistic one that sends header, proposal and its
// first application bytes in one packet: messages are read one at a time, so
// those application bytes stay in the stream for the agreed protocol.

import type { Duplex } from 'node:stream'
import { StreamReader, type Taken } from '../util/stream-reader.js'
import { ListenerMachine, type ListenerOptions } from './listener.js'
import { negotiationTimeLimit, readMessageBody, traceReceived, writeMessages, type NegotiationOptions } from './io.js'
import { toMatcher, type ProtocolMatcher } from './registry.js'

export interface HandleOptions extends NegotiationOptions, ListenerOptions {
  /** Called just before the answer that agrees on a protocol (its echo) is written. */
  beforeAgreement?: () => void
  /**
   * Send our header only once the dialer's has arrived, and, when the
   * dialer's proposal came with it, together with our answer (one write).
   * rust-libp2p's listener also answers the dialer's header rather than
   * speaking first. A dialer waiting for our header before proposing still
   * gets it as soon as its own header is read.
   */
  lazyHeader?: boolean
}

/** Resolves with the protocol agreed with the dialer, after sending its echo. */
export async function handleProtocols (stream: Duplex, protocols: string[] | ProtocolMatcher, options: HandleOptions = {}): Promise<string> {
  return await handleProtocolsNow(stream, protocols, options)
}

/**
 * handleProtocols, the agreed protocol at once when every message it needs
 * is already buffered (an optimistic dialer's header and proposal usually
 * are), else a promise: see StreamReader's `Taken`. May throw synchronously.
 */
export function handleProtocolsNow (stream: Duplex, protocols: string[] | ProtocolMatcher, options: HandleOptions = {}): Taken<string> {
  const machine = new ListenerMachine(toMatcher(protocols), options)
  options.signal?.throwIfAborted()
  const reader = new StreamReader(stream, options.signal, negotiationTimeLimit(options))
  const header = machine.start().send
  // what we owe the dialer and have not written yet: our header, when lazy
  let held = options.lazyHeader === true ? header : []
  if (held.length === 0) writeMessages(stream, header, options.onMessage)

  /** Answers one message; the protocol once one is agreed. */
  const answer = (body: Uint8Array): string | undefined => {
    const step = machine.receive(body)
    traceReceived(options.onMessage, step.received)
    if (step.outcome.type === 'selected') options.beforeAgreement?.()
    held = [...held, ...step.send]
    // a held header waits only while the dialer's next message is already here
    if (step.send.length > 0 || stream.readableLength === 0) {
      writeMessages(stream, held, options.onMessage)
      held = []
    }
    return step.outcome.type === 'selected' ? step.outcome.protocol : undefined
  }
  /** Answers messages while they are buffered; waits (a promise) for the next one that is not. */
  const answerAll = (): Taken<string> => {
    while (true) {
      const body = readMessageBody(reader)
      if (!(body instanceof Uint8Array)) return body.then(b => answer(b) ?? answerAll())
      const protocol = answer(body)
      if (protocol !== undefined) return protocol
    }
  }
  return answerAll()
}
