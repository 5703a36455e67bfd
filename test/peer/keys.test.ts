// Per-type key behaviour: generation, sign/verify, Data encodings, and every
// way a key's Data can be wrong (peer-ids.md "Key Types").

import t from 'tap'
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign as nodeSign, verify as nodeVerify } from 'node:crypto'
import {
  ECDSAPrivateKey, Ed25519PrivateKey, RSA_MAX_BITS, RSAPrivateKey, Secp256k1PrivateKey,
  ed25519PrivateKeyFromSeed, generateKeyPair, privateKeyFromRaw, publicKeyFromProtobuf, publicKeyFromProtobufVerifying,
  publicKeyFromRaw, publicKeyToProtobuf, type KeyTypeName
} from '../../src/peer/index.js'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { ed25519 } from '@noble/curves/ed25519.js'
import { encodeKeyEnvelope } from '../../src/peer/key-protobuf.js'
import { inspect } from 'node:util'

const hex = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'hex'))
const toHex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex')
const message = new TextEncoder().encode('the quick brown fox')
const otherMessage = new TextEncoder().encode('the quick brown fax')

// one RSA key for the whole file: generation is the slow part
const rsa = generateKeyPair('RSA', { bits: 2048 })

const samples: Record<KeyTypeName, () => ReturnType<typeof generateKeyPair>> = {
  Ed25519: () => generateKeyPair(),
  Secp256k1: () => generateKeyPair('Secp256k1'),
  ECDSA: () => generateKeyPair('ECDSA'),
  RSA: () => rsa
}

for (const [type, make] of Object.entries(samples) as Array<[KeyTypeName, () => ReturnType<typeof generateKeyPair>]>) {
  t.test(`${type}: sign, verify, raw round trip`, async t => {
    const key = make()
    t.equal(key.type, type)
    t.equal(key.publicKey.type, type)
    const signature = key.sign(message)
    t.ok(key.publicKey.verify(message, signature), 'own signature verifies')
    t.notOk(key.publicKey.verify(otherMessage, signature), 'other message fails')
    const bad = new Uint8Array(signature)
    bad[bad.length - 1] ^= 1
    t.notOk(key.publicKey.verify(message, bad), 'flipped signature bit fails')
    t.notOk(key.publicKey.verify(message, new Uint8Array(0)), 'empty signature fails, no throw')
    t.notOk(key.publicKey.verify(message, new Uint8Array(300).fill(0x30)), 'garbage signature fails, no throw')
    const again = privateKeyFromRaw(type, key.raw)
    t.equal(toHex(again.raw), toHex(key.raw))
    t.ok(again.publicKey.equals(key.publicKey))
    const publicAgain = publicKeyFromRaw(type, key.publicKey.raw)
    t.ok(publicAgain.equals(key.publicKey))
    t.ok(publicAgain.verify(message, signature))
    const other = type === 'RSA' ? generateKeyPair() : make()
    t.notOk(publicAgain.equals(other.publicKey), 'different keys are unequal')
    t.notMatch(inspect(key), toHex(key.raw).slice(0, 40), 'inspect does not print the private key')
    t.notMatch(JSON.stringify(key), toHex(key.raw).slice(0, 40), 'JSON does not print the private key')
  })
}

t.test('generateKeyPair defaults to Ed25519 and rejects bad options', async t => {
  t.ok(generateKeyPair() instanceof Ed25519PrivateKey)
  t.ok(generateKeyPair('Secp256k1') instanceof Secp256k1PrivateKey)
  t.ok(generateKeyPair('ECDSA') instanceof ECDSAPrivateKey)
  t.ok(rsa instanceof RSAPrivateKey)
  t.throws(() => generateKeyPair('Ed25519', { bits: 2048 }), { code: 'ERR_INVALID_PARAMETERS' })
  t.throws(() => generateKeyPair('RSA', { bits: 1024 }), { code: 'ERR_INVALID_KEY', message: /2048 to 8192/ })
  t.throws(() => generateKeyPair('RSA', { bits: RSA_MAX_BITS + 8 }), { code: 'ERR_INVALID_KEY' })
  t.throws(() => generateKeyPair('DSA' as KeyTypeName), { code: 'ERR_UNKNOWN_KEY_TYPE' })
  t.throws(() => publicKeyFromRaw('toString' as KeyTypeName, new Uint8Array(32)), { code: 'ERR_UNKNOWN_KEY_TYPE' })
})

