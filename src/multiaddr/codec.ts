// Multiaddr text ⇄ bytes (multiformats/multiaddr README, "Specification"):
//
//   Human-readable multiaddr: (/<protoName string>/<value string>)+
//   Machine-readable multiaddr: (<protoCode uvarint><value []byte>)+
//
// Both directions go through one list of components. A component's value is
// framed by its protocol's size (protocols.ts): nothing, a fixed number of
// bytes, or a varint length prefix. Parsing is strict in both directions: an
// unknown protocol, a bad value, a missing value, or bytes that end inside a
// component are errors that say which component and where; nothing is
// skipped or guessed.
//
// Decisions where the spec is silent:
// - one trailing '/' is allowed in text ("/ip4/1.2.3.4/tcp/80/"), as go-,
//   rust- and js-multiaddr allow it; an empty component anywhere else ("//")
//   is an error;
// - the empty multiaddr exists (no bytes, text "/"), as in js-multiaddr: it
//   is what decapsulating everything leaves, and encapsulating onto it gives
//   the other address. The empty string is not a multiaddr (it does not
//   start with '/').

import { P2PError, isP2PError } from '../util/errors.js'
import { decodeUvarint, uvarintLength, writeUvarint } from '../util/varint.js'
import { MultiaddrErrorCode, shown } from './errors.js'
import { protocolByCode, protocolByName, type Protocol } from './protocols.js'
import { VALUE_CODECS } from './values.js'

/** One decoded component, with where it sits in the multiaddr's bytes. */
export interface Component {
  readonly protocol: Protocol
  /** The value bytes (no length prefix); undefined for valueless protocols. */
  readonly value?: Uint8Array
  /** The value's canonical text; undefined for valueless protocols. */
  readonly text?: string
  /** Byte offset of the component (its code varint) in the multiaddr. */
  readonly offset: number
  /** Encoded length of the component: code, length prefix and value. */
  readonly length: number
}

export interface Decoded {
  readonly bytes: Uint8Array
  readonly components: readonly Component[]
}

/** Parses the text form. */
export function decodeText (text: string): Decoded {
  if (typeof text !== 'string' || !text.startsWith('/')) {
    throw new P2PError(MultiaddrErrorCode.INVALID, `multiaddr text must start with "/", got "${shown(String(text))}"`)
  }
  // "/" alone is the empty multiaddr; one trailing slash is tolerated
  if (text === '/') return { bytes: new Uint8Array(0), components: [] }
  const body = text.endsWith('/') ? text.slice(1, -1) : text.slice(1)
  const parts = body.split('/')

  const pieces: Array<{ protocol: Protocol, value?: Uint8Array, text?: string }> = []
  let position = 1 // character offset of parts[i] in `text`, for messages
  for (let i = 0; i < parts.length; i++) {
    const name = parts[i]
    if (name === '') {
      throw new P2PError(MultiaddrErrorCode.INVALID, `empty protocol name at character ${position} of "${shown(text)}"`)
    }
    const protocol = protocolByName(name)
    if (protocol === undefined) {
      throw new P2PError(MultiaddrErrorCode.UNKNOWN_PROTOCOL, `unknown protocol "/${shown(name, 40)}" at character ${position} of "${shown(text)}"`)
    }
    position += name.length + 1
    if (protocol.kind === undefined) {
      pieces.push({ protocol })
      continue
    }
    if (i + 1 >= parts.length) {
      throw new P2PError(MultiaddrErrorCode.INVALID_VALUE, `/${protocol.name} at character ${position - name.length - 1} of "${shown(text)}" needs a value, but the address ends`)
    }
    const valueText = parts[++i]
    const codec = VALUE_CODECS[protocol.kind]
    const value = withContext(() => codec.fromText(valueText), protocol, `character ${position}`)
    // print the canonical form (e.g. RFC 5952 ip6, base58btc peer ID)
    pieces.push({ protocol, value, text: codec.isCanonical?.(valueText) === true ? valueText : codec.toText(value) })
    position += valueText.length + 1
  }
  return encodeComponents(pieces)
}

