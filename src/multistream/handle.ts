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
import { StreamReader } from '../util/stream-reader.js'
import { ListenerMachine, type ListenerOptions } from './listener.js'
import { negotiationDeadline, readMessageBody, traceReceived, writeMessages, type NegotiationOptions } from './io.js'
import { toMatcher, type ProtocolMatcher } from './registry.js'

export interface HandleOptions extends NegotiationOptions, ListenerOptions {
  /** Called just before the answer that agrees on a protocol (its echo) is written. */
  beforeAgreement?: () => void
}

/** Resolves with the protocol agreed with the dialer, after sending its echo. */
export async function handleProtocols (stream: Duplex, protocols: string[] | ProtocolMatcher, options: HandleOptions = {}): Promise<string> {
  const machine = new ListenerMachine(toMatcher(protocols), options)
  const deadline = negotiationDeadline(options)
  try {
    deadline.signal.throwIfAborted()
    const reader = new StreamReader(stream, deadline.signal)
    writeMessages(stream, machine.start().send, options.onMessage)
    while (true) {
      const step = machine.receive(await readMessageBody(reader))
      traceReceived(options.onMessage, step.received)
      if (step.outcome.type === 'selected') options.beforeAgreement?.()
      writeMessages(stream, step.send, options.onMessage)
      if (step.outcome.type === 'selected') return step.outcome.protocol
    }
  } finally {
    deadline.clear()
  }
}
