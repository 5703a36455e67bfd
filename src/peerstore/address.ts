// Turning a caller's multiaddr into the address the store keeps for a peer.
//
// A peer's addresses are stored without the peer's own ID: `/ip4/1.2.3.4/
// tcp/4001/p2p/<id>` and `/ip4/1.2.3.4/tcp/4001` name the same address of the
// same peer, so the trailing `/p2p/<id>` is stripped and both are one entry.
// An address that ends in ANOTHER peer's ID is not an address of this peer
// (a relay address ends in `/p2p-circuit`, so it is unaffected); it is
// ignored rather than thrown, because such lists come from remote peers.

import { P2PError } from '../util/errors.js'
import { PeerStoreErrorCode } from './errors.js'
import { CODE_P2P, isMultiaddr, type Multiaddr, type PeerId } from './deps.js'
import type { PeerStoreLimits } from './limits.js'

/** The address to store for `peer`, or undefined when it is not this peer's. */
export function normaliseAddress (peer: PeerId, addr: Multiaddr, limits: PeerStoreLimits): Multiaddr | undefined {
  if (!isMultiaddr(addr)) {
    throw new P2PError(PeerStoreErrorCode.INVALID_MULTIADDR, `expected a Multiaddr, got ${addr === null ? 'null' : typeof addr}`)
  }
  if (addr.bytes.length > limits.maxMultiaddrBytes) {
    throw new P2PError(PeerStoreErrorCode.INVALID_MULTIADDR, `expected a multiaddr of at most ${limits.maxMultiaddrBytes} bytes, got ${addr.bytes.length} bytes`)
  }
  const components = addr.components()
  const last = components[components.length - 1]
  if (last === undefined) return undefined
  if (last.code !== CODE_P2P) return addr
  if (last.value === undefined || !peer.equals(last.value)) return undefined
  const stripped = addr.decapsulateCode(CODE_P2P)
  return stripped.bytes.length === 0 ? undefined : stripped
}
