// The optimistic ("lazy") dialer for exactly one protocol (libp2p/specs
// connections/README.md, "multistream-select").
//
// When a dialer proposes a single protocol it does not need to wait for the
// answer before speaking that protocol: if the listener echoes it, the bytes
// already sent were right; if it answers `na`, the stream is useless anyway.
// This saves a round trip. The spec allows it implicitly: "Both sides may
// send the initial multistream protocol id simultaneously, without waiting to
// receive data from the other side", and the listener reads one message at a
// time, so the application bytes behind the proposal wait in its stream.
//
//     dialer                                  listener
//       ── /multistream/1.0.0 /noise <noise msg 1> ──►     (one write)
//       ◄── /multistream/1.0.0 /noise <noise msg 2> ──
//
// Two forms: `writeOptimisticProposal` + `readOptimisticAccept` for a caller
// that drives its own reads (the upgrader sends `/noise` and the first Noise
// message, then reads the answer), and `selectOptimistic` (optimistic-stream.ts)
// which wraps the stream so the answer is checked on the first reads.

import type { Duplex } from 'node:stream'
import { StreamReader } from '../util/stream-reader.js'
import { P2PError } from '../util/errors.js'
import { DialerMachine } from './dialer.js'
import { unreachable } from './message.js'
import { negotiationTimeLimit, notSupported, readMessageBody, traceReceived, writeMessages, type MessageHook, type NegotiationOptions } from './io.js'

/** Writes the header and the proposal of `protocol` in one write, and returns. */
export function writeOptimisticProposal (stream: Duplex, protocol: string, hook?: MessageHook): void {
  writeMessages(stream, new DialerMachine().propose([protocol]).send, hook)
}

/**
 * Reads the listener's header and its answer to the proposal that
 * `writeOptimisticProposal` sent. Resolves with `protocol` when it was echoed;
 * rejects with ERR_PROTOCOL_NOT_SUPPORTED on `na`. Reads nothing after the
 * echo. The timeout and `options.signal` apply on top of the reader's signal.
 */
export async function readOptimisticAccept (reader: StreamReader, protocol: string, options: NegotiationOptions = {}): Promise<string> {
  const machine = new DialerMachine()
  machine.propose([protocol]) // already on the wire
  options.signal?.throwIfAborted()
  const timed = new StreamReader(reader.stream, options.signal, negotiationTimeLimit(options))
  while (true) {
    const body = readMessageBody(timed)
    const step = machine.receive(body instanceof Uint8Array ? body : await body)
    traceReceived(options.onMessage, step.received)
    switch (step.outcome.type) {
      case 'need-more': continue
      case 'selected': return step.outcome.protocol
      case 'rejected': throw notSupported(step.outcome.tried)
      case 'listed':
      case 'ls-unsupported':
        throw new P2PError('ERR_INVALID_STATE', 'an ls answer arrived, but no ls was sent')
      default: return unreachable(step.outcome)
    }
  }
}
