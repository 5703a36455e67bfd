// The Multiaddr value type: an immutable, validated address.
//
// A Multiaddr is its bytes (the binary form is the identity: `equals`
// compares bytes, as protocols/unix.md asks, "implementations should compare
// their binary representation"). Construction parses and validates every
// component, so a Multiaddr in hand is always well-formed; `toString` prints
// the canonical text.
//
// Encapsulation is concatenation: `/ip4/1.2.3.4/tcp/80` encapsulating
// `/p2p/Qm...` is `/ip4/1.2.3.4/tcp/80/p2p/Qm...`. Decapsulation cuts at
// component boundaries (never inside a value, unlike a text search).

import { P2PError } from '../util/errors.js'
import { RecentMap } from '../util/recent-map.js'
import { componentsToText, decodeBytes, decodeText, type Component } from './codec.js'
import { CODE_IP4, CODE_IP6, CODE_IP6ZONE, CODE_P2P, CODE_TCP, CODE_UDP } from './codes.js'
import { MultiaddrErrorCode } from './errors.js'
import { ip4FromText, ip6FromText } from './ip.js'

export interface MultiaddrComponent {
  code: number
  name: string
  /** The value in its canonical text form; absent for valueless protocols. */
  value?: string
}

export interface SocketAddress {
  family: 4 | 6
  /** IP address text; for /ip6zone addresses it ends in `%zone`. */
  host: string
  port: number
  transport: 'tcp' | 'udp'
}

export interface SocketAddressInput {
  family: 4 | 6 | 'IPv4' | 'IPv6'
  host: string
  port: number
  transport?: 'tcp' | 'udp'
}

/**
 * Addresses parsed lately, by their text and by their bytes: the same ones
 * come back again and again (a dial target, a peer's listen addresses in
 * identify on every connection to it), and parsing one is ~50 µs while the
 * code is still cold. A Multiaddr is immutable and computed from its input
 * alone, so a remembered one is always right; bounded, so a peer sending
 * endless new addresses only pushes older ones out. Inputs longer than
 * MAX_REMEMBERED_BYTES bytes or characters are parsed every time (keys stay
 * small).
 */
const parsedTexts = new RecentMap<string, Multiaddr>(256)
const parsedBytes = new RecentMap<string, Multiaddr>(256)
const MAX_REMEMBERED_BYTES = 256

export class Multiaddr {
  /** The binary form. Do not modify it: the address is immutable. */
  readonly bytes: Uint8Array
  readonly #components: readonly Component[]
  #text: string | undefined

  private constructor (bytes: Uint8Array, components: readonly Component[]) {
    this.bytes = bytes
    this.#components = components
  }

  /** Parses the text form; throws P2PError ERR_MULTIADDR_*. */
  static fromString (text: string): Multiaddr {
    if (typeof text !== 'string' || text.length > MAX_REMEMBERED_BYTES) return Multiaddr.#parseText(text)
    return parsedTexts.remember(text, () => Multiaddr.#parseText(text))
  }

  static #parseText (text: string): Multiaddr {
    const { bytes, components } = decodeText(text)
    return new Multiaddr(bytes, components)
  }

  /** Parses the binary form (copied); throws P2PError ERR_MULTIADDR_* or ERR_INVALID_VARINT. */
  static fromBytes (bytes: Uint8Array): Multiaddr {
    if (!(bytes instanceof Uint8Array) || bytes.length > MAX_REMEMBERED_BYTES) return Multiaddr.#parseBytes(bytes)
    const key = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1')
    return parsedBytes.remember(key, () => Multiaddr.#parseBytes(bytes))
  }

  static #parseBytes (bytes: Uint8Array): Multiaddr {
    const decoded = decodeBytes(bytes)
    return new Multiaddr(decoded.bytes, decoded.components)
  }

