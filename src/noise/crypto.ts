// The cryptographic functions Noise needs (noise.md §4 "Crypto functions",
// §12 for the concrete 25519 / ChaChaPoly / SHA256 choices), behind one small
// interface so that two back ends can be swapped and cross-checked:
// ./crypto-node.ts (node:crypto, native, the default) and ./crypto-noble.ts
// (@noble, pure JavaScript). Nothing here draws randomness except
// `generatePrivateKey`, and callers may inject keys instead.

export interface NoiseCrypto {
  readonly name: string
  /** 32 random bytes usable as an X25519 private key (noise.md GENERATE_KEYPAIR). */
  generatePrivateKey: () => Uint8Array
  /** The X25519 public key of a 32-byte private key. */
  publicKey: (privateKey: Uint8Array) => Uint8Array
  /** noise.md DH(key_pair, public_key): X25519 (RFC 7748). */
  dh: (privateKey: Uint8Array, publicKey: Uint8Array) => Uint8Array
  /** noise.md HASH(data): SHA-256 of the concatenation of `parts`. */
  hash: (...parts: Uint8Array[]) => Uint8Array
  /** HMAC-SHA256(key, concatenation of `parts`), the building block of HKDF (noise.md §4.3). */
  hmac: (key: Uint8Array, ...parts: Uint8Array[]) => Uint8Array
  /**
   * noise.md ENCRYPT(k, n, ad, plaintext) with the 12-byte nonce already laid
   * out (§12.2). Returns ciphertext and tag as two arrays, so a driver can
   * write them without concatenating.
   */
  encrypt: (k: Uint8Array, nonce: Uint8Array, ad: Uint8Array, plaintext: Uint8Array) => { ciphertext: Uint8Array, tag: Uint8Array }
  /**
   * ENCRYPT(k, n, ad, plaintext) of the concatenation of `plaintexts`,
   * without concatenating them: the ciphertext comes back as pieces to be
   * written in order (as many as the back end likes), and the tag.
   */
  encryptv: (k: Uint8Array, nonce: Uint8Array, ad: Uint8Array, plaintexts: readonly Uint8Array[]) => { ciphertexts: Uint8Array[], tag: Uint8Array }
  /**
   * ENCRYPT(k, n, ad, concatenation of `plaintexts`) written into `out`,
   * exactly their total length + TAGLEN bytes: the ciphertext, then the tag.
   * Only a back end that can write where it is told has it (the native
   * addon, ./native-aead.ts); a caller that owns `out` can reuse it.
   */
  sealInto?: (k: Uint8Array, nonce: Uint8Array, ad: Uint8Array, plaintexts: readonly Uint8Array[], out: Uint8Array) => void
  /** noise.md DECRYPT(k, n, ad, ciphertext||tag): the plaintext, or undefined on authentication failure. */
  decrypt: (k: Uint8Array, nonce: Uint8Array, ad: Uint8Array, ciphertextAndTag: Uint8Array) => Uint8Array | undefined
}
