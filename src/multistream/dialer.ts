// The dialer ("Initiator") side of multistream-select as a sans-I/O state
// machine (libp2p/specs connections/README.md, "multistream-select").
//
// Theory of operation: the caller asks to `propose` protocols (or to `list`
// them), sends the messages returned, and feeds every message body that
// arrives to `receive`, which returns what to send next and the outcome. No
// sockets, no timers: the drivers in select.ts / optimistic.ts do the I/O.
//
// The header is sent together with the first proposal (one write, as the spec
// allows: "Both sides may send the initial multistream protocol id
// simultaneously, without waiting to receive data from the other side"), and
// the first message received must be the listener's header.
//
//                  propose(ids)                     echo of the proposal
//     idle ──────────────────────► awaiting-answer ──────────────────────► selected
//      ▲  │                         │     ▲
//      │  │ list()                  │ na  │ send the next proposal
//      │  ▼                         │     │
//     awaiting-ls-answer            ├─────┘
//      (ls answer or na -> idle)    └ na, nothing left ──────────────────► rejected

import { P2PError } from '../util/errors.js'
import { decodeText } from './codec.js'
import { parseLsAnswer } from './ls.js'
import { HEADER, LS_MESSAGE, NA_MESSAGE, messageText, parseMessage, unreachable, type Message } from './message.js'
import { validateProtocolId } from './protocol-id.js'
import { MULTISTREAM_PROTOCOL_ID, NA } from './constants.js'

export type DialerState = 'idle' | 'awaiting-answer' | 'awaiting-ls-answer' | 'selected' | 'rejected'

export type DialerOutcome =
  /** Nothing decided yet: send `send` (maybe nothing) and feed the next message. */
  | { type: 'need-more' }
  /** The listener echoed `protocol`: it is agreed, the next bytes are its. */
  | { type: 'selected', protocol: string }
  /** The listener answered `na` to every proposal, in the order `tried`. */
  | { type: 'rejected', tried: string[] }
  /** The listener answered `ls` with `protocols`; the dialer may propose now. */
  | { type: 'listed', protocols: string[] }
  /** The listener answered `ls` with `na`: it does not list (go-multistream since v0.3); the dialer may propose now. */
  | { type: 'ls-unsupported' }

export interface DialerStep {
  /** The message just received, as understood (for wire traces). */
  received?: Message
  /** Messages to send, in order, in one write. */
  send: Message[]
  outcome: DialerOutcome
}

export interface DialerOptions {
  /** The header was already sent and received on this stream (e.g. by an earlier `ls`). */
  headerExchanged?: boolean
}

export class DialerMachine {
  private _state: DialerState = 'idle'
  private headerSent: boolean
  private headerReceived: boolean
  private proposals: string[] = []
  private index = 0

  constructor (options: DialerOptions = {}) {
    this.headerSent = options.headerExchanged === true
    this.headerReceived = options.headerExchanged === true
  }

  get state (): DialerState {
    return this._state
  }

  /** True when the next message is the `ls` answer (drivers allow it a larger limit). */
  get expectsLsAnswer (): boolean {
    return this.headerReceived && this._state === 'awaiting-ls-answer'
  }

  /** Starts proposing `protocols` in order of preference. */
  propose (protocols: string[]): DialerStep {
    this.expectState('idle', 'propose')
    if (protocols.length === 0) {
      throw new P2PError('ERR_NO_PROTOCOLS', 'expected at least one protocol to propose, got an empty list')
    }
    this.proposals = protocols.map(validateProtocolId)
    this.index = 0
    this._state = 'awaiting-answer'
    return { send: [...this.header(), { type: 'protocol', protocol: this.proposals[0] }], outcome: { type: 'need-more' } }
  }

  /** Asks the listener for its protocols. */
  list (): DialerStep {
    this.expectState('idle', 'list')
    this._state = 'awaiting-ls-answer'
    return { send: [...this.header(), LS_MESSAGE], outcome: { type: 'need-more' } }
  }

  /** Feeds one received message body (length prefix and newline removed). */
  receive (body: Uint8Array): DialerStep {
    if (this._state === 'selected' || this._state === 'rejected') {
      throw new P2PError('ERR_INVALID_STATE', `the negotiation is over (${this._state}); later bytes belong to the next layer`)
    }
    if (!this.headerReceived) {
      const message = parseMessage(body)
      // "If either side receives anything other than the multistream protocol
      // id as the first message, they abort the negotiation process."
      if (message.type !== 'header') {
        throw new P2PError('ERR_INVALID_HEADER', `expected the header ${JSON.stringify(MULTISTREAM_PROTOCOL_ID)} as the first message, got ${JSON.stringify(messageText(message))}`, { remote: true })
      }
      this.headerReceived = true
      return { received: message, send: [], outcome: { type: 'need-more' } }
    }
    switch (this._state) {
      case 'idle':
        throw new P2PError('ERR_UNEXPECTED_MESSAGE', `expected no message before a proposal, got ${JSON.stringify(decodeText(body))}`, { remote: true })
      case 'awaiting-ls-answer': {
        // README "Listing", since multistream-select PR 22: "`ls` support is
        // OPTIONAL ... implementations MUST NOT depend on a remote node
        // supporting `ls`"; go-multistream answers it `na`. A body of just
        // `na` is no list (its first byte would claim a 110-byte entry).
        if (isNa(body)) {
          this._state = 'idle'
          return { received: NA_MESSAGE, send: [], outcome: { type: 'ls-unsupported' } }
        }
        const protocols = parseLsAnswer(body)
        this._state = 'idle'
        return { received: { type: 'protocols', protocols }, send: [], outcome: { type: 'listed', protocols } }
      }
      case 'awaiting-answer':
        return this.answer(parseMessage(body))
      default:
        return unreachable(this._state)
    }
  }

  private answer (message: Message): DialerStep {
    const proposed = this.proposals[this.index]
    // "If the Responder supports that protocol, it will respond by echoing
    // back the protocol id, which signals agreement."
    if (message.type === 'protocol' && message.protocol === proposed) {
      this._state = 'selected'
      return { received: message, send: [], outcome: { type: 'selected', protocol: proposed } }
    }
    // "If a peer receives a "na" response to a proposed protocol id, they can
    // either try again with a different protocol id or close the channel."
    if (message.type === 'na') {
      this.index++
      if (this.index < this.proposals.length) {
        return { received: message, send: [{ type: 'protocol', protocol: this.proposals[this.index] }], outcome: { type: 'need-more' } }
      }
      this._state = 'rejected'
      return { received: message, send: [], outcome: { type: 'rejected', tried: [...this.proposals] } }
    }
    throw new P2PError('ERR_UNEXPECTED_MESSAGE', `expected ${JSON.stringify(proposed)} or "na" in answer to the proposal, got ${JSON.stringify(messageText(message))}`, { remote: true })
  }

  private header (): Message[] {
    if (this.headerSent) return []
    this.headerSent = true
    return [HEADER]
  }

  private expectState (expected: DialerState, action: string): void {
    if (this._state !== expected) {
      throw new P2PError('ERR_INVALID_STATE', `cannot ${action} in state ${this._state}: expected ${expected}`)
    }
  }
}

/** The body of an `na` message. */
function isNa (body: Uint8Array): boolean {
  return body.length === NA.length && decodeText(body) === NA
}
