// Keys and peer IDs (libp2p/specs peer-ids/peer-ids.md). Re-exports only.

export * from './types.js'
export {
  generateKeyPair,
  publicKeyFromRaw,
  privateKeyFromRaw,
  publicKeyToProtobuf,
  publicKeyFromProtobuf,
  publicKeyFromProtobufVerifying,
  privateKeyToProtobuf,
  privateKeyFromProtobuf,
  type GenerateKeyPairOptions
} from './keys.js'
export { MAX_KEY_DATA_BYTES } from './key-protobuf.js'
export { Ed25519PrivateKey, Ed25519PublicKey, ed25519PrivateKeyFromSeed } from './ed25519.js'
export { Secp256k1PrivateKey, Secp256k1PublicKey } from './secp256k1.js'
export { ECDSAPrivateKey, ECDSAPublicKey } from './ecdsa.js'
export { RSAPrivateKey, RSAPublicKey, RSA_MIN_BITS, RSA_MAX_BITS, RSA_MAX_PUBLIC_EXPONENT, RSA_MIN_GENERATE_BITS, RSA_DEFAULT_BITS } from './rsa.js'
export { PeerId, MAX_INLINE_KEY_LENGTH, LIBP2P_KEY_CODEC } from './peer-id.js'
export { saveKeyFile, loadKeyFile, loadOrCreateKeyFile, MAX_KEY_FILE_BYTES } from './key-file.js'
