// The NoiseHandshakePayload codec, cross-checked against protobufjs (an
// independent protobuf implementation fed the schema from libp2p/specs
// noise), plus every malformed input the decoder must refuse.

import t from 'tap'
import protobuf from 'protobufjs'

import {
  CipherState, FrameDecoder, NoiseSecureStream, decodeNoiseHandshakePayload, encodeNoiseHandshakePayload, nodeCrypto, staticKeySignedData
} from '../../src/noise/index.js'
import { duplexPair } from '../helpers/duplex-pair.js'

const SCHEMA = `
syntax = "proto3";
message NoiseExtensions {
  repeated bytes webtransport_certhashes = 1;
  repeated string stream_muxers = 2;
}
message NoiseHandshakePayload {
  bytes identity_key = 1;
  bytes identity_sig = 2;
  NoiseExtensions extensions = 4;
}`
const Payload = protobuf.parse(SCHEMA, { keepCase: true }).root.lookupType('NoiseHandshakePayload')

t.test('our encoding decodes with protobufjs, and theirs with ours', async t => {
  const payload = {
    identityKey: Uint8Array.from([8, 1, 18, 32, ...new Uint8Array(32).fill(3)]),
    identitySig: new Uint8Array(64).fill(4),
    extensions: { webtransportCerthashes: [Uint8Array.of(0x12, 0x20, 1)], streamMuxers: ['/yamux/1.0.0', '/mplex/6.7.0'] }
  }
  const ours = encodeNoiseHandshakePayload(payload)
  const decoded = Payload.toObject(Payload.decode(ours), { bytes: Array, arrays: true }) as Record<string, unknown>
  t.same(decoded, {
    identity_key: [...payload.identityKey],
    identity_sig: [...payload.identitySig],
    extensions: { webtransport_certhashes: [[0x12, 0x20, 1]], stream_muxers: ['/yamux/1.0.0', '/mplex/6.7.0'] }
  })
  const theirs = Payload.encode(Payload.fromObject({
    identity_key: payload.identityKey,
    identity_sig: payload.identitySig,
    extensions: { webtransport_certhashes: payload.extensions.webtransportCerthashes, stream_muxers: payload.extensions.streamMuxers }
  })).finish()
  t.same(Buffer.from(theirs).toString('hex'), Buffer.from(ours).toString('hex'), 'byte-identical encodings')
  t.same(decodeNoiseHandshakePayload(theirs), payload)
})

t.test('the hand-computed encoding', async t => {
  // field 1 (0x0a) len 2, field 2 (0x12) len 1, field 4 (0x22) len 3 { field 2 (0x12) len 1 "a" }
  const bytes = encodeNoiseHandshakePayload({ identityKey: Uint8Array.of(1, 2), identitySig: Uint8Array.of(3), extensions: { streamMuxers: ['a'], webtransportCerthashes: [] } })
  t.equal(Buffer.from(bytes).toString('hex'), '0a02010212010322031201' + '61')
})

t.test('unknown fields are skipped, including the legacy data = 3', async t => {
  const bytes = Uint8Array.from([0x0a, 1, 7, 0x1a, 2, 9, 9, 0x28, 0x96, 0x01, 0x12, 1, 8, 0x3d, 1, 2, 3, 4, 0x41, 1, 2, 3, 4, 5, 6, 7, 8])
  t.same(decodeNoiseHandshakePayload(bytes), { identityKey: Uint8Array.of(7), identitySig: Uint8Array.of(8) })
})

t.test('extensions sent in two pieces are merged, as protobuf merges an embedded message (protobufjs agrees)', async t => {
  // field 4 twice: { stream_muxers: "/yamux/1.0.0" }, then { certhash 0x12 0x20 0x01, stream_muxers: "/mplex/6.7.0" }
  const part = (bytes: number[]): number[] => [0x22, bytes.length, ...bytes]
  const text = (field: number, value: string): number[] => [(field << 3) | 2, value.length, ...Buffer.from(value)]
  const bytes = Uint8Array.from([
    0x0a, 1, 7, 0x12, 1, 8,
    ...part(text(2, '/yamux/1.0.0')),
    ...part([0x0a, 3, 0x12, 0x20, 1, ...text(2, '/mplex/6.7.0')])
  ])
  const expected = { webtransportCerthashes: [Uint8Array.of(0x12, 0x20, 1)], streamMuxers: ['/yamux/1.0.0', '/mplex/6.7.0'] }
  t.same(decodeNoiseHandshakePayload(bytes).extensions, expected)
  const theirs = Payload.toObject(Payload.decode(bytes), { bytes: Array, arrays: true }) as { extensions: unknown }
  t.same(theirs.extensions, { webtransport_certhashes: [[0x12, 0x20, 1]], stream_muxers: ['/yamux/1.0.0', '/mplex/6.7.0'] }, 'protobufjs reads the same')
})

