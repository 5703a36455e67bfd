// HandshakeState (noise.md rev 34 §5.3): a SymmetricState plus the local
// key pairs s, e and the remote public keys rs, re, driven by a handshake
// pattern (./handshake-pattern.ts).
//
// Theory of operation: WriteMessage and ReadMessage walk the tokens of the
// next message pattern in one loop. "e" and "s" put a public key on the wire
// (s encrypted once a key exists); "ee", "es", "se", "ss" mix a DH result
// into the chaining key. The payload follows, encrypted as soon as any DH
// happened. After the last message both sides call Split() and get the two
// transport CipherStates. Sans-I/O: bytes in, bytes out; the ephemeral key
// is injected or drawn from the crypto back end, so vectors replay exactly.

import { concatBytes } from '../util/bytes.js'
import { P2PError } from '../util/errors.js'
import { DHLEN, TAGLEN } from './constants.js'
import type { NoiseCrypto } from './crypto.js'
import type { CipherState } from './cipher-state.js'
import { SymmetricState } from './symmetric-state.js'
import type { HandshakePattern, Token } from './handshake-pattern.js'

export interface KeyPair {
  publicKey: Uint8Array
  privateKey: Uint8Array
}

export interface HandshakeStateOptions {
  crypto: NoiseCrypto
  pattern: HandshakePattern
  /** The full Noise protocol name, e.g. Noise_XX_25519_ChaChaPoly_SHA256. */
  protocolName: string
  initiator: boolean
  prologue?: Uint8Array
  /** The local static private key (s). */
  staticPrivateKey: Uint8Array
  /** The local ephemeral private key (e); generated when absent. */
  ephemeralPrivateKey?: Uint8Array
}

/** What Split() produced: the CipherStates for our sending and receiving directions. */
export interface TransportKeys {
  send: CipherState
  receive: CipherState
  handshakeHash: Uint8Array
  initiatorToResponder: Uint8Array
  responderToInitiator: Uint8Array
}

export class HandshakeState {
  readonly symmetricState: SymmetricState
  readonly initiator: boolean
  readonly pattern: HandshakePattern
  /** The local static key pair. */
  readonly s: KeyPair
  /** The local ephemeral key pair, set by the "e" token. */
  e: KeyPair | undefined
  /** The remote static public key, set by the "s" token. */
  rs: Uint8Array | undefined
  /** The remote ephemeral public key, set by the "e" token. */
  re: Uint8Array | undefined
  /** Index of the next message pattern to process. */
  private messageIndex = 0
  private readonly crypto: NoiseCrypto
  private readonly ephemeralPrivateKey: Uint8Array | undefined
  private transport: TransportKeys | undefined

  /** §5.3 Initialize(handshake_pattern, initiator, prologue, s, e, rs, re). */
  constructor (options: HandshakeStateOptions) {
    this.crypto = options.crypto
    this.pattern = options.pattern
    this.initiator = options.initiator
    this.symmetricState = new SymmetricState(options.crypto, options.protocolName)
    // "Calls MixHash(prologue)."
    this.symmetricState.mixHash(options.prologue ?? new Uint8Array(0))
    this.s = { privateKey: options.staticPrivateKey, publicKey: options.crypto.publicKey(options.staticPrivateKey) }
    this.ephemeralPrivateKey = options.ephemeralPrivateKey
    // XX has no pre-message patterns, so nothing else is hashed here.
  }

  /** Index of the next message (0, 1, 2 for XX). */
  get nextMessageIndex (): number {
    return this.messageIndex
  }

  /** True when the next message is ours to write. */
  get isMyTurn (): boolean {
    return (this.messageIndex % 2 === 0) === this.initiator
  }

  get isComplete (): boolean {
    return this.transport !== undefined
  }

  /** The transport CipherStates after the last message (undefined before). */
  get transportKeys (): TransportKeys | undefined {
    return this.transport
  }

  /** §5.3 WriteMessage(payload, message_buffer): returns the handshake message. */
  writeMessage (payload: Uint8Array): Uint8Array {
    const tokens = this.nextTokens(true)
    const ss = this.symmetricState
    const parts: Uint8Array[] = []
    for (const token of tokens) {
      switch (token) {
        case 'e': {
          // "Sets e (which must be empty) to GENERATE_KEYPAIR(). Appends
          // e.public_key to the buffer. Calls MixHash(e.public_key)."
          const privateKey = this.ephemeralPrivateKey ?? this.crypto.generatePrivateKey()
          this.e = { privateKey, publicKey: this.crypto.publicKey(privateKey) }
          parts.push(this.e.publicKey)
          ss.mixHash(this.e.publicKey)
          break
        }
        case 's':
          // "Appends EncryptAndHash(s.public_key) to the buffer."
          parts.push(ss.encryptAndHash(this.s.publicKey))
          break
        default:
          this.mixDh(token)
      }
    }
    // "Appends EncryptAndHash(payload) to the buffer."
    parts.push(ss.encryptAndHash(payload))
    this.advance()
    return concatBytes(parts)
  }

