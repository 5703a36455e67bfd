// Helpers the key modules share: a private copy of key bytes, the typed
// ERR_INVALID_KEY error, and the symbol behind the redacted text a private key
// shows when printed (keys are never logged). Byte equality, concatenation and
// Buffer views are ../util/bytes.ts.

import { P2PError } from '../util/errors.js'

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
