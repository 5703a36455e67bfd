// The PublicKey/PrivateKey envelope: canonical encoding and a decoder that
// refuses every non-canonical byte (peer-ids.md "Keys": fields minimally
// encoded, in tag order, all present, no others).

import t from 'tap'
import fc from 'fast-check'
import { decodeKeyEnvelope, encodeKeyEnvelope, MAX_KEY_DATA_BYTES } from '../../src/peer/key-protobuf.js'
import {
  generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf, publicKeyFromProtobuf, publicKeyToProtobuf
} from '../../src/peer/index.js'
import { isP2PError } from '../../src/util/errors.js'

const hex = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'hex'))
const toHex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex')
// the spec's Ed25519 public key vector (spec-vectors/peer/keys.json)
const ED_PUB = '080112201ed1e8fae2c4a144b8be8fd4b47bf3d3b34b871c3cacf6010f0e42d474fce27e'
const ED_DATA = ED_PUB.slice(8)

t.test('encoding: key 0x08, Type varint, key 0x12, length varint, Data', async t => {
  t.equal(toHex(encodeKeyEnvelope('Ed25519', hex(ED_DATA))), ED_PUB)
  t.equal(toHex(encodeKeyEnvelope('RSA', new Uint8Array([0xaa]))), '08001201aa', 'Type 0 is still written ("All fields must be included")')
  t.equal(toHex(encodeKeyEnvelope('ECDSA', new Uint8Array(0))), '08031200', 'empty Data is still written')
  t.equal(toHex(encodeKeyEnvelope('Secp256k1', new Uint8Array(200))).slice(0, 10), '080212c801', 'length 200 is the two-byte varint c8 01')
})

t.test('decoding the canonical form', async t => {
  const { type, data } = decodeKeyEnvelope(hex(ED_PUB), 'PublicKey')
  t.equal(type, 'Ed25519')
  t.equal(toHex(data), ED_DATA)
})

t.test('decoder rejects non-canonical and broken envelopes', async t => {
  const cases: Array<[string, string, string]> = [
    ['', 'ERR_INVALID_PROTOBUF', 'empty'],
    ['08', 'ERR_INVALID_PROTOBUF', 'Type varint missing'],
    ['0801', 'ERR_INVALID_PROTOBUF', 'Data missing'],
    ['1220' + ED_DATA, 'ERR_INVALID_PROTOBUF', 'Type missing'],
    ['1220' + ED_DATA + '0801', 'ERR_INVALID_PROTOBUF', 'fields out of tag order'],
    ['0801080112' + '20' + ED_DATA, 'ERR_INVALID_PROTOBUF', 'Type repeated'],
    [ED_PUB + '1800', 'ERR_INVALID_PROTOBUF', 'unknown field 3 after Data'],
    [ED_PUB + '00', 'ERR_INVALID_PROTOBUF', 'trailing zero byte'],
    ['08011221' + ED_DATA, 'ERR_INVALID_PROTOBUF', 'Data length runs past the end'],
    ['0881001220' + ED_DATA, 'ERR_INVALID_PROTOBUF', 'Type varint not minimal'],
    ['080112a000' + ED_DATA, 'ERR_INVALID_PROTOBUF', 'length varint not minimal'],
    ['0a0101', 'ERR_INVALID_PROTOBUF', 'field 1 with the wrong wire type'],
    ['08011020', 'ERR_INVALID_PROTOBUF', 'field 2 with the wrong wire type'],
    ['0801128080808080808080808001', 'ERR_INVALID_PROTOBUF', 'length varint too long'],
    ['080412' + '20' + ED_DATA, 'ERR_UNKNOWN_KEY_TYPE', 'Type 4'],
    ['08ffffffff0f1200', 'ERR_UNKNOWN_KEY_TYPE', 'Type 2^32-1']
  ]
  for (const [input, code, name] of cases) {
    t.throws(() => decodeKeyEnvelope(hex(input), 'PublicKey'), { code }, name)
  }
  const tooBig = new Uint8Array(MAX_KEY_DATA_BYTES + 1)
  t.throws(() => decodeKeyEnvelope(encodeKeyEnvelope('RSA', tooBig), 'PrivateKey'), { code: 'ERR_INVALID_PROTOBUF', message: /at most 8192/ }, 'Data over the limit')
})