t.test('Ed25519 Data', async t => {
  const key = ed25519PrivateKeyFromSeed(new Uint8Array(32).fill(7))
  t.equal(key.raw.length, 64)
  t.equal(toHex(key.raw.subarray(0, 32)), '07'.repeat(32), 'seed first')
  t.equal(toHex(key.raw.subarray(32)), toHex(key.publicKey.raw), 'then the public key')
  // legacy 96-byte form: seed ‖ public ‖ public
  const legacy = new Uint8Array([...key.raw, ...key.publicKey.raw])
  t.equal(toHex(privateKeyFromRaw('Ed25519', legacy).raw), toHex(key.raw), 'legacy form accepted, re-encoded as 64 bytes')
  const badLegacy = new Uint8Array(legacy)
  badLegacy[95] ^= 1
  t.throws(() => privateKeyFromRaw('Ed25519', badLegacy), { code: 'ERR_INVALID_KEY', message: /two different public keys/ })
  const mismatched = new Uint8Array(key.raw)
  mismatched[63] ^= 1
  t.throws(() => privateKeyFromRaw('Ed25519', mismatched), { code: 'ERR_INVALID_KEY', message: /does not belong/ })
  for (const length of [0, 31, 32, 63, 65, 95, 97]) {
    t.throws(() => privateKeyFromRaw('Ed25519', new Uint8Array(length)), { code: 'ERR_INVALID_KEY' }, `private Data of ${length} bytes`)
  }
  for (const length of [0, 31, 33, 64]) {
    t.throws(() => publicKeyFromRaw('Ed25519', new Uint8Array(length)), { code: 'ERR_INVALID_KEY' }, `public Data of ${length} bytes`)
  }
  t.throws(() => ed25519PrivateKeyFromSeed(new Uint8Array(31)), { code: 'ERR_INVALID_KEY' })
  // y = 2 is not the y of any curve point (x^2 has no root); y >= p is non-canonical
  const notAPoint = new Uint8Array(32)
  notAPoint[0] = 2
  t.throws(() => publicKeyFromRaw('Ed25519', notAPoint), { code: 'ERR_INVALID_KEY', message: /curve point/ })
  t.throws(() => publicKeyFromRaw('Ed25519', hex('ed' + 'ff'.repeat(30) + '7f')), { code: 'ERR_INVALID_KEY' }, 'y = p is non-canonical')
  t.throws(() => publicKeyFromRaw('Ed25519', notAPoint), { code: 'ERR_INVALID_KEY' }, 'a refused key is refused again (never remembered)')
  // a key seen before comes from the checked-key cache: a fresh copy of the bytes, still verifying
  const first = publicKeyFromRaw('Ed25519', key.publicKey.raw)
  const again = publicKeyFromRaw('Ed25519', key.publicKey.raw)
  t.not(again.raw, first.raw, 'each decode owns its bytes')
  again.raw[0] ^= 1
  t.ok(publicKeyFromRaw('Ed25519', key.publicKey.raw).verify(message, key.sign(message)), 'mutating one copy changes no other')
  t.notOk(key.publicKey.verify(message, new Uint8Array(63)), 'short signature')
})

/** 32 little-endian bytes of `n` (RFC 8032's integer encoding). */
function littleEndian (n: bigint): Uint8Array {
  const out = new Uint8Array(32)
  for (let i = 0; i < 32; i++) out[i] = Number((n >> BigInt(8 * i)) & 0xffn)
  return out
}

