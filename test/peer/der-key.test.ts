// ./der-key.ts: canonical DER import and the private-key self-test, through
// the ECDSA and RSA key readers that share it.
import t from 'tap'
import { p256 } from '@noble/curves/nist.js'
import { generateKeyPair, privateKeyFromRaw, publicKeyFromRaw } from '../../src/peer/index.js'

const hex = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'hex'))

t.test('a DER that parses but is not canonical is refused with the reason', async t => {
  const key = generateKeyPair('ECDSA')
  // the outer SEQUENCE length in long form (30 81 59 instead of 30 59): OpenSSL reads it, DER forbids it
  const longForm = new Uint8Array([0x30, 0x81, ...key.publicKey.raw.subarray(1)])
  t.throws(() => publicKeyFromRaw('ECDSA', longForm), {
    code: 'ERR_INVALID_KEY',
    message: 'invalid ECDSA key: public key Data is not the canonical DER SubjectPublicKeyInfo (uncompressed point, no trailing bytes)'
  })
  const rsa = generateKeyPair('RSA')
  t.equal(rsa.publicKey.raw[1], 0x82, 'a 2048-bit SPKI has a two-byte length')
  t.throws(() => publicKeyFromRaw('RSA', new Uint8Array([...rsa.publicKey.raw, 0])), {
    code: 'ERR_INVALID_KEY', message: /^invalid RSA key: public key Data is not (a|the canonical) DER SubjectPublicKeyInfo$/
  })
  t.throws(() => publicKeyFromRaw('ECDSA', new Uint8Array([...key.publicKey.raw, 0])), { code: 'ERR_INVALID_KEY', message: /^invalid ECDSA key: public key Data is not/ })
  t.throws(() => publicKeyFromRaw('ECDSA', hex('3000')), { code: 'ERR_INVALID_KEY', message: 'invalid ECDSA key: public key Data is not a DER SubjectPublicKeyInfo' })
  t.throws(() => privateKeyFromRaw('RSA', hex('3000')), { code: 'ERR_INVALID_KEY', message: 'invalid RSA key: private key Data is not a DER PKCS#1 RSAPrivateKey' })
  t.throws(() => privateKeyFromRaw('ECDSA', hex('3000')), { code: 'ERR_INVALID_KEY', message: 'invalid ECDSA key: private key Data is not a DER ECPrivateKey' })
})

t.test('ECDSA: a compressed point is refused (one key, one encoding, one peer ID)', async t => {
  // RFC 5480 SubjectPublicKeyInfo for P-256 with a compressed point (33 bytes):
  // SEQUENCE { SEQUENCE { id-ecPublicKey, prime256v1 }, BIT STRING 00 <02|03 x> }
  const compressed = p256.getPublicKey(p256.utils.randomSecretKey(), true)
  const spki = new Uint8Array([...hex('3039301306072a8648ce3d020106082a8648ce3d030107032200'), ...compressed])
  t.throws(() => publicKeyFromRaw('ECDSA', spki), { code: 'ERR_INVALID_KEY', message: /59 bytes, expected the 91-byte SubjectPublicKeyInfo with an uncompressed point/ })
  const key = generateKeyPair('ECDSA')
  t.equal(key.publicKey.raw.length, 91)
  t.equal(key.raw.length, 121)
})

t.test('a private key whose own public key rejects its signature fails the self-test', async t => {
  const key = generateKeyPair('ECDSA')
  const other = generateKeyPair('ECDSA')
  // ECPrivateKey: 30 77 02 01 01 04 20 <32-byte d> a0 0a <OID> a1 44 03 42 00 <point>; splice in another point
  const spliced = new Uint8Array([...key.raw.subarray(0, 7 + 32 + 12), ...other.raw.subarray(7 + 32 + 12)])
  t.throws(() => privateKeyFromRaw('ECDSA', spliced), {
    code: 'ERR_INVALID_KEY',
    message: 'invalid ECDSA key: the public key in the private key Data does not belong to its scalar'
  })
  t.ok(privateKeyFromRaw('ECDSA', key.raw).publicKey.equals(key.publicKey), 'the unspliced key passes')
})
