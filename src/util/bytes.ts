// Byte-array helpers that several layers share: equality, concatenation, and
// a Buffer view for node APIs. Plain functions over Uint8Array (a Buffer is
// one), no copies except where the name says so.

/** True when `a` and `b` hold the same bytes. Not constant-time: never compare secrets with it. */
export function equalBytes (a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

/** The parts one after another, in a new array (the parts are never aliased). */
export function concatBytes (parts: readonly Uint8Array[]): Uint8Array {
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

/** A Buffer view of the same memory, for node:crypto and Buffer's encoders (no copy). */
export function asBuffer (bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}