t.test('publicKeyFromProtobufVerifying: one verify, and every check publicKeyFromRaw makes', async t => {
  for (const [type, make] of Object.entries(samples)) {
    const key = make()
    const bytes = publicKeyToProtobuf(key.publicKey)
    const good = publicKeyFromProtobufVerifying(bytes, message, key.sign(message))
    t.ok(good.valid, `${type}: a good signature`)
    t.ok(good.publicKey.equals(key.publicKey), `${type}: the key it was sent`)
    t.notOk(publicKeyFromProtobufVerifying(bytes, otherMessage, key.sign(message)).valid, `${type}: a signature of other data`)
    t.notOk(publicKeyFromProtobufVerifying(bytes, message, new Uint8Array(7)).valid, `${type}: a malformed signature is an invalid one`)
  }

  // Ed25519 keys the verify itself does not refuse. OpenSSL reads y modulo
  // p and ignores x's sign bit when x = 0; RFC 8032 5.1.3 refuses both
  // spellings. For a key of small order (the neutral point spelled y = p +
  // 1 or y = 1 with the sign bit, the order-4 point y = p, the order-2
  // point y = p - 1 with the sign bit) a signer who knows no secret
  // makes R = [s]B, S = s: [S]B = R + [k]A holds whenever [k]A is neutral,
  // for one s in four at worst.
  const p = (1n << 255n) - 19n
  const withSignBit = (y: bigint): Uint8Array => {
    const raw = littleEndian(y)
    raw[31] |= 0x80
    return raw
  }
  const forge = (raw: Uint8Array): Uint8Array | undefined => {
    const jwk = { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(raw).toString('base64url') }
    const key = createPublicKey({ key: jwk, format: 'jwk' })
    for (let s = 1n; s <= 64n; s++) {
      const signature = new Uint8Array([...ed25519.Point.BASE.multiply(s).toBytes(), ...littleEndian(s)])
      if (nodeVerify(null, message, key, signature)) return signature
    }
    return undefined
  }
  const nonCanonical: Array<[string, Uint8Array, RegExp]> = [
    ['y = p + 1', littleEndian(p + 1n), /y ≥ p/],
    ['y = p', littleEndian(p), /y ≥ p/],
    ['y = 1 with x_0 = 1', withSignBit(1n), /sign bit/],
    ['y = p - 1 with x_0 = 1', withSignBit(p - 1n), /sign bit/]
  ]
  let signature: Uint8Array = new Uint8Array(64)
  for (const [name, raw, why] of nonCanonical) {
    const forged = forge(raw)
    if (forged === undefined) throw new Error(`${name}: no forged signature that node:crypto accepts`)
    signature = forged
    t.pass(`${name}: node:crypto alone accepts a forged signature`)
    t.throws(() => publicKeyFromProtobufVerifying(encodeKeyEnvelope('Ed25519', raw), message, forged),
      { code: 'ERR_INVALID_KEY', message: why }, `${name}: refused as a key`)
    t.throws(() => publicKeyFromRaw('Ed25519', raw), { code: 'ERR_INVALID_KEY' }, `${name}: as publicKeyFromRaw refuses it`)
  }
  // a key that is no point fails the verify, and then the point check says
  // why; it is never remembered as checked
  const notAPoint = littleEndian(2n)
  for (const attempt of ['first', 'second']) {
    t.throws(() => publicKeyFromProtobufVerifying(encodeKeyEnvelope('Ed25519', notAPoint), message, signature),
      { code: 'ERR_INVALID_KEY', message: /curve point/ }, `y = 2: not a point (${attempt} time)`)
  }
  t.throws(() => publicKeyFromRaw('Ed25519', notAPoint), { code: 'ERR_INVALID_KEY' }, 'y = 2: nor through publicKeyFromRaw afterwards')
  t.throws(() => publicKeyFromProtobufVerifying(encodeKeyEnvelope('Ed25519', new Uint8Array(31)), message, signature),
    { code: 'ERR_INVALID_KEY', message: /32 bytes/ }, 'a short key')
  t.throws(() => publicKeyFromProtobufVerifying(Uint8Array.from([0x08, 0x09, 0x12, 0x00]), message, signature),
    { code: 'ERR_UNKNOWN_KEY_TYPE' }, 'an unknown type')

  // x's sign bit is not part of y: a real key with it set is canonical
  let seed = 0
  let signed = ed25519PrivateKeyFromSeed(new Uint8Array(32))
  while ((signed.publicKey.raw[31] & 0x80) === 0 && seed < 64) signed = ed25519PrivateKeyFromSeed(new Uint8Array(32).fill(++seed))
  t.ok(signed.publicKey.raw[31] & 0x80, 'a fixed key whose sign bit is set')
  t.ok(publicKeyFromProtobufVerifying(publicKeyToProtobuf(signed.publicKey), message, signed.sign(message)).valid, 'verifies through the canonical check')

  // a key that verified is remembered as checked; a valid key with a bad
  // signature is too (it passed the point check), and still verifies nothing
  const fresh = generateKeyPair()
  const freshBytes = publicKeyToProtobuf(fresh.publicKey)
  t.notOk(publicKeyFromProtobufVerifying(freshBytes, message, signature).valid, 'a real key, a signature not its own')
  t.notOk(publicKeyFromProtobufVerifying(freshBytes, message, signature).valid, 'again, from the checked keys')
  t.ok(publicKeyFromProtobufVerifying(freshBytes, message, fresh.sign(message)).valid, 'its own signature, from the checked keys')
})

