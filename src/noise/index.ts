// Noise XX secure channel for libp2p (noiseprotocol.org rev 34, libp2p/specs noise). Re-exports only.

export * from './constants.js'
export type { NoiseCrypto } from './crypto.js'
export { nodeCrypto, nodeCryptoCipheriv } from './crypto-node.js'
export { nativeAead, nativeAeadStatus, type NativeAead } from './native-aead.js'
export { nobleCrypto } from './crypto-noble.js'
export { setGcBallastBytes, gcBallastBytes, DEFAULT_GC_BALLAST_BYTES, BULK_CHANNEL_BYTES } from './gc-ballast.js'
export { CipherState } from './cipher-state.js'
export { SymmetricState, hkdf } from './symmetric-state.js'
export { Token, XX, describeMessage, type HandshakePattern } from './handshake-pattern.js'
export { HandshakeState, type HandshakeStateOptions, type KeyPair, type TransportKeys } from './handshake-state.js'
export {
  encodeNoiseHandshakePayload, decodeNoiseHandshakePayload, encodeNoiseExtensions, decodeNoiseExtensions,
  type NoiseHandshakePayload, type NoiseExtensions
} from './payload.js'
export { createHandshakePayload, verifyHandshakePayload, staticKeySignedData, type RemoteIdentity } from './identity.js'
export { encodeFrame, FrameDecoder } from './frame.js'
export { NoiseSecureStream } from './secure-stream.js'
export {
  secureOutbound, secureInbound, chooseStreamMuxer, firstCommonMuxer,
  type SecureOptions, type SecureConnection, type HandshakeMessageInfo, type SplitKeys
} from './handshake.js'
