// The listener ("Responder") side of multistream-select as a sans-I/O state
// machine (libp2p/specs connections/README.md, "multistream-select";
// multistream-select README.md, "Listing").
//
// Theory of operation: `start` returns the header to send; every message body
// that arrives goes to `receive`, which returns the answer to send and the
// outcome. The listener answers each proposal with its echo (agreement, the
// negotiation is over) or `na` (it keeps listening for the next proposal),
// and answers `ls` with its list. A peer that only provokes answers is cut
// off after MAX_PROPOSALS.
//
//     awaiting-header ──header──► awaiting-proposal ──supported id, echoed──► selected
//            │                      │   ▲
//            │ anything else        │   │ unsupported: na / ls: the list
//            ▼                      └───┘
//     ERR_INVALID_HEADER           (more than MAX_PROPOSALS: ERR_TOO_MANY_PROPOSALS)

import { P2PError } from '../util/errors.js'
import { MAX_PROPOSALS, MULTISTREAM_PROTOCOL_ID } from './constants.js'
import { HEADER, messageText, NA_MESSAGE, parseMessage, unreachable, type Message } from './message.js'
import { isProtocolId } from './protocol-id.js'
import type { ProtocolMatcher } from './registry.js'

export type ListenerState = 'awaiting-header' | 'awaiting-proposal' | 'selected'

export type ListenerOutcome =
  /** Nothing decided yet: send `send` and feed the next message. */
  | { type: 'need-more' }
  /** `protocol` is agreed (its echo is in `send`); the next bytes are its. */
  | { type: 'selected', protocol: string }
  /** `proposal` is not spoken here; `na` is in `send`, keep listening. */
  | { type: 'rejected', proposal: string }
  /** The dialer asked `ls`; the list is in `send`, keep listening. */
  | { type: 'listed', protocols: string[] }

export interface ListenerStep {
  /** The message just received, as understood (for wire traces). */
  received?: Message
  /** Messages to send, in order, in one write. */
  send: Message[]
  outcome: ListenerOutcome
}

export interface ListenerOptions {
  /** Proposals and `ls` requests answered before ERR_TOO_MANY_PROPOSALS. */
  maxProposals?: number
}

export class ListenerMachine {
  private _state: ListenerState = 'awaiting-header'
  private headerSent = false
  private proposals = 0
  private readonly maxProposals: number

  constructor (private readonly matcher: ProtocolMatcher, options: ListenerOptions = {}) {
    this.maxProposals = options.maxProposals ?? MAX_PROPOSALS
  }

  get state (): ListenerState {
    return this._state
  }

  /** The header to send right away (empty when already sent). */
  start (): ListenerStep {
    if (this.headerSent) return { send: [], outcome: { type: 'need-more' } }
    this.headerSent = true
    return { send: [HEADER], outcome: { type: 'need-more' } }
  }

  /** Feeds one received message body (length prefix and newline removed). */
  receive (body: Uint8Array): ListenerStep {
    const message = parseMessage(body)
    switch (this._state) {
      case 'awaiting-header':
        // "If either side receives anything other than the multistream
        // protocol id as the first message, they abort the negotiation process."
        if (message.type !== 'header') {
          throw new P2PError('ERR_INVALID_HEADER', `expected the header ${JSON.stringify(MULTISTREAM_PROTOCOL_ID)} as the first message, got ${JSON.stringify(messageText(message))}`, { remote: true })
        }
        this._state = 'awaiting-proposal'
        return { received: message, ...this.start() }
      case 'awaiting-proposal':
        return { received: message, ...this.answer(message) }
      case 'selected':
        throw new P2PError('ERR_INVALID_STATE', 'the negotiation is over (selected); later bytes belong to the next layer')
      default:
        return unreachable(this._state)
    }
  }

  private answer (message: Message): Omit<ListenerStep, 'received'> {
    this.proposals++
    if (this.proposals > this.maxProposals) {
      throw new P2PError('ERR_TOO_MANY_PROPOSALS', `expected agreement within ${this.maxProposals} proposals, the dialer sent more`, { remote: true })
    }
    switch (message.type) {
      case 'ls': {
        const protocols = this.matcher.list()
        return { send: [{ type: 'protocols', protocols }], outcome: { type: 'listed', protocols } }
      }
      case 'protocol':
        // "If the Responder supports that protocol, it will respond by echoing
        // back the protocol id, which signals agreement."
        if (isProtocolId(message.protocol) && this.matcher.matches(message.protocol)) {
          this._state = 'selected'
          return { send: [message], outcome: { type: 'selected', protocol: message.protocol } }
        }
        return this.notAvailable(message.protocol)
      // a second header or a stray "na" is no protocol we speak either
      case 'header':
      case 'na':
        return this.notAvailable(messageText(message))
      case 'protocols':
        return this.notAvailable(messageText(message))
      default:
        return unreachable(message)
    }
  }

  /** "If the protocol is not supported, the Responder will respond with the string "na"". */
  private notAvailable (proposal: string): Omit<ListenerStep, 'received'> {
    return { send: [NA_MESSAGE], outcome: { type: 'rejected', proposal } }
  }
}
