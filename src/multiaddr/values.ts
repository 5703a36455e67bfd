// Value codecs: how each kind of multiaddr value is written as text and as
// bytes. The protocol table (protocols.ts) names one of these kinds per
// protocol; codec.ts frames the bytes (fixed size or varint length prefix).
//
// Every `toText` also validates: bytes from the network that no text form
// can express (a dns name holding '/', invalid UTF-8, a malformed multihash)
// are refused, so `fromBytes(b).toString()` never prints a wrong address and
// `fromString(fromBytes(b).toString())` gives back exactly `b`.

import { P2PError } from '../util/errors.js'
import { MultiaddrErrorCode, shown } from './errors.js'
import { ip4FromText, ip4ToText, ip6FromText, ip6ToText } from './ip.js'
import { certhashFromText, certhashToText, peerIdFromText, peerIdToText } from './multihash.js'
import { isBase58PeerIdText } from '../util/peer-id-text.js'
import { garlic32, garlic64, onion, onion3 } from './tor-i2p.js'

export interface ValueCodec {
  /** Text → value bytes (without any length prefix); throws ERR_MULTIADDR_INVALID_VALUE. */
  fromText: (text: string) => Uint8Array
  /** Value bytes → canonical text; throws ERR_MULTIADDR_INVALID_VALUE. */
  toText: (bytes: Uint8Array) => string
  /** True when `text`, already accepted by fromText, is its own canonical text (toText is then skipped). */
  isCanonical?: (text: string) => boolean
}

function invalid (detail: string): P2PError {
  return new P2PError(MultiaddrErrorCode.INVALID_VALUE, detail)
}

// A lone UTF-16 surrogate has no UTF-8 encoding; TextEncoder would silently
// replace it with U+FFFD, which would be a wrong address.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

function checkWellFormed (text: string): void {
  if (LONE_SURROGATE.test(text)) throw invalid(`value "${shown(text)}" contains a lone UTF-16 surrogate`)
}

const PORT_PATTERN = /^(0|[1-9][0-9]{0,4})$/
const MAX_PORT = 0xffff

/** tcp, udp, sctp, dccp: uint16 big-endian, decimal text without sign or leading zeros. */
const port: ValueCodec = {
  fromText (text) {
    if (!PORT_PATTERN.test(text)) throw invalid(`port "${shown(text)}" is not a decimal number without sign or leading zeros`)
    const value = Number(text)
    if (value > MAX_PORT) throw invalid(`port ${value} is greater than ${MAX_PORT}`)
    return Uint8Array.of(value >> 8, value & 0xff)
  },
  toText: bytes => String((bytes[0] << 8) | bytes[1])
}

const UINT8_PATTERN = /^(0|[1-9][0-9]{0,2})$/

/** ipcidr: one byte, the prefix length in decimal. */
const uint8: ValueCodec = {
  fromText (text) {
    if (!UINT8_PATTERN.test(text) || Number(text) > 0xff) throw invalid(`"${shown(text)}" is not a decimal number from 0 to 255`)
    return Uint8Array.of(Number(text))
  },
  toText: bytes => String(bytes[0])
}

const ip4: ValueCodec = { fromText: ip4FromText, toText: ip4ToText }
const ip6: ValueCodec = { fromText: ip6FromText, toText: ip6ToText }

const utf8Encoder = new TextEncoder()
const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

/**
 * dns, dns4, dns6, dnsaddr, sni, ip6zone, memory: a non-empty UTF-8 string.
 * In text it is one path segment, so it cannot hold '/'; bytes holding one
 * are refused for the same reason.
 */
const utf8: ValueCodec = {
  fromText (text) {
    if (text.length === 0) throw invalid('value is empty')
    checkWellFormed(text)
    return utf8Encoder.encode(text)
  },
  toText (bytes) {
    if (bytes.length === 0) throw invalid('value is empty')
    let text: string
    try {
      text = utf8Decoder.decode(bytes)
    } catch {
      throw invalid('value is not valid UTF-8')
    }
    if (text.includes('/')) throw invalid(`value "${shown(text)}" contains "/", which no text multiaddr can hold`)
    return text
  }
}