  /**
   * `/ip4|ip6/<host>/tcp|udp/<port>` from a socket's address, e.g.
   * `{ family: 'IPv4', host: socket.remoteAddress, port: socket.remotePort }`.
   * An IPv6 host may carry a zone (`fe80::1%eth0`), which becomes /ip6zone.
   */
  static fromSocketAddress (addr: SocketAddressInput): Multiaddr {
    const family = addr.family === 'IPv4' ? 4 : addr.family === 'IPv6' ? 6 : addr.family
    const transport = addr.transport ?? 'tcp'
    if (family !== 4 && family !== 6) {
      throw new P2PError(MultiaddrErrorCode.INVALID_VALUE, `socket address family must be 4, 6, "IPv4" or "IPv6", got ${String(addr.family)}`)
    }
    if (transport !== 'tcp' && transport !== 'udp') {
      throw new P2PError(MultiaddrErrorCode.INVALID_VALUE, `socket address transport must be "tcp" or "udp", got ${String(transport)}`)
    }
    if (!Number.isInteger(addr.port) || addr.port < 0 || addr.port > 0xffff) {
      throw new P2PError(MultiaddrErrorCode.INVALID_VALUE, `socket address port must be an integer from 0 to 65535, got ${String(addr.port)}`)
    }
    let prefix = ''
    let host = String(addr.host)
    if (family === 4) {
      ip4FromText(host) // validates: a family/host mismatch is an error
    } else {
      const zoneAt = host.indexOf('%')
      if (zoneAt !== -1) {
        const zone = host.slice(zoneAt + 1)
        // pasted into the text below: a '/' would add components of its own
        if (zone === '' || zone.includes('/')) {
          throw new P2PError(MultiaddrErrorCode.INVALID_VALUE, `socket address zone must be non-empty and contain no '/', got ${JSON.stringify(zone)}`)
        }
        prefix = `/ip6zone/${zone}`
        host = host.slice(0, zoneAt)
      }
      ip6FromText(host)
    }
    // not remembered (./recent-map.ts): a remote's port is new on every
    // connection, and would only push out the addresses that do come back
    return Multiaddr.#parseText(`${prefix}/ip${family}/${host}/${transport}/${addr.port}`)
  }

  /** The canonical text form, e.g. `/ip4/127.0.0.1/tcp/4001/p2p/12D3KooW...`. */
  toString (): string {
    this.#text ??= componentsToText(this.#components)
    return this.#text
  }

  toJSON (): string {
    return this.toString()
  }

  [Symbol.for('nodejs.util.inspect.custom')] (): string {
    return `Multiaddr(${this.toString()})`
  }

