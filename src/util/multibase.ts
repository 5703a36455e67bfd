// The few multibase encodings libp2p text forms use (multiformats/multibase):
// base58btc ('z', peer IDs), base32 lower-case without padding ('b', CIDv1
// peer IDs), base64url without padding ('u', certhash), base64 ('m') and
// base16 ('f'). Decoders are strict: a character outside the alphabet is an
// error, never silently skipped.

import { P2PError } from './errors.js'

export interface BaseCodec {
  readonly name: string
  /** The multibase prefix character. */
  readonly prefix: string
  encode: (bytes: Uint8Array) => string
  decode: (text: string) => Uint8Array
}

const B58_ALPHABET = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz'
const B58_INDEX = new Int8Array(128).fill(-1)
for (let i = 0; i < B58_ALPHABET.length; i++) B58_INDEX[B58_ALPHABET.charCodeAt(i)] = i

function invalid (base: string, text: string, detail: string): P2PError {
  const shown = text.length > 80 ? `${text.slice(0, 80)}...` : text
  return new P2PError('ERR_INVALID_MULTIBASE', `invalid ${base} "${shown}": ${detail}`)
}

export const base58btc: BaseCodec = {
  name: 'base58btc',
  prefix: 'z',
  encode (bytes) {
    let zeros = 0
    while (zeros < bytes.length && bytes[zeros] === 0) zeros++
    // big-number division by 58, digits little-endian
    const digits: number[] = []
    for (let i = zeros; i < bytes.length; i++) {
      let carry = bytes[i]
      for (let j = 0; j < digits.length; j++) {
        carry += digits[j] << 8
        digits[j] = carry % 58
        carry = (carry / 58) | 0
      }
      while (carry > 0) {
        digits.push(carry % 58)
        carry = (carry / 58) | 0
      }
    }
    let out = '1'.repeat(zeros)
    for (let i = digits.length - 1; i >= 0; i--) out += B58_ALPHABET[digits[i]]
    return out
  },
  decode (text) {
    let zeros = 0
    while (zeros < text.length && text[zeros] === '1') zeros++
    const bytes: number[] = []
    for (let i = zeros; i < text.length; i++) {
      const code = text.charCodeAt(i)
      const value = code < 128 ? B58_INDEX[code] : -1
      if (value < 0) throw invalid('base58btc', text, `character "${text[i]}" at ${i} is not in the alphabet`)
      let carry = value
      for (let j = 0; j < bytes.length; j++) {
        carry += bytes[j] * 58
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

const B32_ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567'

export const base32: BaseCodec = {
  name: 'base32',
  prefix: 'b',
  encode (bytes) {
    let out = ''
    let buffer = 0
    let bits = 0
    for (const byte of bytes) {
      buffer = (buffer << 8) | byte
      bits += 8
      while (bits >= 5) {
        out += B32_ALPHABET[(buffer >>> (bits - 5)) & 31]
        bits -= 5
      }
    }
    if (bits > 0) out += B32_ALPHABET[(buffer << (5 - bits)) & 31]
    return out
  },
  decode (text) {
    const lower = text.toLowerCase()
    const out = new Uint8Array(Math.floor(lower.length * 5 / 8))
    let buffer = 0
    let bits = 0
    let written = 0
    for (let i = 0; i < lower.length; i++) {
      const value = B32_ALPHABET.indexOf(lower[i])
      if (value < 0) throw invalid('base32', text, `character "${text[i]}" at ${i} is not in the alphabet`)
      buffer = ((buffer << 5) | value) & 0xffff
      bits += 5
      if (bits >= 8) {
        out[written++] = (buffer >>> (bits - 8)) & 0xff
        bits -= 8
      }
    }
    // RFC 4648: the unused low bits of the last character must be zero
    if (bits >= 5 || (buffer & ((1 << bits) - 1)) !== 0) throw invalid('base32', text, 'non-canonical trailing bits')
    return out
  }
}

function bufferCodec (name: string, prefix: string, encoding: 'base64url' | 'base64' | 'hex', pattern: RegExp): BaseCodec {
  return {
    name,
    prefix,
    encode: bytes => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString(encoding).replace(/=+$/, ''),
    decode (text) {
      if (!pattern.test(text)) throw invalid(name, text, 'characters outside the alphabet or bad length')
      const out = new Uint8Array(Buffer.from(text, encoding))
      // Buffer ignores stray trailing bits; a canonical encoding round-trips
      if (this.encode(out) !== text.replace(/=+$/, '')) throw invalid(name, text, 'non-canonical encoding')
      return out
    }
  }
}

export const base64url = bufferCodec('base64url', 'u', 'base64url', /^[A-Za-z0-9_-]*$/)
export const base64 = bufferCodec('base64', 'm', 'base64', /^[A-Za-z0-9+/]*={0,2}$/)
export const base16 = bufferCodec('base16', 'f', 'hex', /^(?:[0-9a-f]{2})*$/)

const BY_PREFIX = new Map<string, BaseCodec>([base58btc, base32, base64url, base64, base16].map(c => [c.prefix, c]))

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
