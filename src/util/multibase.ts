// The few multibase encodings libp2p text forms use (multiformats/multibase,
// multibase.csv and rfcs/Base36.md): base58btc ('z', peer IDs), base32
// without padding ('b' lower case, 'B' upper case; CIDv1 peer IDs "bafz..."),
// base36 ('k' lower case, 'K' upper case; CIDv1 peer IDs "k51..."), base64url
// without padding ('u', certhash), base64 ('m') and base16 ('f').
//
// Two families: base58btc and base36 treat the bytes as one big number
// (radixCodec); base32 takes 5 bits per character (base32Codec). Decoders are
// strict: a character outside the alphabet is an error, never silently
// skipped. Encoders write the case their prefix names; the decoders of the
// case-insensitive bases (base16, base32, base36) read letters of either case,
// as the multibase test suite requires (tests/README.md, test6: "Differently
// cased than expected, must decode without errors"; tests/case_insensitivity.csv).

import { asBuffer } from './bytes.js'
import { P2PError } from './errors.js'

export interface BaseCodec {
  readonly name: string
  /** The multibase prefix character. */
  readonly prefix: string
  encode: (bytes: Uint8Array) => string
  decode: (text: string) => Uint8Array
}

function invalid (base: string, text: string, detail: string): P2PError {
  const shown = text.length > 80 ? `${text.slice(0, 80)}...` : text
  return new P2PError('ERR_INVALID_MULTIBASE', `invalid ${base} "${shown}": ${detail}`)
}

/**
 * Maps each character code below 128 to its digit value, or -1 when it is
 * not in the alphabet. With `foldCase`, a letter of either case maps to the
 * same digit.
 */
function alphabetIndex (alphabet: string, foldCase: boolean): Int8Array {
  const index = new Int8Array(128).fill(-1)
  for (let i = 0; i < alphabet.length; i++) {
    index[alphabet.charCodeAt(i)] = i
    if (foldCase) {
      index[alphabet[i].toLowerCase().charCodeAt(0)] = i
      index[alphabet[i].toUpperCase().charCodeAt(0)] = i
    }
  }
  return index
}

/**
 * A base that is not a power of two (base58btc, base36): the bytes are one
 * big number written in that radix, most significant digit first, and each
 * leading zero byte is written as one leading alphabet[0] character (so
 * leading zeros survive the round trip).
 */
function radixCodec (name: string, prefix: string, alphabet: string, foldCase: boolean): BaseCodec {
  const radix = alphabet.length
  const index = alphabetIndex(alphabet, foldCase)
  const zeroDigit = alphabet[0]
  return {
    name,
    prefix,
    encode (bytes) {
      let zeros = 0
      while (zeros < bytes.length && bytes[zeros] === 0) zeros++
      // big-number division by the radix, digits little-endian
      const digits: number[] = []
      for (let i = zeros; i < bytes.length; i++) {
        let carry = bytes[i]
        for (let j = 0; j < digits.length; j++) {
          carry += digits[j] << 8
          digits[j] = carry % radix
          carry = (carry / radix) | 0
        }
        while (carry > 0) {
          digits.push(carry % radix)
          carry = (carry / radix) | 0
        }
      }
      const chars: string[] = [zeroDigit.repeat(zeros)]
      for (let i = digits.length - 1; i >= 0; i--) chars.push(alphabet[digits[i]])
      return chars.join('') // one flat string (`+=` per character left a chain of ~50 rope nodes alive per peer ID)
    },
    decode (text) {
      let zeros = 0
      while (zeros < text.length && text[zeros] === zeroDigit) zeros++
      // big-number multiplication by the radix, bytes little-endian
      const bytes: number[] = []
      for (let i = zeros; i < text.length; i++) {
        const code = text.charCodeAt(i)
        const value = code < 128 ? index[code] : -1
        if (value < 0) throw invalid(name, text, `character "${text[i]}" at ${i} is not in the alphabet`)
        let carry = value
        for (let j = 0; j < bytes.length; j++) {
          carry += bytes[j] * radix
          bytes[j] = carry & 0xff
          carry >>= 8
        }
        while (carry > 0) {
          bytes.push(carry & 0xff)
          carry >>= 8
        }
      }
      const out = new Uint8Array(zeros + bytes.length)
      for (let i = 0; i < bytes.length; i++) out[out.length - 1 - i] = bytes[i]
      return out
    }
  }
}