/** Builds the bytes of a component list. */
function encodeComponents (pieces: ReadonlyArray<{ protocol: Protocol, value?: Uint8Array, text?: string }>): Decoded {
  let total = 0
  for (const { protocol, value } of pieces) total += componentLength(protocol, value)
  const bytes = new Uint8Array(total)
  const components: Component[] = []
  let offset = 0
  for (const { protocol, value, text } of pieces) {
    const start = offset
    offset = writeUvarint(protocol.code, bytes, offset)
    if (value !== undefined) {
      if (protocol.size.type === 'variable') offset = writeUvarint(value.length, bytes, offset)
      bytes.set(value, offset)
      offset += value.length
    }
    components.push(value === undefined
      ? { protocol, offset: start, length: offset - start }
      : { protocol, value: bytes.subarray(offset - value.length, offset), text, offset: start, length: offset - start })
  }
  return { bytes, components }
}

function componentLength (protocol: Protocol, value: Uint8Array | undefined): number {
  const valueLength = value === undefined ? 0 : value.length
  const prefix = protocol.size.type === 'variable' ? uvarintLength(valueLength) : 0
  return uvarintLength(protocol.code) + prefix + valueLength
}

/**
 * Parses the binary form. The result keeps a private copy of the bytes, so
 * later changes to the caller's buffer cannot change the address.
 */
export function decodeBytes (input: Uint8Array): Decoded {
  if (!(input instanceof Uint8Array)) {
    throw new P2PError(MultiaddrErrorCode.INVALID, `multiaddr bytes must be a Uint8Array, got ${typeof input}`)
  }
  const bytes = Uint8Array.prototype.slice.call(input)
  const components: Component[] = []
  let offset = 0
  while (offset < bytes.length) {
    const start = offset
    const code = decodeUvarint(bytes, offset)
    if (code === undefined) {
      throw new P2PError(MultiaddrErrorCode.TRUNCATED, `bytes end inside the protocol code at byte ${offset} (${bytes.length} bytes)`)
    }
    const protocol = protocolByCode(code.value)
    if (protocol === undefined) {
      throw new P2PError(MultiaddrErrorCode.UNKNOWN_PROTOCOL, `unknown protocol code ${code.value} (0x${code.value.toString(16)}) at byte ${offset}`)
    }
    offset += code.bytes
    const size = protocol.size
    let valueLength: number
    switch (size.type) {
      case 'none':
        components.push({ protocol, offset: start, length: offset - start })
        continue
      case 'fixed':
        valueLength = size.bits / 8
        break
      case 'variable': {
        const prefix = decodeUvarint(bytes, offset)
        if (prefix === undefined) {
          throw new P2PError(MultiaddrErrorCode.TRUNCATED, `bytes end inside the length prefix of /${protocol.name} at byte ${offset}`)
        }
        offset += prefix.bytes
        valueLength = prefix.value
        break
      }
      default: {
        const never: never = size
        throw new Error(`unreachable size ${JSON.stringify(never)}`)
      }
    }
    if (bytes.length - offset < valueLength) {
      throw new P2PError(MultiaddrErrorCode.TRUNCATED, `/${protocol.name} at byte ${start} needs a ${valueLength}-byte value, but only ${bytes.length - offset} bytes remain`)
    }
    const value = bytes.subarray(offset, offset + valueLength)
    offset += valueLength
    const kind = protocol.kind
    if (kind === undefined) throw new Error(`protocol table row /${protocol.name} has a size but no value kind`)
    const text = withContext(() => VALUE_CODECS[kind].toText(value), protocol, `byte ${start}`)
    components.push({ protocol, value, text, offset: start, length: offset - start })
  }
  return { bytes, components }
}

/** The text form of a decoded component list. */
export function componentsToText (components: readonly Component[]): string {
  if (components.length === 0) return '/'
  let text = ''
  for (const { protocol, text: value } of components) {
    text += value === undefined ? `/${protocol.name}` : `/${protocol.name}/${value}`
  }
  return text
}

/** Re-labels a value codec's error with the component and its position. */
function withContext<T> (fn: () => T, protocol: Protocol, where: string): T {
  try {
    return fn()
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err)
    if (isP2PError(err) || !(err instanceof Error)) {
      throw new P2PError(MultiaddrErrorCode.INVALID_VALUE, `invalid /${protocol.name} value at ${where}: ${detail}`, { cause: err })
    }
    throw err
  }
}