t.test('Secp256k1 Data', async t => {
  const key = generateKeyPair('Secp256k1')
  t.equal(key.raw.length, 32)
  t.equal(key.publicKey.raw.length, 33)
  t.ok(key.publicKey.raw[0] === 2 || key.publicKey.raw[0] === 3, 'compressed point prefix')
  // the signature is DER ECDSA over SHA-256(message), checked with noble directly
  const signature = key.sign(message)
  t.equal(signature[0], 0x30, 'DER SEQUENCE')
  t.ok(secp256k1.verify(signature, message, key.publicKey.raw, { prehash: true, format: 'der' }), 'noble verifies it as ECDSA/SHA-256/DER')
  // a high-S signature (what OpenSSL-based signers may produce) still verifies
  const low = secp256k1.Signature.fromBytes(signature, 'der')
  const high = new secp256k1.Signature(low.r, secp256k1.Point.CURVE().n - low.s)
  t.ok(key.publicKey.verify(message, high.toBytes('der')), 'high S accepted')
  const uncompressed = secp256k1.getPublicKey(key.raw, false)
  t.throws(() => publicKeyFromRaw('Secp256k1', uncompressed), { code: 'ERR_INVALID_KEY', message: /33-byte compressed/ })
  // flip bits of x until the result is no point (half of all x are not)
  let offCurve = new Uint8Array(key.publicKey.raw)
  for (let i = 1; i < 256; i++) {
    offCurve = new Uint8Array(key.publicKey.raw)
    offCurve[32] ^= i
    try { secp256k1.Point.fromBytes(offCurve) } catch { break }
  }
  t.throws(() => publicKeyFromRaw('Secp256k1', offCurve), { code: 'ERR_INVALID_KEY', message: /not a point/ }, 'x with no point')
  t.throws(() => publicKeyFromRaw('Secp256k1', hex('05' + '11'.repeat(32))), { code: 'ERR_INVALID_KEY' }, 'bad prefix byte')
  t.throws(() => privateKeyFromRaw('Secp256k1', new Uint8Array(32)), { code: 'ERR_INVALID_KEY', message: /\[1, n-1\]/ }, 'zero scalar')
  t.throws(() => privateKeyFromRaw('Secp256k1', new Uint8Array(32).fill(0xff)), { code: 'ERR_INVALID_KEY' }, 'scalar >= n')
  t.throws(() => privateKeyFromRaw('Secp256k1', new Uint8Array(33)), { code: 'ERR_INVALID_KEY' }, 'wrong length')
})

