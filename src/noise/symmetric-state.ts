// SymmetricState (noise.md rev 34 §5.2): the chaining key ck, the handshake
// hash h and a CipherState.
//
// Theory of operation: every public key and ciphertext of the handshake is
// hashed into h (MixHash), so both sides end with the same transcript hash
// and any tampering breaks the next AEAD tag (h is the associated data).
// Every DH output is fed through HKDF into ck (MixKey), and each MixKey
// installs a fresh cipher key. Split() derives the two transport keys.

import { P2PError } from '../util/errors.js'
import { HASHLEN } from './constants.js'
import type { NoiseCrypto } from './crypto.js'
import { CipherState } from './cipher-state.js'

const EMPTY = new Uint8Array(0)
const BYTE_1 = Uint8Array.of(1)
const BYTE_2 = Uint8Array.of(2)
const BYTE_3 = Uint8Array.of(3)

/**
 * noise.md §4.3 HKDF(chaining_key, input_key_material, num_outputs):
 * temp_key = HMAC(ck, ikm); output1 = HMAC(temp_key, 0x01);
 * output2 = HMAC(temp_key, output1 || 0x02); output3 = HMAC(temp_key, output2 || 0x03).
 */
export function hkdf (crypto: NoiseCrypto, chainingKey: Uint8Array, inputKeyMaterial: Uint8Array, numOutputs: 2 | 3): Uint8Array[] {
  const tempKey = crypto.hmac(chainingKey, inputKeyMaterial)
  const output1 = crypto.hmac(tempKey, BYTE_1)
  const output2 = crypto.hmac(tempKey, output1, BYTE_2)
  if (numOutputs === 2) return [output1, output2]
  return [output1, output2, crypto.hmac(tempKey, output2, BYTE_3)]
}

export class SymmetricState {
  /** The chaining key. */
  ck: Uint8Array
  /** The handshake hash. */
  h: Uint8Array
  readonly cipherState: CipherState

  /**
   * §5.2 InitializeSymmetric(protocol_name): "If protocol_name is less than
   * or equal to HASHLEN bytes in length, sets h equal to protocol_name with
   * zero bytes appended to make HASHLEN bytes. Otherwise sets
   * h = HASH(protocol_name). Sets ck = h. Calls InitializeKey(empty)."
   */
  constructor (private readonly crypto: NoiseCrypto, protocolName: string) {
    const name = new TextEncoder().encode(protocolName)
    if (name.length <= HASHLEN) {
      this.h = new Uint8Array(HASHLEN)
      this.h.set(name)
    } else {
      this.h = crypto.hash(name)
    }
    this.ck = this.h
    this.cipherState = new CipherState(crypto)
  }

  /** §5.2 MixKey(input_key_material): "Sets ck, temp_k = HKDF(ck, input_key_material, 2)" then InitializeKey(temp_k). */
  mixKey (inputKeyMaterial: Uint8Array): void {
    const [ck, tempK] = hkdf(this.crypto, this.ck, inputKeyMaterial, 2)
    this.ck = ck
    this.cipherState.initializeKey(tempK)
  }

  /** §5.2 MixHash(data): "Sets h = HASH(h || data)." */
  mixHash (data: Uint8Array): void {
    this.h = this.crypto.hash(this.h, data)
  }

  /** §5.2 EncryptAndHash(plaintext): "Sets ciphertext = EncryptWithAd(h, plaintext), calls MixHash(ciphertext)". */
  encryptAndHash (plaintext: Uint8Array): Uint8Array {
    const ciphertext = this.cipherState.encryptWithAd(this.h, plaintext)
    this.mixHash(ciphertext)
    return ciphertext
  }

  /** §5.2 DecryptAndHash(ciphertext): "Sets plaintext = DecryptWithAd(h, ciphertext), calls MixHash(ciphertext)". */
  decryptAndHash (ciphertext: Uint8Array): Uint8Array {
    const plaintext = this.cipherState.decryptWithAd(this.h, ciphertext)
    this.mixHash(ciphertext)
    return plaintext
  }

  /**
   * §5.2 Split(): "Sets temp_k1, temp_k2 = HKDF(ck, zerolen, 2)" and returns
   * two new CipherStates, the first for initiator → responder messages.
   * The raw keys are returned too, for an explicit key log.
   */
  split (): { c1: CipherState, c2: CipherState, k1: Uint8Array, k2: Uint8Array } {
    if (!this.cipherState.hasKey()) {
      throw new P2PError('ERR_NOISE_INVALID_STATE', 'split() before any MixKey: the handshake has not exchanged keys')
    }
    const [k1, k2] = hkdf(this.crypto, this.ck, EMPTY, 2)
    return { c1: new CipherState(this.crypto, k1), c2: new CipherState(this.crypto, k2), k1, k2 }
  }
}