t.test('malformed payloads', async t => {
  const cases: Array<[string, number[]]> = [
    ['empty', []],
    ['truncated length', [0x0a]],
    ['field runs past the end', [0x0a, 5, 1, 2]],
    ['group wire type', [0x0b, 0x0c]],
    ['reserved wire type 6', [0x0e]],
    ['field number 0', [0x02, 0]],
    ['identity_key as varint', [0x08, 1, 0x12, 1, 1]],
    ['missing identity_sig', [0x0a, 1, 1]],
    ['missing identity_key', [0x12, 1, 1]],
    ['over-long varint', [0x0a, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]],
    ['invalid UTF-8 muxer', [0x0a, 1, 1, 0x12, 1, 1, 0x22, 3, 0x12, 1, 0xff]],
    ['extensions as varint', [0x0a, 1, 1, 0x12, 1, 1, 0x20, 1]],
    ['text', [...Buffer.from('hello, not a protobuf')]]
  ]
  for (const [name, bytes] of cases) {
    t.throws(() => decodeNoiseHandshakePayload(Uint8Array.from(bytes)), { code: 'ERR_NOISE_INVALID_PAYLOAD', remote: true }, name)
  }
})

t.test('the signed data is the prefix followed by the static key', async t => {
  const key = new Uint8Array(32).fill(0xab)
  // hex of the ASCII string "noise-libp2p-static-key:"
  t.equal(Buffer.from(staticKeySignedData(key)).toString('hex'), '6e6f6973652d6c69627032702d7374617469632d6b65793a' + 'ab'.repeat(32))
  t.equal(staticKeySignedData(key).length, 24 + 32)
})

t.test('a large write goes out as full-size messages: 65535 bytes on the wire each', async t => {
  const key = new Uint8Array(32).fill(5)
  const [conn, raw] = duplexPair()
  const stream = new NoiseSecureStream(conn, new CipherState(nodeCrypto, key), new CipherState(nodeCrypto, key))
  const chunks: Buffer[] = []
  raw.on('data', (c: Buffer) => chunks.push(c))
  const done = new Promise(resolve => raw.on('end', resolve))
  const data = Buffer.alloc(3 * 65519 + 5, 0x5a)
  stream.end(data)
  await done
  const decoder = new FrameDecoder(16)
  const receiver = new CipherState(nodeCrypto, key)
  const lengths: number[] = []
  const plain: Uint8Array[] = []
  decoder.push(Buffer.concat(chunks), m => {
    lengths.push(m.length)
    plain.push(receiver.decryptWithAd(new Uint8Array(0), m))
  })
  t.same(lengths, [65535, 65535, 65535, 21])
  t.same(Buffer.concat(plain), data)
  t.equal(decoder.buffered, 0)
})

t.test('a slow reader stalls the sender (backpressure end to end)', async t => {
  const key = new Uint8Array(32).fill(6)
  const [a, b] = duplexPair()
  const sender = new NoiseSecureStream(a, new CipherState(nodeCrypto, key), new CipherState(nodeCrypto, key))
  const receiver = new NoiseSecureStream(b, new CipherState(nodeCrypto, key), new CipherState(nodeCrypto, key))
  let written = 0
  const chunk = Buffer.alloc(16 * 1024)
  // write until the sender pushes back; nobody reads the receiver
  while (sender.write(chunk)) {
    written += chunk.length
    if (written > 64 * 1024 * 1024) break
  }
  await new Promise(resolve => setTimeout(resolve, 50))
  t.ok(written < 2 * 1024 * 1024, `sender stopped after ${written} bytes`)
  // once the reader drains, everything arrives
  let got = 0
  const drained = new Promise<void>(resolve => {
    receiver.on('data', (c: Buffer) => { got += c.length; if (got === written + chunk.length) resolve() })
  })
  await drained
  t.equal(got, written + chunk.length)
  sender.destroy()
  receiver.destroy()
})

