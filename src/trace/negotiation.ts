// Follows one multistream-select negotiation from the bytes alone, as a
// capture tool would (multiformats/multistream-select README.md "Protocol";
// libp2p/specs connections/README.md "multistream-select").
//
// Theory of operation. A byte stream that starts with a negotiation (a muxed
// stream, or the Noise channel when the muxer is not inlined) carries, in
// each direction, some framed messages and then the application's bytes. The
// tracer sees both directions and must find that boundary in each:
//
//   listener side  messages until it echoes the dialer's latest proposal
//                  (the accept); everything after it is application data.
//   dialer side    messages up to a proposal; what follows that proposal is
//                  application data, unless the listener has already said
//                  `na` to it, in which case another proposal follows.
//                  (A dialer that sends data right behind its proposal is
//                  "optimistic": it only does so when it will not propose
//                  again. A dialer that proposes again has seen the `na`
//                  first, and so has a tracer on either side.)
//
// Nothing here throws: bytes that break the framing end the negotiation for
// that direction, are reported once, and are passed on as data.

import { ByteQueue } from '../util/byte-queue.js'
import { decodeUvarint } from '../util/varint.js'
import {
  LS, MAX_LS_ANSWER_LENGTH, MAX_MESSAGE_LENGTH, MULTISTREAM_PROTOCOL_ID, NA, decodeText, parseLsAnswer, stripNewline
} from '../multistream/index.js'
import type { Direction } from './events.js'

export interface NegotiationObserver {
  onMessage: (direction: Direction, message: string, size: number, protocols?: string[]) => void
  onUndecodable: (direction: Direction, reason: string) => void
}

type Role = 'dialer' | 'listener'

interface Side {
  readonly role: Role
  readonly queue: ByteQueue
  /** 'pending': the dialer has proposed and we do not know yet whether it proposes again. */
  mode: 'messages' | 'pending' | 'done'
}

export class NegotiationDissector {
  /** The protocol the listener accepted, once it has. */
  accepted: string | undefined
  private readonly sides: Record<Direction, Side>
  private lastProposal: string | undefined
  private refused = new Set<string>()
  private askedLs = false

  /** `localIsDialer`: we opened this stream (or dialled this connection). */
  constructor (localIsDialer: boolean, private readonly observer: NegotiationObserver) {
    const out: Role = localIsDialer ? 'dialer' : 'listener'
    const inRole: Role = localIsDialer ? 'listener' : 'dialer'
    this.sides = {
      out: { role: out, queue: new ByteQueue(), mode: 'messages' },
      in: { role: inRole, queue: new ByteQueue(), mode: 'messages' }
    }
  }

  /** The accepted protocol, else the dialer's latest proposal (an optimistic dialer sends data before the answer). */
  get protocol (): string | undefined {
    return this.accepted ?? this.lastProposal
  }

  /** True once `direction` carries application data only. */
  isDone (direction: Direction): boolean {
    return this.sides[direction].mode === 'done'
  }

  /**
   * Feeds bytes sent in `direction`; returns those that follow the
   * negotiation (application data), possibly none.
   */
  feed (direction: Direction, chunk: Uint8Array): Uint8Array[] {
    const side = this.sides[direction]
    if (side.mode === 'done') return chunk.length > 0 ? [chunk] : []
    side.queue.push(chunk)
    while (side.mode !== 'done') {
      if (side.mode === 'pending') {
        if (side.queue.length === 0) return []
        if (this.lastProposal !== undefined && this.refused.has(this.lastProposal)) side.mode = 'messages'
        else side.mode = 'done'
        continue
      }
      const body = this.nextBody(direction, side)
      if (body === 'need-more') return []
      if (body === 'broken') break
      this.onBody(direction, side, body)
    }
    return side.queue.length > 0 ? [side.queue.takeAll()] : []
  }

  /** The next framed message; 'broken' (and the side is done) when the bytes are not one. */
  private nextBody (direction: Direction, side: Side): { body: Uint8Array, size: number } | 'need-more' | 'broken' {
    const queue = side.queue
    const prefix = queue.peek(Math.min(queue.length, 10))
    if (prefix === undefined || prefix.length === 0) return 'need-more'
    try {
      const length = decodeUvarint(prefix, 0)
      if (length === undefined) return 'need-more'
      const max = side.role === 'listener' && this.askedLs ? MAX_LS_ANSWER_LENGTH : MAX_MESSAGE_LENGTH
      if (length.value > max) throw new Error(`a message length prefix of ${length.value} bytes (limit ${max})`)
      const size = length.bytes + length.value
      const framed = queue.peek(size)
      if (framed === undefined) return 'need-more'
      const body = stripNewline(framed.subarray(length.bytes))
      queue.skip(size)
      return { body, size }
    } catch (err) {
      this.observer.onUndecodable(direction, `not a multistream message: ${(err as Error).message}`)
      side.mode = 'done'
      return 'broken'
    }
  }

  private onBody (direction: Direction, side: Side, { body, size }: { body: Uint8Array, size: number }): void {
    if (side.role === 'listener' && this.askedLs) {
      const protocols = lsAnswer(body)
      if (protocols !== undefined) {
        this.askedLs = false
        this.observer.onMessage(direction, `(ls answer: ${protocols.length} protocols)`, size, protocols)
        return
      }
    }
    let text: string
    try {
      text = decodeText(body)
    } catch (err) {
      this.observer.onUndecodable(direction, (err as Error).message)
      side.mode = 'done'
      return
    }
    this.observer.onMessage(direction, text, size)
    if (text === MULTISTREAM_PROTOCOL_ID) return
    if (side.role === 'dialer') {
      if (text === LS) {
        this.askedLs = true
        return
      }
      this.lastProposal = text
      side.mode = 'pending'
      return
    }
    if (text === NA) {
      if (this.lastProposal !== undefined) this.refused.add(this.lastProposal)
      return
    }
    if (text === this.lastProposal) {
      this.accepted = text
      side.mode = 'done'
    }
  }
}

/**
 * The `ls` answer cannot be told from a line by its bytes, only by context
 * (src/multistream/message.ts): after an `ls`, a body that parses as a list
 * of protocol IDs is taken for the answer.
 */
function lsAnswer (body: Uint8Array): string[] | undefined {
  try {
    const protocols = parseLsAnswer(body)
    return protocols.every(p => p.startsWith('/')) ? protocols : undefined
  } catch {
    return undefined
  }
}
