// Reading the DER key Data of ECDSA and RSA keys through node:crypto, in the
// one canonical form (libp2p/specs peer-ids/peer-ids.md, "Keys": the
// encoding must be deterministic, since a peer ID hashes it).
//
// Theory of operation. node:crypto parses the DER; exporting the parsed key
// again in the same format must give back exactly the input bytes, so a key
// has one encoding (no trailing garbage, no alternative DER forms) and a peer
// ID is a function of the key alone. The per-type check (curve, modulus size)
// runs between parse and re-export, so its error names the real problem.
//
// A private key is then asked to sign a fixed message that its own public
// key must verify: OpenSSL does not check on import that the parts of a
// private key agree (the RSA CRT parameters with n, e and d; the public point
// an ECPrivateKey carries with its scalar), and a corrupt key would sign
// garbage. One signature proves it.

import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto'
import { asBuffer, equalBytes } from '../util/bytes.js'
import { invalidKey } from './bytes.js'
import type { KeyTypeName, PrivateKey } from './types.js'

/** How one kind of key Data is read: the node:crypto DER type of a public or a private key. */
export type DerKeyFormat = DerKeyCommon & (
  | { readonly which: 'public', readonly der: 'spki' }
  | { readonly which: 'private', readonly der: 'sec1' | 'pkcs1' }
)

interface DerKeyCommon {
  /** The key type errors name. */
  readonly keyType: KeyTypeName
  /** The structure in words, for errors: "DER SubjectPublicKeyInfo". */
  readonly structure: string
  /** What the canonical form implies, for errors (e.g. "uncompressed point, no trailing bytes"). */
  readonly canonicalNote?: string
  /** The per-type check (curve, modulus); throws ERR_INVALID_KEY. */
  readonly check: (keyObject: KeyObject, which: 'public' | 'private') => void
}

/** Parses `raw` as `format` and insists it is the canonical DER; throws ERR_INVALID_KEY. */
export function importCanonicalDer (raw: Uint8Array, format: DerKeyFormat): KeyObject {
  const { keyType, which, der, structure } = format
  let keyObject: KeyObject
  try {
    keyObject = format.which === 'public'
      ? createPublicKey({ key: asBuffer(raw), format: 'der', type: format.der })
      : createPrivateKey({ key: asBuffer(raw), format: 'der', type: format.der })
  } catch (err) {
    throw invalidKey(keyType, `${which} key Data is not a ${structure}`, err)
  }
  format.check(keyObject, which)
  if (!equalBytes(keyObject.export({ format: 'der', type: der }), raw)) {
    const note = format.canonicalNote === undefined ? '' : ` (${format.canonicalNote})`
    throw invalidKey(keyType, `${which} key Data is not the canonical ${structure}${note}`)
  }
  return keyObject
}

/**
 * Signs `message` with `key` and verifies with its own public key; throws
 * ERR_INVALID_KEY saying `inconsistent` when the signature does not verify.
 */
export function selfTestPrivateKey (key: PrivateKey, message: Uint8Array, inconsistent: string): void {
  let ok = false
  try {
    ok = key.publicKey.verify(message, key.sign(message))
  } catch (err) {
    throw invalidKey(key.type, 'private key cannot sign', err)
  }
  if (!ok) throw invalidKey(key.type, inconsistent)
}
