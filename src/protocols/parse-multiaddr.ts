// Addresses received from peers (identify's listenAddrs and observedAddr, a
// peer record's addresses) are advisory: one bad address must not make us
// drop the rest of the message. This parses one, returning undefined for
// bytes that are no valid multiaddr, and for the empty multiaddr (which
// addresses nothing).

import { Multiaddr } from '../multiaddr/index.js'

export function parseMultiaddr (bytes: Uint8Array): Multiaddr | undefined {
  if (bytes.length === 0) return undefined
  try {
    return Multiaddr.fromBytes(bytes)
  } catch {
    return undefined
  }
}