  /** §5.3 ReadMessage(message, payload_buffer): returns the decrypted payload. */
  readMessage (message: Uint8Array): Uint8Array {
    const tokens = this.nextTokens(false)
    const ss = this.symmetricState
    let offset = 0
    const take = (what: string, n: number): Uint8Array => {
      if (message.length - offset < n) {
        throw new P2PError('ERR_NOISE_MESSAGE_TOO_SHORT',
          `handshake message ${this.messageIndex} ends before the ${what}: expected ${n} more bytes at offset ${offset}, message has ${message.length}`,
          { remote: true })
      }
      const bytes = message.subarray(offset, offset + n)
      offset += n
      return bytes
    }
    for (const token of tokens) {
      switch (token) {
        case 'e':
          // "Sets re (which must be empty) to the next DHLEN bytes from the
          // message. Calls MixHash(re.public_key)."
          this.re = take('remote ephemeral key', DHLEN).slice()
          ss.mixHash(this.re)
          break
        case 's': {
          // "Sets temp to the next DHLEN + 16 bytes of the message if
          // HasKey() == True, or to the next DHLEN bytes otherwise. Sets rs
          // (which must be empty) to DecryptAndHash(temp)."
          const length = ss.cipherState.hasKey() ? DHLEN + TAGLEN : DHLEN
          this.rs = ss.decryptAndHash(take('remote static key', length)).slice()
          break
        }
        default:
          this.mixDh(token)
      }
    }
    if (ss.cipherState.hasKey() && message.length - offset < TAGLEN) {
      throw new P2PError('ERR_NOISE_MESSAGE_TOO_SHORT',
        `handshake message ${this.messageIndex} ends before the payload's ${TAGLEN}-byte tag: ${message.length - offset} bytes left`,
        { remote: true })
    }
    // "Calls DecryptAndHash() on the remaining bytes of the message and
    // stores the output into payload_buffer."
    const payload = ss.decryptAndHash(message.subarray(offset))
    this.advance()
    return payload
  }

  private nextTokens (writing: boolean): readonly Token[] {
    const tokens = this.pattern.messagePatterns[this.messageIndex]
    if (tokens === undefined) {
      throw new P2PError('ERR_NOISE_INVALID_STATE', `the ${this.pattern.name} handshake is complete: no message ${this.messageIndex}`)
    }
    if (writing !== this.isMyTurn) {
      throw new P2PError('ERR_NOISE_INVALID_STATE',
        `message ${this.messageIndex} is the ${writing ? 'remote' : 'local'} side's to write, not ours to ${writing ? 'write' : 'read'}`)
    }
    return tokens
  }

  /** "ee", "es", "se", "ss": MixKey(DH(...)) with the keys each token names. */
  private mixDh (token: Exclude<Token, 'e' | 's'>): void {
    const { s, e, re, rs } = this
    let local: KeyPair | undefined
    let remote: Uint8Array | undefined
    switch (token) {
      case 'ee': local = e; remote = re; break
      // "es": DH(e, rs) if initiator, DH(s, re) if responder
      case 'es': [local, remote] = this.initiator ? [e, rs] : [s, re]; break
      // "se": DH(s, re) if initiator, DH(e, rs) if responder
      case 'se': [local, remote] = this.initiator ? [s, re] : [e, rs]; break
      case 'ss': local = s; remote = rs; break
      default: {
        const never: never = token
        throw new P2PError('ERR_NOISE_INVALID_STATE', `unknown token ${String(never)}`)
      }
    }
    if (local === undefined || remote === undefined) {
      throw new P2PError('ERR_NOISE_INVALID_STATE', `token "${token}" before the keys it needs are known`)
    }
    this.symmetricState.mixKey(this.crypto.dh(local.privateKey, remote))
  }

  private advance (): void {
    this.messageIndex++
    if (this.messageIndex < this.pattern.messagePatterns.length) return
    // "If there are no more message patterns returns two new CipherState
    // objects by calling Split()."
    const { c1, c2, k1, k2 } = this.symmetricState.split()
    this.transport = {
      send: this.initiator ? c1 : c2,
      receive: this.initiator ? c2 : c1,
      handshakeHash: this.symmetricState.h,
      initiatorToResponder: k1,
      responderToInitiator: k2
    }
  }
}