t.test('error messages say what was expected and what arrived', async t => {
  t.throws(() => decodeKeyEnvelope(hex('1220'), 'PublicKey'), { message: /expected field 1 \(Type\) key 0x08 at offset 0, got 0x12/ })
  t.throws(() => decodeKeyEnvelope(hex('08091200'), 'PrivateKey'), { message: /unknown PrivateKey Type 9; expected one of 0 \(RSA\), 1 \(Ed25519\), 2 \(Secp256k1\), 3 \(ECDSA\)/ })
})

t.test('property: envelope round trip for any type and Data', async t => {
  fc.assert(fc.property(
    fc.constantFrom('RSA', 'Ed25519', 'Secp256k1', 'ECDSA' as const),
    fc.uint8Array({ maxLength: 400 }),
    (type, data) => {
      const bytes = encodeKeyEnvelope(type, data)
      const decoded = decodeKeyEnvelope(bytes, 'PublicKey')
      return decoded.type === type && toHex(decoded.data) === toHex(data)
    }
  ), { numRuns: 300 })
  t.pass()
})

t.test('property: key protobuf round trips for generated keys', async t => {
  for (const type of ['Ed25519', 'Secp256k1', 'ECDSA'] as const) {
    fc.assert(fc.property(fc.integer(), () => {
      const key = generateKeyPair(type)
      const privateBytes = privateKeyToProtobuf(key)
      const publicBytes = publicKeyToProtobuf(key.publicKey)
      return toHex(privateKeyToProtobuf(privateKeyFromProtobuf(privateBytes))) === toHex(privateBytes) &&
        toHex(publicKeyToProtobuf(publicKeyFromProtobuf(publicBytes))) === toHex(publicBytes)
    }), { numRuns: 20 })
  }
  t.pass()
})

function onlyP2PErrors (decode: (bytes: Uint8Array) => unknown, bytes: Uint8Array): boolean {
  try {
    decode(bytes)
    return true
  } catch (err) {
    return isP2PError(err)
  }
}

t.test('property: random bytes into every decoder only ever throw P2PError', async t => {
  const validPrefix = fc.constantFrom(
    ...['0800', '0801', '0802', '0803'].map(hex)
  )
  // raw noise, and noise behind a valid Type so the per-type Data parsers see it
  const inputs = fc.oneof(
    fc.uint8Array({ maxLength: 200 }),
    fc.tuple(validPrefix, fc.uint8Array({ maxLength: 200 })).map(([prefix, data]) => {
      const out = new Uint8Array(prefix.length + 2 + data.length)
      out.set(prefix)
      out[prefix.length] = 0x12
      out[prefix.length + 1] = Math.min(data.length, 127)
      out.set(data, prefix.length + 2)
      return out.subarray(0, prefix.length + 2 + Math.min(data.length, 127))
    })
  )
  fc.assert(fc.property(inputs, bytes =>
    onlyP2PErrors(publicKeyFromProtobuf, bytes) && onlyP2PErrors(privateKeyFromProtobuf, bytes)
  ), { numRuns: 1000 })
  t.pass()
})

t.test('property: mutated valid keys only ever throw P2PError', async t => {
  const samples = ['Ed25519', 'Secp256k1', 'ECDSA'].map(type => {
    const key = generateKeyPair(type as 'Ed25519')
    return [publicKeyToProtobuf(key.publicKey), privateKeyToProtobuf(key)]
  }).flat()
  fc.assert(fc.property(fc.constantFrom(...samples), fc.nat(), fc.integer({ min: 1, max: 255 }), (sample, at, xor) => {
    const bytes = new Uint8Array(sample)
    bytes[at % bytes.length] ^= xor
    return onlyP2PErrors(publicKeyFromProtobuf, bytes) && onlyP2PErrors(privateKeyFromProtobuf, bytes)
  }), { numRuns: 500 })
  t.pass()
})
