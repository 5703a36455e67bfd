// How far an address reaches: the scope of the IP a multiaddr starts with
// (RFC 6890's special-purpose registries, the rows that matter to a peer
// choosing which of its addresses to announce).
//
// Used where a peer must choose which of its addresses to tell others when
// it cannot tell them all (identify's size limit): the ones a remote can
// reach from farthest away come first.

import { ip4FromText, ip6FromText } from './ip.js'
import type { Multiaddr } from './multiaddr.js'

/** Ordered from the widest reach to the narrowest. */
export type AddressScope = 'public' | 'private' | 'link-local' | 'loopback'

const RANK: Record<AddressScope, number> = { public: 0, private: 1, 'link-local': 2, loopback: 3 }

/**
 * The scope of `addr`'s first component (after an /ip6zone, the /ip6 it
 * qualifies). A DNS name (or anything but an IP) counts as public: names are
 * published for others to resolve.
 */
export function addressScope (addr: Multiaddr): AddressScope {
  const [first] = addr.withoutZone().components()
  if (first?.value === undefined) return 'public'
  if (first.name === 'ip4') return ip4Scope(ip4FromText(first.value))
  if (first.name === 'ip6') return ip6Scope(ip6FromText(first.value))
  return 'public'
}

/** The scope of an IPv6 address's 16 bytes. */
export function ip6Scope (ip: Uint8Array): AddressScope {
  // ::ffff:a.b.c.d is the IPv4 address a.b.c.d (RFC 4291 section 2.5.5.2)
  if (ip.subarray(0, 10).every(byte => byte === 0) && ip[10] === 0xff && ip[11] === 0xff) return ip4Scope(ip.subarray(12))
  if (ip.subarray(0, 15).every(byte => byte === 0)) return ip[15] === 1 ? 'loopback' : 'private' // ::1 and :: (RFC 4291)
  if (ip[0] === 0xfe && (ip[1] & 0xc0) === 0x80) return 'link-local' // fe80::/10 (RFC 4291)
  if ((ip[0] & 0xfe) === 0xfc) return 'private' // fc00::/7, unique local (RFC 4193)
  return 'public'
}

/** Compares two addresses by scope, widest first (for a stable sort). */
export function byScope (a: Multiaddr, b: Multiaddr): number {
  return RANK[addressScope(a)] - RANK[addressScope(b)]
}

function ip4Scope (ip: Uint8Array): AddressScope {
  const [a, b] = ip
  if (a === 127) return 'loopback' // 127.0.0.0/8 (RFC 1122)
  if (a === 169 && b === 254) return 'link-local' // 169.254.0.0/16 (RFC 3927)
  if (a === 10) return 'private' // 10.0.0.0/8 (RFC 1918)
  if (a === 172 && b >= 16 && b <= 31) return 'private' // 172.16.0.0/12 (RFC 1918)
  if (a === 192 && b === 168) return 'private' // 192.168.0.0/16 (RFC 1918)
  if (a === 100 && b >= 64 && b <= 127) return 'private' // 100.64.0.0/10, carrier-grade NAT (RFC 6598)
  if (a === 0) return 'private' // 0.0.0.0/8, "this network" (RFC 791): never reachable from elsewhere
  return 'public'
}

