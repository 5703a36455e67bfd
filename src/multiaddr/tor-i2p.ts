// Tor and I2P address values: /onion, /onion3, /garlic64 and /garlic32
// (multiformats/multiaddr protocols.csv: "444, 96, onion", "445, 296,
// onion3", "446, V, garlic64", "447, V, garlic32").
//
// The multiaddr spec gives these protocols a size and nothing else
// (protocols/onion.md is a title), so the text and binary forms follow the
// test vectors of go-multiaddr (all four), rust- and js-multiaddr (/onion,
// /onion3), copied to spec-vectors/multiaddr/, and the lengths come from the
// Tor and I2P specs:
//
//   /onion/<16 base32>:<port>    Tor v2 service ID (the first 80 bits of a
//                                SHA-1 of the service key, multiaddr issue
//                                #65): 10 bytes, then the port. 12 bytes.
//   /onion3/<56 base32>:<port>   Tor v3 address, rend-spec-v3 section 6:
//                                base32(PUBKEY | CHECKSUM | VERSION), 32 + 2
//                                + 1 = 35 bytes, then the port. 37 bytes.
//   /garlic64/<I2P base64>       an I2P Destination (multicodec table.csv:
//                                "I2P base64 (raw public key)"), 387 bytes
//                                or more, length-prefixed.
//   /garlic32/<base32>           an I2P b32 address, 32 bytes or 35 or more
//                                (see GARLIC32 below), length-prefixed.
//
// The port follows the address bytes as a big-endian uint16; in text it is
// decimal (no sign, no leading zeros, as for /tcp) and from 1 to 65535: the go
// and rust suites refuse ":0" and rust-multiaddr's generator never makes port
// 0, so bytes holding port 0 are refused too (no text could print them).
//
// Base32 is RFC 4648's alphabet without padding. Tor and I2P print it in
// lower case, as all the vectors do, and so do we; reading accepts either
// case: I2P chose base32 "for case-insensitivity" (proposal 149, Goals), and
// the base32 decoder (../util/multibase.ts) folds case as the multibase
// suite requires. Bits left over in the last character must be zero (RFC
// 4648 section 3.5), so each value has exactly one text form.
//
// We check lengths, not contents: the /onion3 checksum and version byte and
// the Destination's certificate are Tor's and I2P's to verify (no multiaddr
// suite checks them; rust-multiaddr builds /onion3 from 35 random bytes).

import { P2PError } from '../util/errors.js'
import { base32 } from '../util/multibase.js'
import { MultiaddrErrorCode, shown } from './errors.js'
import type { ValueCodec } from './values.js'

function invalid (what: string, detail: string, cause?: unknown): P2PError {
  return new P2PError(MultiaddrErrorCode.INVALID_VALUE, `invalid ${what} address: ${detail}`, cause === undefined ? {} : { cause })
}

/** Base32 text → bytes; any decoder complaint becomes ERR_MULTIADDR_INVALID_VALUE. */
function base32Decode (what: string, text: string): Uint8Array {
  try {
    return base32.decode(text)
  } catch (err) {
    throw invalid(what, err instanceof Error ? err.message : String(err), err)
  }
}

const PORT_PATTERN = /^[1-9][0-9]{0,4}$/
const MAX_PORT = 0xffff

/**
 * An onion address: `<host>:<port>` in text, host bytes then the port in
 * binary. `hostChars` base32 characters make exactly `hostBytes` bytes (16 →
 * 10, 56 → 35), so no bits are left over.
 */
function onionCodec (what: string, hostChars: number, hostBytes: number): ValueCodec {
  return {
    fromText (text) {
      const colon = text.indexOf(':')
      if (colon === -1) throw invalid(what, `"${shown(text)}" has no ":<port>"`)
      const host = text.slice(0, colon)
      const port = text.slice(colon + 1)
      if (host.length !== hostChars) throw invalid(what, `"${shown(host)}" is ${host.length} characters, expected ${hostChars} base32 characters`)
      if (!PORT_PATTERN.test(port) || Number(port) > MAX_PORT) {
        throw invalid(what, `port "${shown(port, 20)}" is not a decimal number from 1 to ${MAX_PORT} without sign or leading zeros`)
      }
      const out = new Uint8Array(hostBytes + 2)
      out.set(base32Decode(what, host))
      out[hostBytes] = Number(port) >> 8
      out[hostBytes + 1] = Number(port) & 0xff
      return out
    },
    toText (bytes) {
      // codec.ts hands a fixed-size protocol exactly its size; checked again
      // because a wrong length here would print a wrong address
      if (bytes.length !== hostBytes + 2) throw invalid(what, `value is ${bytes.length} bytes, expected ${hostBytes + 2}`)
      const port = (bytes[hostBytes] << 8) | bytes[hostBytes + 1]
      if (port === 0) throw invalid(what, 'port is 0')
      return `${base32.encode(bytes.subarray(0, hostBytes))}:${port}`
    }
  }
}

