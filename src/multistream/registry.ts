// What a listener speaks (libp2p/specs connections/README.md, "Opening New
// Streams Over a Connection").
//
// "By default, libp2p will route each protocol id to its handler function
// using exact literal matching of the protocol id" and "When registering
// protocol handlers, it's possible to use a custom predicate or "match
// function", which will receive incoming protocol ids and return a boolean
// indicating whether the handler supports the protocol."
//
// The listener state machine only needs the `ProtocolMatcher` interface: does
// this side speak a proposed ID, and what to list for `ls`. `ProtocolRegistry`
// is the ordinary implementation; the switch may supply its own.

import { validateProtocolId } from './protocol-id.js'

/** A predicate that accepts proposed protocol IDs beyond the exact one. */
export type MatchFunction = (protocol: string) => boolean

export interface ProtocolMatcher {
  /** True when this side speaks the proposed `protocol`. */
  matches: (protocol: string) => boolean
  /** The protocol IDs to list in the answer to `ls`. */
  list: () => string[]
}

export class ProtocolRegistry implements ProtocolMatcher {
  /** Registered ID -> optional match function, in registration order. */
  private readonly entries = new Map<string, MatchFunction | undefined>()

  constructor (protocols: Iterable<string> = []) {
    for (const protocol of protocols) this.add(protocol)
  }

  /** Registers `protocol`; with `match`, also every ID the function accepts. */
  add (protocol: string, match?: MatchFunction): this {
    this.entries.set(validateProtocolId(protocol), match)
    return this
  }

  remove (protocol: string): boolean {
    return this.entries.delete(protocol)
  }

  matches (protocol: string): boolean {
    if (this.entries.has(protocol)) return true
    for (const match of this.entries.values()) {
      if (match?.(protocol) === true) return true
    }
    return false
  }

  list (): string[] {
    return [...this.entries.keys()]
  }
}

/** A plain list of IDs becomes a registry; a matcher is used as it is. */
export function toMatcher (protocols: string[] | ProtocolMatcher): ProtocolMatcher {
  return Array.isArray(protocols) ? new ProtocolRegistry(protocols) : protocols
}
