// node:crypto back end of ./crypto.ts: X25519 through KeyObjects (private
// keys imported from their raw bytes as JWKs, with one made ahead of need;
// remote public keys imported from JWK once), SHA-256 and HMAC through
// createHash/createHmac, ChaCha20-Poly1305 through the native addon of
// ./native-aead.ts when it is built and through createCipheriv when not.
// Native code throughout: this is the fast path for handshakes and bulk
// transfer.

import crypto from 'node:crypto'
import { P2PError } from '../util/errors.js'
import { RecentMap } from '../util/recent-map.js'
import { randomBytes } from '../util/random.js'
import { DHLEN, TAGLEN } from './constants.js'
import type { NoiseCrypto } from './crypto.js'
import { nativeAead, type NativeAead } from './native-aead.js'

/** RFC 8410 PKCS#8 header for an X25519 private key (OID 1.3.101.110), followed by the 32 raw bytes. */
const PKCS8_X25519_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex')

function checkKey (what: string, key: Uint8Array): void {
  if (key.length !== DHLEN) {
    throw new P2PError('ERR_NOISE_INVALID_KEY', `expected a ${DHLEN}-byte X25519 ${what}, got ${key.length} bytes`)
  }
}

/**
 * Whether this Node imports a private JWK from `d` alone. Node 20 reads only
 * `d` of a private OKP JWK (it checks that `x` is a string and derives the
 * public key itself), which makes a JWK the cheapest way in: ~30 µs, where
 * PKCS#8 DER costs ~400 µs (OpenSSL's decoder) and generateKeyPairSync with
 * an encoding ~80 µs. Should a Node check `x` against `d`, the import throws
 * and we use DER from then on.
 */
let jwkImportWorks = true

/** A KeyObject for 32 raw private key bytes (any 32 bytes: X25519 clamps them itself, RFC 7748 §5). */
function importPrivateKey (privateKey: Uint8Array): crypto.KeyObject {
  const raw = Buffer.from(privateKey.buffer, privateKey.byteOffset, privateKey.byteLength)
  if (jwkImportWorks) {
    try {
      return crypto.createPrivateKey({ key: { kty: 'OKP', crv: 'X25519', d: raw.toString('base64url'), x: '' }, format: 'jwk' })
    } catch {
      jwkImportWorks = false
    }
  }
  return crypto.createPrivateKey({ key: Buffer.concat([PKCS8_X25519_PREFIX, raw]), format: 'der', type: 'pkcs8' })
}

/**
 * A handshake uses each of its two private keys (e, s) in two DHs, so a
 * private key keeps its KeyObject, made once: when the key is made here,
 * or on first use of a key handed to us (a fixed static key, a test vector).
 */
const privateKeyObjects = new WeakMap<Uint8Array, crypto.KeyObject>()
const publicKeys = new WeakMap<Uint8Array, Uint8Array>()

function privateKeyObject (privateKey: Uint8Array): crypto.KeyObject {
  checkKey('private key', privateKey)
  let key = privateKeyObjects.get(privateKey)
  if (key === undefined) {
    key = importPrivateKey(privateKey)
    privateKeyObjects.set(privateKey, key)
  }
  return key
}

/**
 * Remote public keys already imported, by their base64url text. A handshake
 * uses the remote ephemeral key in two DHs, and a peer's static key comes
 * back on every connection to it; importing costs as much as a DH. A
 * KeyObject is immutable and computed from its key alone, so a hit is
 * always right.
 */
const importedPublicKeys = new RecentMap<string, crypto.KeyObject>(64)

/** A public key as a JWK (RFC 8037 "OKP"): ten times cheaper to import than the equivalent DER. */
function publicKeyObject (publicKey: Uint8Array): crypto.KeyObject {
  checkKey('public key', publicKey)
  const x = Buffer.from(publicKey.buffer, publicKey.byteOffset, publicKey.byteLength).toString('base64url')
  return importedPublicKeys.remember(x, () => crypto.createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x }, format: 'jwk' }))
}

/** The public key of an imported private KeyObject, as raw bytes. */
function exportPublicKey (keyObject: crypto.KeyObject): Uint8Array {
  const jwk = crypto.createPublicKey(keyObject).export({ format: 'jwk' })
  return new Uint8Array(Buffer.from(jwk.x as string, 'base64url'))
}

/**
 * A fresh key pair, ~40 µs: 32 random bytes (noise.md §4.1 GENERATE_KEYPAIR
 * asks for nothing more), imported, and the public half exported.
 *
 * Never generateKeyPairSync: in Node 20, export() of a KeyObject it
 * returned can deadlock the process. export() holds the key's mutex while it
 * allocates the JWK's strings; an allocation may run a GC, the GC may
 * finalize the spent key-generation job, and the job's destructor takes the
 * same mutex. The main thread then waits on itself forever, idle (it showed
 * as a benchmark round in ~15 whose listener stopped reading and
 * accepting). An imported key has no such job, and its only other KeyObject
 * is alive while we export.
 */
function freshPrivateKey (): Uint8Array {
  const privateKey = randomBytes(DHLEN)
  const keyObject = importPrivateKey(privateKey)
  privateKeyObjects.set(privateKey, keyObject)
  publicKeys.set(privateKey, exportPublicKey(keyObject))
  return privateKey
}

/**
 * One key generated ahead of need. A handshake message that sends `e` would
 * otherwise wait for its key generation while the peer waits for the
 * message; the spare is made in the turn after the last one was taken,
 * when the process is waiting for the peer anyway. Each key is still handed
 * out once (noise.md §5.3: a fresh ephemeral per handshake).
 */