/** C0 control characters and DEL: no host name holds one (RFC 1123 "2.1": letters, digits, hyphens; IDNs add none). */
const HOST_NAME_CONTROL = /[\u0000-\u001f\u007f]/

/** RFC 1035 "2.3.4": "names 255 octets or less" on the wire. */
const MAX_HOST_NAME_BYTES = 255

/**
 * dns, dns4, dns6, dnsaddr, sni: a host name, as utf8 above and with
 * nothing no host name can hold. A NUL matters most: the resolver reads the
 * name as a C string and stops there, so "localhost\0.example.com" would
 * print as one name and resolve as another (checked: Node's dns.lookup
 * answers 127.0.0.1 for it).
 */
const hostName: ValueCodec = {
  fromText (text) {
    return checkHostName(utf8.fromText(text), text)
  },
  toText (bytes) {
    const text = utf8.toText(bytes)
    checkHostName(bytes, text)
    return text
  }
}

function checkHostName (bytes: Uint8Array, text: string): Uint8Array {
  if (HOST_NAME_CONTROL.test(text)) throw invalid(`host name "${shown(text)}" holds a control character`)
  if (bytes.length > MAX_HOST_NAME_BYTES) throw invalid(`host name of ${bytes.length} bytes, over the ${MAX_HOST_NAME_BYTES} a name may have`)
  return bytes
}

/** p2p: a peer ID multihash; text base58btc or a libp2p-key CID. */
const p2p: ValueCodec = { fromText: peerIdFromText, toText: peerIdToText, isCanonical: isBase58PeerIdText }

/** certhash: a multihash; text any multibase, printed base64url. */
const certhash: ValueCodec = { fromText: certhashFromText, toText: certhashToText }

// unix: protocols/unix.md of multiformats/multiaddr: "In the string
// representation, the path is encoded in a way consistent with a single URI
// Path segment per RFC 3986 Section 3.3 ... In the binary representation, no
// encoding is needed as the value is length prefixed." We decode every %XX
// (either case of hex, as protocols/percentencode.md asks) and print every
// byte outside RFC 3986 `pchar` as upper-case %XX (RFC 3986 section 2.1:
// producers "SHOULD use uppercase hexadecimal digits").
//
// http-path: protocols/httppath.md says the same in the same words, adding
// "Specifically following the grammar of a single `segment-nz`" (1*pchar, so
// never empty), so it shares this codec. The value is the percent-decoded
// segment itself: the spec's examples write the HTTP path "/api/v0/login" as
// "/http-path/api%2Fv0%2Flogin" (the leading "/" is implied), and a "%" in the
// path is data ("a%20space" is "/http-path/a%2520space").
// pchar = unreserved / pct-encoded / sub-delims / ":" / "@"
const PCHAR = /^[A-Za-z0-9\-._~!$&'()*+,;=:@]$/
const HEX = '0123456789ABCDEF'

const path: ValueCodec = {
  fromText (text) {
    if (text.length === 0) throw invalid('path is empty')
    checkWellFormed(text)
    const out: number[] = []
    for (let i = 0; i < text.length;) {
      if (text[i] === '%') {
        const hex = text.slice(i + 1, i + 3)
        if (!/^[0-9A-Fa-f]{2}$/.test(hex)) throw invalid(`"%${shown(hex, 2)}" at ${i} in path "${shown(text)}" is not a %XX escape`)
        out.push(parseInt(hex, 16))
        i += 3
      } else {
        const codePoint = text.codePointAt(i) ?? 0
        const char = String.fromCodePoint(codePoint)
        for (const byte of utf8Encoder.encode(char)) out.push(byte)
        i += char.length
      }
    }
    return Uint8Array.from(out)
  },
  toText (bytes) {
    if (bytes.length === 0) throw invalid('path is empty')
    let text = ''
    for (const byte of bytes) {
      const char = String.fromCharCode(byte)
      text += byte < 0x80 && PCHAR.test(char) ? char : `%${HEX[byte >> 4]}${HEX[byte & 15]}`
    }
    return text
  }
}

/** The value kinds, keyed by the name the protocol table uses. */
export const VALUE_CODECS = { port, uint8, ip4, ip6, utf8, hostName, p2p, certhash, path, onion, onion3, garlic64, garlic32 } as const

export type ValueKind = keyof typeof VALUE_CODECS
