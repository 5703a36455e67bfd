// Byte helpers the key modules share: equality, concatenation, and the
// redacted text a private key shows when printed (keys are never logged).

import { P2PError } from '../util/errors.js'

export function equalBytes (a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

export function concatBytes (...parts: Uint8Array[]): Uint8Array {
  let length = 0
  for (const part of parts) length += part.length
  const out = new Uint8Array(length)
  let offset = 0
  for (const part of parts) {
    out.set(part, offset)
    offset += part.length
  }
  return out
}

/** A Buffer view of the same memory, for node:crypto (no copy). */
export function asBuffer (bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

/** Copies into a plain Uint8Array (not a Buffer view of a shared pool). */
export function copyBytes (bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes)
}

/** ERR_INVALID_KEY: the Data of a key is not a valid key of its type. */
export function invalidKey (type: string, message: string, cause?: unknown): P2PError {
  return new P2PError('ERR_INVALID_KEY', `invalid ${type} key: ${message}`, { cause })
}

/** The symbol util.inspect (console.log) calls; private keys implement it to print no secret. */
export const inspectSymbol = Symbol.for('nodejs.util.inspect.custom')
