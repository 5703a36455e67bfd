// IP address values: /ip4 (4 bytes) and /ip6 (16 bytes).
//
// Text forms:
// - ip4: dotted decimal, exactly four octets 0-255, no leading zeros ("010"
//   is octal to some parsers and decimal to others, so it is refused rather
//   than guessed).
// - ip6: RFC 4291 section 2.2 text forms: eight groups of 1-4 hex digits,
//   one `::` standing for one or more zero groups, and optionally the last
//   32 bits written as an IPv4 dotted quad. Printed in the canonical form of
//   RFC 5952 section 4 (lower case, no leading zeros, the longest run of two
//   or more zero groups, the first one on a tie, shortened to `::`), with
//   IPv4-mapped addresses printed as `::ffff:a.b.c.d` (RFC 5952 section 5).
//
// Both parsers throw a P2PError ERR_MULTIADDR_INVALID_VALUE saying what was
// wrong; the caller adds where in the multiaddr it was.

import { P2PError } from '../util/errors.js'
import { MultiaddrErrorCode, shown } from './errors.js'

const IP4_PATTERN = /^([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})$/
const IP6_GROUP_PATTERN = /^[0-9a-fA-F]{1,4}$/

function invalid (what: string, text: string, detail: string): P2PError {
  return new P2PError(MultiaddrErrorCode.INVALID_VALUE, `invalid ${what} address "${shown(text)}": ${detail}`)
}

/** Parses dotted-decimal IPv4 text into 4 bytes. */
export function ip4FromText (text: string): Uint8Array {
  const match = IP4_PATTERN.exec(text)
  if (match === null) throw invalid('ip4', text, 'expected four dot-separated decimal octets such as 127.0.0.1')
  const out = new Uint8Array(4)
  for (let i = 0; i < 4; i++) {
    const octet = match[i + 1]
    if (octet.length > 1 && octet[0] === '0') throw invalid('ip4', text, `octet "${octet}" has a leading zero`)
    const value = Number(octet)
    if (value > 255) throw invalid('ip4', text, `octet ${value} is greater than 255`)
    out[i] = value
  }
  return out
}

export function ip4ToText (bytes: Uint8Array): string {
  return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`
}

/** Parses IPv6 text (RFC 4291 section 2.2) into 16 bytes. */
export function ip6FromText (text: string): Uint8Array {
  if (text.includes('%')) throw invalid('ip6', text, 'a zone is not part of /ip6; write it as /ip6zone/<zone>/ip6/<address>')
  const doubleColon = text.indexOf('::')
  if (doubleColon !== -1 && text.indexOf('::', doubleColon + 1) !== -1) {
    throw invalid('ip6', text, '"::" may appear only once')
  }
  const headText = doubleColon === -1 ? text : text.slice(0, doubleColon)
  const tailText = doubleColon === -1 ? '' : text.slice(doubleColon + 2)
  const head = headText === '' ? [] : headText.split(':')
  const tail = tailText === '' ? [] : tailText.split(':')
  if (doubleColon === -1 && head.length === 0) throw invalid('ip6', text, 'empty address')

  // an embedded IPv4 dotted quad may only be the last 32 bits
  const last = doubleColon === -1 ? head : tail
  const groups = (parts: string[], isLast: boolean): number[] => {
    const out: number[] = []
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i]
      if (isLast && i === parts.length - 1 && part.includes('.')) {
        const v4 = ip4FromText(part)
        out.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3])
      } else if (IP6_GROUP_PATTERN.test(part)) {
        out.push(parseInt(part, 16))
      } else {
        throw invalid('ip6', text, `group "${shown(part, 20)}" is not 1 to 4 hex digits`)
      }
    }
    return out
  }
  const headGroups = groups(head, last === head)
  const tailGroups = groups(tail, last === tail)
  const given = headGroups.length + tailGroups.length
  let all: number[]
  if (doubleColon === -1) {
    if (given !== 8) throw invalid('ip6', text, `expected 8 groups, got ${given}`)
    all = headGroups
  } else {
    // RFC 4291: "The use of "::" indicates one or more groups of 16 bits of zeros."
    if (given > 7) throw invalid('ip6', text, `"::" must stand for at least one group, but ${given} groups are given`)
    all = [...headGroups, ...new Array<number>(8 - given).fill(0), ...tailGroups]
  }
  const out = new Uint8Array(16)
  for (let i = 0; i < 8; i++) {
    out[2 * i] = all[i] >> 8
    out[2 * i + 1] = all[i] & 0xff
  }
  return out
}

/** Prints 16 bytes in the canonical text form of RFC 5952. */
export function ip6ToText (bytes: Uint8Array): string {
  const groups: number[] = []
  for (let i = 0; i < 8; i++) groups.push((bytes[2 * i] << 8) | bytes[2 * i + 1])

  // RFC 5952 section 5: IPv4-mapped addresses (::ffff:0:0/96) keep the
  // dotted quad in their last 32 bits.
  if (groups.slice(0, 5).every(g => g === 0) && groups[5] === 0xffff) {
    return `::ffff:${ip4ToText(bytes.subarray(12, 16))}`
  }

  // RFC 5952 4.2.3: "the longest run of consecutive 16-bit 0 fields MUST be
  // shortened"; on a tie "the first sequence of zero bits MUST be shortened".
  // 4.2.2: "The symbol "::" MUST NOT be used to just shorten one 16-bit 0 field."
  let bestStart = -1
  let bestLength = 1
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) { i++; continue }
    let j = i
    while (j < 8 && groups[j] === 0) j++
    if (j - i > bestLength) { bestStart = i; bestLength = j - i }
    i = j
  }
  // RFC 5952 4.3: "The characters "a", "b", "c", "d", "e", and "f" in an IPv6
  // address MUST be represented in lowercase." toString(16) does that, and
  // 4.1's "Leading zeros MUST be suppressed".
  const hex = (gs: number[]): string => gs.map(g => g.toString(16)).join(':')
  if (bestStart === -1) return hex(groups)
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLength))}`
}