t.test('ECDSA Data: SubjectPublicKeyInfo and ECPrivateKey, P-256 only, canonical', async t => {
  const key = generateKeyPair('ECDSA')
  t.equal(toHex(key.raw.subarray(0, 7)), '30770201010420', 'ECPrivateKey SEQUENCE, version 1, 32-byte scalar')
  t.equal(key.publicKey.raw.length, 91, 'SPKI with uncompressed P-256 point')
  const signature = key.sign(message)
  t.equal(signature[0], 0x30, 'DER signature')
  t.ok(createPublicKey({ key: Buffer.from(key.publicKey.raw), format: 'der', type: 'spki' }).type === 'public')
  t.throws(() => publicKeyFromRaw('ECDSA', new Uint8Array([...key.publicKey.raw, 0])), { code: 'ERR_INVALID_KEY' }, 'trailing byte')
  t.throws(() => publicKeyFromRaw('ECDSA', key.publicKey.raw.subarray(0, 90)), { code: 'ERR_INVALID_KEY' }, 'truncated')
  t.throws(() => privateKeyFromRaw('ECDSA', new Uint8Array([...key.raw, 0])), { code: 'ERR_INVALID_KEY' }, 'trailing byte')
  const offCurve = new Uint8Array(key.publicKey.raw)
  offCurve[offCurve.length - 1] ^= 1
  t.throws(() => publicKeyFromRaw('ECDSA', offCurve), { code: 'ERR_INVALID_KEY' }, 'point off the curve')
  const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' })
  t.throws(() => publicKeyFromRaw('ECDSA', p384.publicKey.export({ format: 'der', type: 'spki' })), { code: 'ERR_INVALID_KEY', message: /P-256/ })
  t.throws(() => privateKeyFromRaw('ECDSA', p384.privateKey.export({ format: 'der', type: 'sec1' })), { code: 'ERR_INVALID_KEY', message: /P-256/ })
  // an ECPrivateKey whose embedded public key belongs to another scalar
  const other = generateKeyPair('ECDSA')
  const spliced = new Uint8Array([...key.raw.subarray(0, 7 + 32 + 12), ...other.raw.subarray(7 + 32 + 12)])
  t.throws(() => privateKeyFromRaw('ECDSA', spliced), { code: 'ERR_INVALID_KEY' }, 'public key of another key')
  // an RSA key in the ECDSA slot
  t.throws(() => publicKeyFromRaw('ECDSA', rsa.publicKey.raw), { code: 'ERR_INVALID_KEY' })
})

t.test('RSA Data: PKIX public, PKCS#1 private, size limits', async t => {
  t.equal(toHex(rsa.publicKey.raw.subarray(4, 19)), '300d06092a864886f70d0101010500', 'SPKI with rsaEncryption OID')
  t.equal(toHex(rsa.raw.subarray(4, 7)), '020100', 'RSAPrivateKey version 0')
  // RSASSA-PKCS1-v1_5 with SHA-256, checked by node directly
  t.equal(toHex(rsa.sign(message)), nodeSign('sha256', message, createPrivateKey({ key: Buffer.from(rsa.raw), format: 'der', type: 'pkcs1' })).toString('hex'))
  const small = generateKeyPairSync('rsa', { modulusLength: 1024 })
  t.throws(() => publicKeyFromRaw('RSA', small.publicKey.export({ format: 'der', type: 'spki' })), { code: 'ERR_INVALID_KEY', message: /1024-bit modulus; expected 2048 to 8192/ })
  t.throws(() => privateKeyFromRaw('RSA', small.privateKey.export({ format: 'der', type: 'pkcs1' })), { code: 'ERR_INVALID_KEY', message: /1024-bit/ })
  t.throws(() => publicKeyFromRaw('RSA', new Uint8Array([...rsa.publicKey.raw, 0])), { code: 'ERR_INVALID_KEY' }, 'trailing byte')
  t.throws(() => publicKeyFromRaw('RSA', new Uint8Array(300)), { code: 'ERR_INVALID_KEY' }, 'zeros')
  t.throws(() => privateKeyFromRaw('RSA', rsa.publicKey.raw), { code: 'ERR_INVALID_KEY' }, 'public key in the private slot')
  t.throws(() => publicKeyFromRaw('RSA', generateKeyPair('ECDSA').publicKey.raw), { code: 'ERR_INVALID_KEY', message: /expected rsa/ })
  // an RSAPrivateKey whose modulus no longer matches its primes signs
  // garbage: refused (30 82 xx xx | 02 01 00 | 02 82 01 01 00 | n...)
  const corrupt = rsa.raw
  t.equal(toHex(corrupt.subarray(7, 12)), '0282010100', 'modulus INTEGER header')
  corrupt[20] ^= 1
  t.throws(() => privateKeyFromRaw('RSA', corrupt), { code: 'ERR_INVALID_KEY' }, 'modulus inconsistent with the primes')
})

