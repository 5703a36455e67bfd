// The error codes of the multiaddr layer. All are thrown as P2PError
// (../util/errors.ts); callers branch on the code, never on the message.
//
// Over-long or non-minimal varints in binary multiaddrs surface unchanged as
// ERR_INVALID_VARINT from ../util/varint.ts (its message names the offset).

import { printable } from '../util/printable.js'

export const MultiaddrErrorCode = {
  /** A protocol name (text) or code (binary) that is not in the table. */
  UNKNOWN_PROTOCOL: 'ERR_MULTIADDR_UNKNOWN_PROTOCOL',
  /** A missing or malformed value: bad ip, port out of range, bad multihash... */
  INVALID_VALUE: 'ERR_MULTIADDR_INVALID_VALUE',
  /** The bytes end inside a component (its code, length prefix or value). */
  TRUNCATED: 'ERR_MULTIADDR_TRUNCATED',
  /** Text that is not a multiaddr at all: no leading `/`, empty component. */
  INVALID: 'ERR_MULTIADDR_INVALID',
  /** An operation the address does not support (toSocketAddress of /dns4/...). */
  NOT_SOCKET_ADDRESS: 'ERR_MULTIADDR_NOT_SOCKET_ADDRESS'
} as const

export type MultiaddrErrorCode = typeof MultiaddrErrorCode[keyof typeof MultiaddrErrorCode]

/** Shortens attacker-sized input, and escapes its control characters, before it goes into an error message. */
export function shown (text: string, max = 80): string {
  return printable(text.length > max ? `${text.slice(0, max)}...` : text)
}