  /** The components in order, values in text form. */
  components (): MultiaddrComponent[] {
    return this.#components.map(c => c.text === undefined
      ? { code: c.protocol.code, name: c.protocol.name }
      : { code: c.protocol.code, name: c.protocol.name, value: c.text })
  }

  /** This address followed by `other`. */
  encapsulate (other: Multiaddr | string): Multiaddr {
    const tail = typeof other === 'string' ? Multiaddr.fromString(other) : other
    const bytes = new Uint8Array(this.bytes.length + tail.bytes.length)
    bytes.set(this.bytes, 0)
    bytes.set(tail.bytes, this.bytes.length)
    const shifted = tail.#components.map(c => shift(c, bytes, this.bytes.length))
    return new Multiaddr(bytes, [...this.#components.map(c => shift(c, bytes, 0)), ...shifted])
  }

  /**
   * Removes the last occurrence of `other` (as a run of whole components)
   * and everything after it. Returns this address unchanged when `other`
   * does not occur; decapsulating the whole address gives the empty one.
   */
  decapsulate (other: Multiaddr | string): Multiaddr {
    const needle = typeof other === 'string' ? Multiaddr.fromString(other) : other
    const ours = this.#components
    const theirs = needle.#components
    if (theirs.length === 0) return this
    for (let i = ours.length - theirs.length; i >= 0; i--) {
      const start = ours[i].offset
      const end = ours[i + theirs.length - 1].offset + ours[i + theirs.length - 1].length
      if (end - start === needle.bytes.length && bytesEqual(this.bytes.subarray(start, end), needle.bytes)) {
        return this.#prefix(i)
      }
    }
    return this
  }

  /** Removes the last component with protocol `code` and everything after it; unchanged when there is none. */
  decapsulateCode (code: number): Multiaddr {
    for (let i = this.#components.length - 1; i >= 0; i--) {
      if (this.#components[i].protocol.code === code) return this.#prefix(i)
    }
    return this
  }

  /**
   * This address without a leading /ip6zone. A zone names an interface of
   * the host that wrote the address (RFC 4007 section 6: zone indices are
   * "local to a node"), so it means nothing to another host: what we tell a
   * peer carries none.
   */
  withoutZone (): Multiaddr {
    const [first, second] = this.#components
    if (first?.protocol.code !== CODE_IP6ZONE || second === undefined) return this
    const bytes = this.bytes.slice(second.offset)
    return new Multiaddr(bytes, this.#components.slice(1).map(c => shift(c, bytes, -second.offset)))
  }

  /** The base58btc peer ID of the last /p2p component, if any. */
  getPeerId (): string | undefined {
    for (let i = this.#components.length - 1; i >= 0; i--) {
      const c = this.#components[i]
      // a component's text is its canonical one: base58btc for a peer ID
      if (c.protocol.code === CODE_P2P) return c.text
    }
    return undefined
  }

  equals (other: Multiaddr): boolean {
    return other instanceof Multiaddr && bytesEqual(this.bytes, other.bytes)
  }

  /**
   * Host and port for node:net / node:dgram. Accepts
   * `[/ip6zone/<zone>]/ip4|ip6/<addr>/tcp|udp/<port>`, optionally followed by
   * one `/p2p/<peer id>` (which names the peer, not the socket). Anything
   * else (dns names, circuits, ...) throws ERR_MULTIADDR_NOT_SOCKET_ADDRESS.
   */
  toSocketAddress (): SocketAddress {
    let parts = this.#components
    if (parts.length > 0 && parts[parts.length - 1].protocol.code === CODE_P2P) parts = parts.slice(0, -1)
    let zone = ''
    if (parts.length === 3 && parts[0].protocol.code === CODE_IP6ZONE && parts[1].protocol.code === CODE_IP6) {
      zone = `%${parts[0].text ?? ''}`
      parts = parts.slice(1)
    }
    const [ip, port] = parts
    const ipCode = ip?.protocol.code
    const portCode = port?.protocol.code
    if (parts.length !== 2 || (ipCode !== CODE_IP4 && ipCode !== CODE_IP6) || (portCode !== CODE_TCP && portCode !== CODE_UDP)) {
      throw new P2PError(MultiaddrErrorCode.NOT_SOCKET_ADDRESS, `${this.toString()} is not /ip4|ip6/<address>/tcp|udp/<port>[/p2p/<peer id>]`)
    }
    return {
      family: ipCode === CODE_IP4 ? 4 : 6,
      host: `${ip.text ?? ''}${zone}`,
      port: Number(port.text),
      transport: portCode === CODE_TCP ? 'tcp' : 'udp'
    }
  }

  /** The first `count` components. */
  #prefix (count: number): Multiaddr {
    if (count === this.#components.length) return this
    const end = count === 0 ? 0 : this.#components[count - 1].offset + this.#components[count - 1].length
    const bytes = this.bytes.slice(0, end)
    return new Multiaddr(bytes, this.#components.slice(0, count).map(c => shift(c, bytes, 0)))
  }
}

/** A component re-pointed into `bytes`, its offset moved by `by`. */
function shift (c: Component, bytes: Uint8Array, by: number): Component {
  const offset = c.offset + by
  if (c.value === undefined) return { protocol: c.protocol, offset, length: c.length }
  const valueEnd = offset + c.length
  return { protocol: c.protocol, value: bytes.subarray(valueEnd - c.value.length, valueEnd), text: c.text, offset, length: c.length }
}

function bytesEqual (a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

/** Shorthand for Multiaddr.fromString. */
export function multiaddr (text: string): Multiaddr {
  return Multiaddr.fromString(text)
}

export function isMultiaddr (x: unknown): x is Multiaddr {
  return x instanceof Multiaddr
}
