// Constants of Noise_XX_25519_ChaChaPoly_SHA256 as libp2p uses it
// (noiseprotocol.org noise.md rev 34 §12; libp2p/specs noise/README.md).
//
// Every limit the code enforces lives here with the reason it exists.

/** The multistream-select protocol ID of this secure channel (libp2p/specs noise). */
export const NOISE_PROTOCOL_ID = '/noise'

/**
 * libp2p/specs noise: "the Noise protocol name MUST be:
 * `Noise_XX_25519_ChaChaPoly_SHA256`".
 */
export const PROTOCOL_NAME = 'Noise_XX_25519_ChaChaPoly_SHA256'

/** noise.md §12.1: DHLEN = 32 for Curve25519 public keys and shared secrets. */
export const DHLEN = 32

/** noise.md §12.3: HASHLEN = 32 for SHA-256. */
export const HASHLEN = 32

/** ChaCha20-Poly1305 key length (noise.md §5.1: k is 32 bytes). */
export const KEYLEN = 32

/** noise.md §5.1: "ENCRYPT ... returns a ciphertext that is the same size as the plaintext plus 16 bytes for authentication data". */
export const TAGLEN = 16

/**
 * noise.md §3: "Noise messages ... are limited to 65535 bytes in length."
 * libp2p/specs noise: the 2-byte `noise_message_len` can express no more.
 */
export const MAX_NOISE_MESSAGE_LENGTH = 65535

/** The length prefix of every libp2p Noise message: "a 16-bit big-endian unsigned integer". */
export const LENGTH_PREFIX_BYTES = 2

/** The largest plaintext that fits one transport message with its tag. */
export const MAX_PLAINTEXT_LENGTH = MAX_NOISE_MESSAGE_LENGTH - TAGLEN

/**
 * noise.md §5.1: "The maximum n value (2^64-1) is reserved for other use.
 * If incrementing n results in 2^64-1, then any further EncryptWithAd() or
 * DecryptWithAd() calls will signal an error to the caller."
 */
export const MAX_NONCE = (1n << 64n) - 1n

/** libp2p/specs noise: the signed data is this UTF-8 prefix followed by the static key. */
export const STATIC_KEY_SIGNATURE_PREFIX = 'noise-libp2p-static-key:'

/**
 * How long a handshake may take before it is abandoned. A peer that stalls
 * mid-handshake must not hold a connection (and its memory) forever; 10 s is
 * generous for three messages even over slow links.
 */
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000