// A minimal DER writer, to build RSA public keys node:crypto would never make.
function derLength (length: number): number[] {
  if (length < 0x80) return [length]
  const bytes: number[] = []
  for (let l = length; l > 0; l >>= 8) bytes.unshift(l & 0xff)
  return [0x80 | bytes.length, ...bytes]
}
const der = (tag: number, content: number[]): number[] => [tag, ...derLength(content.length), ...content]
function derInteger (value: bigint): number[] {
  const bytes: number[] = []
  for (let v = value; v > 0n; v >>= 8n) bytes.unshift(Number(v & 0xffn))
  if (bytes.length === 0 || bytes[0] >= 0x80) bytes.unshift(0)
  return der(0x02, bytes)
}
/** SubjectPublicKeyInfo { rsaEncryption, RSAPublicKey { n, e } } (RFC 8017 A.1.1). */
function rsaSpki (n: bigint, e: bigint): Uint8Array {
  const algorithm = der(0x30, [...der(0x06, [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01]), 0x05, 0x00])
  const rsaPublicKey = der(0x30, [...derInteger(n), ...derInteger(e)])
  return new Uint8Array(der(0x30, [...algorithm, ...der(0x03, [0x00, ...rsaPublicKey])]))
}

t.test('RSA public key limits: modulus size and public exponent', async t => {
  const modulus = (bits: number): bigint => (1n << BigInt(bits - 1)) | 1n | (0xabcdefn << 16n)
  // the DER writer is right: it reproduces a real key byte for byte
  const details = createPublicKey({ key: Buffer.from(rsa.publicKey.raw), format: 'der', type: 'spki' }).export({ format: 'jwk' })
  const n = BigInt('0x' + Buffer.from(details.n!, 'base64url').toString('hex'))
  t.equal(toHex(rsaSpki(n, 65537n)), toHex(rsa.publicKey.raw), 'DER writer matches node')
  t.equal(publicKeyFromRaw('RSA', rsaSpki(modulus(8192), 65537n)).type, 'RSA', '8192 bits accepted')
  t.throws(() => publicKeyFromRaw('RSA', rsaSpki(modulus(8200), 65537n)), { code: 'ERR_INVALID_KEY', message: /8200-bit modulus/ })
  t.throws(() => publicKeyFromRaw('RSA', rsaSpki(modulus(2040), 65537n)), { code: 'ERR_INVALID_KEY', message: /2040-bit modulus/ })
  t.equal(publicKeyFromRaw('RSA', rsaSpki(n, 3n)).type, 'RSA', 'e = 3 accepted')
  t.equal(publicKeyFromRaw('RSA', rsaSpki(n, 2n ** 31n - 1n)).type, 'RSA', 'e = 2^31 - 1 accepted')
  t.throws(() => publicKeyFromRaw('RSA', rsaSpki(n, 2n ** 31n + 1n)), { code: 'ERR_INVALID_KEY', message: /public exponent of 32 bits/ })
  t.throws(() => publicKeyFromRaw('RSA', rsaSpki(n, (1n << 4000n) + 1n)), { code: 'ERR_INVALID_KEY', message: /public exponent/ }, 'huge e')
  t.throws(() => publicKeyFromRaw('RSA', rsaSpki(n, 65536n)), { code: 'ERR_INVALID_KEY', message: /public exponent 65536/ }, 'even e')
  t.throws(() => publicKeyFromRaw('RSA', rsaSpki(n, 1n)), { code: 'ERR_INVALID_KEY', message: /public exponent 1/ }, 'e = 1')
})

t.test('publicKeyFromProtobuf reports the layer that failed', async t => {
  t.throws(() => publicKeyFromProtobuf(hex('08011220' + '00'.repeat(31))), { code: 'ERR_INVALID_PROTOBUF' })
  t.throws(() => publicKeyFromProtobuf(hex('08011221' + '00'.repeat(33))), { code: 'ERR_INVALID_KEY' })
  t.throws(() => publicKeyFromProtobuf(hex('08051200')), { code: 'ERR_UNKNOWN_KEY_TYPE' })
})