let spareKey: Uint8Array | undefined
let refillQueued = false

function refillSpareKey (): void {
  refillQueued = false
  spareKey ??= freshPrivateKey()
}

const CHACHA = 'chacha20-poly1305'

type Encryptv = NoiseCrypto['encryptv']
type Decrypt = NoiseCrypto['decrypt']

/**
 * ChaCha20-Poly1305 through node:crypto's Cipheriv: a new cipher context per
 * message, and every update()'s output allocated one block too long and
 * then reallocated (../../native/chachapoly.c says what that costs).
 */
const cipherivEncryptv: Encryptv = (k, nonce, ad, plaintexts) => {
  // the AEAD is a stream cipher plus a MAC over what went through it, so
  // sealing the pieces one update() each equals sealing their concatenation
  let length = 0
  for (const plaintext of plaintexts) length += plaintext.length
  const cipher = crypto.createCipheriv(CHACHA, k, nonce, { authTagLength: TAGLEN })
  if (ad.length > 0) cipher.setAAD(ad, { plaintextLength: length })
  const ciphertexts: Uint8Array[] = []
  for (const plaintext of plaintexts) ciphertexts.push(cipher.update(plaintext))
  cipher.final()
  return { ciphertexts, tag: cipher.getAuthTag() }
}

const cipherivDecrypt: Decrypt = (k, nonce, ad, ciphertextAndTag) => {
  if (ciphertextAndTag.length < TAGLEN) return undefined
  const split = ciphertextAndTag.length - TAGLEN
  const decipher = crypto.createDecipheriv(CHACHA, k, nonce, { authTagLength: TAGLEN })
  decipher.setAuthTag(ciphertextAndTag.subarray(split))
  if (ad.length > 0) decipher.setAAD(ad, { plaintextLength: split })
  const plaintext = decipher.update(ciphertextAndTag.subarray(0, split))
  try {
    decipher.final()
  } catch {
    return undefined
  }
  return plaintext
}

/**
 * ChaCha20-Poly1305 through the native addon: the whole message, ciphertext
 * then tag, sealed into one Buffer allocated here (uninitialised: the cipher
 * writes every byte of it), and each plaintext opened into one.
 */
function nativeEncryptv (aead: NativeAead): Encryptv {
  return (k, nonce, ad, plaintexts) => {
    let length = 0
    for (const plaintext of plaintexts) length += plaintext.length
    const sealed = Buffer.allocUnsafe(length + TAGLEN)
    aead.seal(k, nonce, ad, plaintexts, sealed)
    return { ciphertexts: [sealed.subarray(0, length)], tag: sealed.subarray(length) }
  }
}

function nativeDecrypt (aead: NativeAead): Decrypt {
  return (k, nonce, ad, ciphertextAndTag) => {
    if (ciphertextAndTag.length < TAGLEN) return undefined
    const plaintext = Buffer.allocUnsafe(ciphertextAndTag.length - TAGLEN)
    return aead.open(k, nonce, ad, ciphertextAndTag, plaintext) ? plaintext : undefined
  }
}

function makeNodeCrypto (name: string, encryptv: Encryptv, decrypt: Decrypt, sealInto?: NativeAead['seal']): NoiseCrypto {
  return {
    name,
    generatePrivateKey () {
      const privateKey = spareKey ?? freshPrivateKey()
      spareKey = undefined
      if (!refillQueued) {
        refillQueued = true
        // unref: a spare key is no reason to keep the process alive
        setImmediate(refillSpareKey).unref()
      }
      return privateKey
    },
    publicKey (privateKey) {
      return publicKeys.get(privateKey) ?? exportPublicKey(privateKeyObject(privateKey))
    },
    dh (privateKey, publicKey) {
      try {
        return new Uint8Array(crypto.diffieHellman({ privateKey: privateKeyObject(privateKey), publicKey: publicKeyObject(publicKey) }))
      } catch (err) {
        if (err instanceof P2PError) throw err
        // OpenSSL refuses low-order points (an all-zero shared secret)
        throw new P2PError('ERR_NOISE_INVALID_KEY', `X25519 with the remote public key failed: ${(err as Error).message}`, { cause: err, remote: true })
      }
    },
    hash (...parts) {
      const h = crypto.createHash('sha256')
      for (const part of parts) h.update(part)
      return h.digest()
    },
    hmac (key, ...parts) {
      const h = crypto.createHmac('sha256', key)
      for (const part of parts) h.update(part)
      return h.digest()
    },
    encrypt (k, nonce, ad, plaintext) {
      // one piece in, and both AEADs give back one ciphertext piece for it
      const { ciphertexts, tag } = encryptv(k, nonce, ad, [plaintext])
      return { ciphertext: ciphertexts[0], tag }
    },
    encryptv,
    sealInto,
    decrypt
  }
}

/** Everything through node:crypto, ChaCha20-Poly1305 through createCipheriv. */
export const nodeCryptoCipheriv: NoiseCrypto = makeNodeCrypto('node:crypto', cipherivEncryptv, cipherivDecrypt)

/** The default: node:crypto, with ChaCha20-Poly1305 through the native addon when it is built. */
export const nodeCrypto: NoiseCrypto = nativeAead === undefined
  ? nodeCryptoCipheriv
  : makeNodeCrypto('node:crypto + native ChaCha20-Poly1305', nativeEncryptv(nativeAead), nativeDecrypt(nativeAead), nativeAead.seal)
