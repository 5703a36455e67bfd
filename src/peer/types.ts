// The shapes of keys and peer IDs (libp2p/specs peer-ids/peer-ids.md).
// Implementations live beside this file; other layers import only these
// types and the functions re-exported from ./index.ts.

/** The KeyType enum of the spec's PublicKey/PrivateKey protobufs. */
export const KeyType = {
  RSA: 0,
  Ed25519: 1,
  Secp256k1: 2,
  ECDSA: 3
} as const
export type KeyTypeName = keyof typeof KeyType

export interface PublicKey {
  readonly type: KeyTypeName
  /** The `Data` field of the spec's PublicKey protobuf for this key type. */
  readonly raw: Uint8Array
  /** Verifies a signature made by the matching private key over `data`. */
  verify: (data: Uint8Array, signature: Uint8Array) => boolean
  equals: (other: PublicKey) => boolean
}

/** A decoded public key and whether the signature checked with it is valid (publicKeyFromProtobufVerifying). */
export interface KeyVerification {
  publicKey: PublicKey
  valid: boolean
}

export interface PrivateKey {
  readonly type: KeyTypeName
  readonly publicKey: PublicKey
  /** The `Data` field of the spec's PrivateKey protobuf for this key type. */
  readonly raw: Uint8Array
  sign: (data: Uint8Array) => Uint8Array
}
