// Keys of every type behind one door (libp2p/specs peer-ids/peer-ids.md,
// "Keys" and "Key Types").
//
// Theory of operation. A key travels as the protobuf envelope {Type, Data}
// (./key-protobuf.ts); Data's meaning depends on Type (./ed25519.ts,
// ./secp256k1.ts, ./ecdsa.ts, ./rsa.ts). This module is the table that joins
// the two: Type → the functions that decode and generate that type. Every
// decoder validates fully, so a PublicKey or PrivateKey object that exists is
// a usable key, and its `raw` is the canonical Data.

import { P2PError } from '../util/errors.js'
import { ecdsaPrivateKeyFromRaw, ecdsaPublicKeyFromRaw, generateECDSAKeyPair } from './ecdsa.js'
import { ed25519PrivateKeyFromRaw, ed25519PublicKeyFromRaw, ed25519PublicKeyVerifying, generateEd25519KeyPair } from './ed25519.js'
import { decodeKeyEnvelope, encodeKeyEnvelope } from './key-protobuf.js'
import { generateRSAKeyPair, rsaPrivateKeyFromRaw, rsaPublicKeyFromRaw } from './rsa.js'
import { generateSecp256k1KeyPair, secp256k1PrivateKeyFromRaw, secp256k1PublicKeyFromRaw } from './secp256k1.js'
import { KeyType, type KeyTypeName, type KeyVerification, type PrivateKey, type PublicKey } from './types.js'

export interface GenerateKeyPairOptions {
  /** RSA only: the modulus size (default 2048, see ./rsa.ts for the limits). */
  bits?: number
}

interface KeyTypeImplementation {
  publicKeyFromRaw: (raw: Uint8Array) => PublicKey
  /** publicKeyFromRaw, then a verify; a type whose verify also checks the key may skip the separate check. */
  publicKeyVerifying?: (raw: Uint8Array, data: Uint8Array, signature: Uint8Array) => KeyVerification
  privateKeyFromRaw: (raw: Uint8Array) => PrivateKey
  generate: (options: GenerateKeyPairOptions) => PrivateKey
}

const IMPLEMENTATIONS: { readonly [T in KeyTypeName]: KeyTypeImplementation } = {
  RSA: {
    publicKeyFromRaw: rsaPublicKeyFromRaw,
    privateKeyFromRaw: rsaPrivateKeyFromRaw,
    generate: options => generateRSAKeyPair(options.bits)
  },
  Ed25519: {
    publicKeyFromRaw: ed25519PublicKeyFromRaw,
    publicKeyVerifying: ed25519PublicKeyVerifying,
    privateKeyFromRaw: ed25519PrivateKeyFromRaw,
    generate: () => generateEd25519KeyPair()
  },
  Secp256k1: {
    publicKeyFromRaw: secp256k1PublicKeyFromRaw,
    privateKeyFromRaw: secp256k1PrivateKeyFromRaw,
    generate: () => generateSecp256k1KeyPair()
  },
  ECDSA: {
    publicKeyFromRaw: ecdsaPublicKeyFromRaw,
    privateKeyFromRaw: ecdsaPrivateKeyFromRaw,
    generate: () => generateECDSAKeyPair()
  }
}

function implementation (type: KeyTypeName): KeyTypeImplementation {
  if (!Object.hasOwn(KeyType, type)) {
    throw new P2PError('ERR_UNKNOWN_KEY_TYPE', `unknown key type "${String(type)}"; expected one of ${Object.keys(KeyType).join(', ')}`)
  }
  return IMPLEMENTATIONS[type]
}

/** A new random key pair; Ed25519 unless another type is asked for. */
export function generateKeyPair (type: KeyTypeName = 'Ed25519', options: GenerateKeyPairOptions = {}): PrivateKey {
  if (options.bits !== undefined && type !== 'RSA') {
    throw new P2PError('ERR_INVALID_PARAMETERS', `the bits option applies to RSA keys only, not ${type}`)
  }
  return implementation(type).generate(options)
}

/** A public key from its type and Data (the per-type encoding). */
export function publicKeyFromRaw (type: KeyTypeName, raw: Uint8Array): PublicKey {
  return implementation(type).publicKeyFromRaw(raw)
}

/** A private key from its type and Data (the per-type encoding). */
export function privateKeyFromRaw (type: KeyTypeName, raw: Uint8Array): PrivateKey {
  return implementation(type).privateKeyFromRaw(raw)
}

/** The canonical PublicKey protobuf: the bytes peer IDs are made from. */
export function publicKeyToProtobuf (key: PublicKey): Uint8Array {
  return encodeKeyEnvelope(key.type, key.raw)
}

/**
 * Decodes and validates a PublicKey protobuf. Throws P2PError
 * ERR_INVALID_PROTOBUF (not the canonical two-field encoding),
 * ERR_UNKNOWN_KEY_TYPE or ERR_INVALID_KEY (Data is not a key of that type).
 */
export function publicKeyFromProtobuf (bytes: Uint8Array): PublicKey {
  const { type, data } = decodeKeyEnvelope(bytes, 'PublicKey')
  return publicKeyFromRaw(type, data)
}

/**
 * Decodes and validates a PublicKey protobuf, as publicKeyFromProtobuf (and
 * with its errors), and verifies `signature` over `data` with it: for a key
 * that arrives with a signature to check at once. A signature that is
 * malformed for the key's type is an invalid one.
 */
export function publicKeyFromProtobufVerifying (bytes: Uint8Array, data: Uint8Array, signature: Uint8Array): KeyVerification {
  const { type, data: raw } = decodeKeyEnvelope(bytes, 'PublicKey')
  const { publicKeyFromRaw, publicKeyVerifying } = implementation(type)
  if (publicKeyVerifying !== undefined) return publicKeyVerifying(raw, data, signature)
  const publicKey = publicKeyFromRaw(raw)
  let valid = false
  try {
    valid = publicKey.verify(data, signature)
  } catch {
    // e.g. a signature that is not DER, for a type that signs in DER
  }
  return { publicKey, valid }
}

/** The canonical PrivateKey protobuf, as key files store it. */
export function privateKeyToProtobuf (key: PrivateKey): Uint8Array {
  return encodeKeyEnvelope(key.type, key.raw)
}

/** Decodes and validates a PrivateKey protobuf; errors as publicKeyFromProtobuf. */
export function privateKeyFromProtobuf (bytes: Uint8Array): PrivateKey {
  const { type, data } = decodeKeyEnvelope(bytes, 'PrivateKey')
  return privateKeyFromRaw(type, data)
}