/**
 * RFC 4648 base32 without padding: 5 bits per character. Encoding writes the
 * alphabet's case (lower for prefix `b`, upper for `B`); decoding reads
 * letters of either case.
 */
function base32Codec (name: string, prefix: string, alphabet: string): BaseCodec {
  const index = alphabetIndex(alphabet, true)
  return {
    name,
    prefix,
    encode (bytes) {
      const chars: string[] = []
      let buffer = 0
      let bits = 0
      for (const byte of bytes) {
        buffer = (buffer << 8) | byte
        bits += 8
        while (bits >= 5) {
          chars.push(alphabet[(buffer >>> (bits - 5)) & 31])
          bits -= 5
        }
      }
      if (bits > 0) chars.push(alphabet[(buffer << (5 - bits)) & 31])
      return chars.join('') // one flat string, not a rope of one node per character
    },
    decode (text) {
      const out = new Uint8Array(Math.floor(text.length * 5 / 8))
      let buffer = 0
      let bits = 0
      let written = 0
      for (let i = 0; i < text.length; i++) {
        const code = text.charCodeAt(i)
        const value = code < 128 ? index[code] : -1
        if (value < 0) throw invalid(name, text, `character "${text[i]}" at ${i} is not in the alphabet`)
        buffer = ((buffer << 5) | value) & 0xffff
        bits += 5
        if (bits >= 8) {
          out[written++] = (buffer >>> (bits - 8)) & 0xff
          bits -= 8
        }
      }
      // RFC 4648: the unused low bits of the last character must be zero
      if (bits >= 5 || (buffer & ((1 << bits) - 1)) !== 0) throw invalid(name, text, 'non-canonical trailing bits')
      return out
    }
  }
}

const B58_ALPHABET = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz'
const B36_ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz'
const B32_ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567'

export const base58btc = radixCodec('base58btc', 'z', B58_ALPHABET, false)
/** base36 lower case (`k`): how IPNS and many tools print Ed25519 peer IDs as CIDs ("k51..."). */
export const base36 = radixCodec('base36', 'k', B36_ALPHABET, true)
export const base36upper = radixCodec('base36upper', 'K', B36_ALPHABET.toUpperCase(), true)
export const base32 = base32Codec('base32', 'b', B32_ALPHABET)
export const base32upper = base32Codec('base32upper', 'B', B32_ALPHABET.toUpperCase())

function bufferCodec (name: string, prefix: string, encoding: 'base64url' | 'base64' | 'hex', pattern: RegExp, foldCase = false): BaseCodec {
  return {
    name,
    prefix,
    encode: bytes => asBuffer(bytes).toString(encoding).replace(/=+$/, ''),
    decode (text) {
      if (!pattern.test(text)) throw invalid(name, text, 'characters outside the alphabet or bad length')
      const out = new Uint8Array(Buffer.from(text, encoding))
      // Buffer ignores stray trailing bits; a canonical encoding round-trips
      const unpadded = text.replace(/=+$/, '')
      if (this.encode(out) !== (foldCase ? unpadded.toLowerCase() : unpadded)) throw invalid(name, text, 'non-canonical encoding')
      return out
    }
  }
}

export const base64url = bufferCodec('base64url', 'u', 'base64url', /^[A-Za-z0-9_-]*$/)
export const base64 = bufferCodec('base64', 'm', 'base64', /^[A-Za-z0-9+/]*$/)
export const base16 = bufferCodec('base16', 'f', 'hex', /^(?:[0-9a-fA-F]{2})*$/, true)

const BY_PREFIX = new Map<string, BaseCodec>([base58btc, base36, base36upper, base32, base32upper, base64url, base64, base16].map(c => [c.prefix, c]))

/** Decodes a multibase string: its first character names the base. */
export function decodeMultibase (text: string): Uint8Array {
  const codec = BY_PREFIX.get(text[0] ?? '')
  if (codec === undefined) {
    throw new P2PError('ERR_INVALID_MULTIBASE', `unsupported multibase prefix "${text[0] ?? ''}" in "${text.slice(0, 40)}"`)
  }
  return codec.decode(text.slice(1))
}

export function encodeMultibase (codec: BaseCodec, bytes: Uint8Array): string {
  return codec.prefix + codec.encode(bytes)
}