/** /onion: Tor v2, 16 base32 characters (10 bytes) and a port. */
export const onion = onionCodec('onion', 16, 10)

/** /onion3: Tor v3, 56 base32 characters (35 bytes) and a port. */
export const onion3 = onionCodec('onion3', 56, 35)

// I2P's Base64 is RFC 4648 base64 with "-" and "~" in place of "+" and "/"
// (as the go-multiaddr /garlic64 vectors are written, so "/" never appears in
// a multiaddr value), padded with "=" to a multiple of 4 characters.
const I2P_BASE64_PATTERN = /^(?:[A-Za-z0-9~-]{4})*(?:[A-Za-z0-9~-]{2}==|[A-Za-z0-9~-]{3}=)?$/

/**
 * The shortest Destination (I2P common structures, "Destination"): a 256-byte
 * public key, a 128-byte signing key and a certificate of at least 3 bytes
 * (1 type, 2 length), which is 516 base64 characters. Key certificates make
 * it longer.
 */
export const GARLIC64_MIN_BYTES = 387

function checkGarlic64Length (length: number): void {
  if (length < GARLIC64_MIN_BYTES) {
    throw invalid('garlic64', `an I2P Destination is at least ${GARLIC64_MIN_BYTES} bytes, got ${length}`)
  }
}

/** /garlic64: an I2P Destination in I2P base64. */
export const garlic64: ValueCodec = {
  fromText (text) {
    if (!I2P_BASE64_PATTERN.test(text)) {
      throw invalid('garlic64', `"${shown(text)}" is not I2P base64 (A-Z a-z 0-9 - ~, padded with = to a multiple of 4 characters)`)
    }
    const standard = text.replaceAll('-', '+').replaceAll('~', '/')
    const bytes = new Uint8Array(Buffer.from(standard, 'base64'))
    // Buffer ignores bits left over in the last character; the canonical
    // text is the only one that encodes back to itself
    if (Buffer.from(bytes).toString('base64') !== standard) {
      throw invalid('garlic64', `"${shown(text)}" has non-zero bits after the last byte`)
    }
    checkGarlic64Length(bytes.length)
    return bytes
  },
  toText (bytes) {
    checkGarlic64Length(bytes.length)
    return Buffer.from(bytes).toString('base64').replaceAll('+', '-').replaceAll('/', '~')
  }
}

// GARLIC32: I2P "B32 for Encrypted Leasesets", Design: "Addresses for
// encrypted leasesets are identified by 56 or more encoded characters (35 or
// more decoded bytes), compared to 52 characters (32 bytes) for traditional
// base 32 addresses." The 32 bytes are the SHA-256 of the Destination.
const GARLIC32_HASH_BYTES = 32
const GARLIC32_HASH_CHARS = 52
const GARLIC32_MIN_ENCRYPTED_BYTES = 35
const GARLIC32_MIN_ENCRYPTED_CHARS = 56

function checkGarlic32Length (length: number): void {
  if (length !== GARLIC32_HASH_BYTES && length < GARLIC32_MIN_ENCRYPTED_BYTES) {
    throw invalid('garlic32', `value is ${length} bytes, expected ${GARLIC32_HASH_BYTES} (a b32 hash) or at least ${GARLIC32_MIN_ENCRYPTED_BYTES} (an encrypted leaseset address)`)
  }
}

/** /garlic32: an I2P b32 address, without the ".b32.i2p" suffix. */
export const garlic32: ValueCodec = {
  fromText (text) {
    if (text.length !== GARLIC32_HASH_CHARS && text.length < GARLIC32_MIN_ENCRYPTED_CHARS) {
      throw invalid('garlic32', `"${shown(text)}" is ${text.length} characters, expected ${GARLIC32_HASH_CHARS} or at least ${GARLIC32_MIN_ENCRYPTED_CHARS} base32 characters`)
    }
    const bytes = base32Decode('garlic32', text)
    checkGarlic32Length(bytes.length)
    return bytes
  },
  toText (bytes) {
    checkGarlic32Length(bytes.length)
    return base32.encode(bytes)
  }
}
