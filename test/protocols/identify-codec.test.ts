import t from 'tap'
import fc from 'fast-check'
import {
  decodeIdentify, encodeIdentify, IDENTIFY_PROTOCOL, IDENTIFY_PUSH_PROTOCOL, mergeIdentify, type IdentifyMessage
} from '../../src/protocols/identify/index.js'
import { isP2PError } from '../../src/util/errors.js'

t.test('protocol ids (identify/README.md)', async t => {
  t.equal(IDENTIFY_PROTOCOL, '/ipfs/id/1.0.0')
  t.equal(IDENTIFY_PUSH_PROTOCOL, '/ipfs/id/push/1.0.0')
})

// Bytes derived by hand from the spec's field numbers: key = number << 3 | 2
t.test('every field encodes with the spec field number, in declaration order', async t => {
  const message: IdentifyMessage = {
    protocolVersion: 'p', // field 5 -> key 0x2a
    agentVersion: 'ag', // field 6 -> key 0x32
    publicKey: Uint8Array.of(0xaa), // field 1 -> key 0x0a
    listenAddrs: [Uint8Array.of(1, 2), Uint8Array.of(3)], // field 2 -> key 0x12
    observedAddr: Uint8Array.of(4), // field 4 -> key 0x22
    protocols: ['/x', ''], // field 3 -> key 0x1a
    signedPeerRecord: Uint8Array.of(9, 9) // field 8 -> key 0x42
  }
  const expected = [
    0x2a, 1, 0x70,
    0x32, 2, 0x61, 0x67,
    0x0a, 1, 0xaa,
    0x12, 2, 1, 2, 0x12, 1, 3,
    0x22, 1, 4,
    0x1a, 2, 0x2f, 0x78, 0x1a, 0,
    0x42, 2, 9, 9
  ]
  t.same([...encodeIdentify(message)], expected)
  t.same(decodeIdentify(Uint8Array.from(expected)), message)
  t.same([...encodeIdentify({ listenAddrs: [], protocols: [] })], [], 'empty message is zero bytes')
  t.same(decodeIdentify(new Uint8Array(0)), { listenAddrs: [], protocols: [] })
})

t.test('decoder: any field order, unknown fields skipped, last optional value wins', async t => {
  const bytes = Uint8Array.from([
    0x1a, 1, 0x61, // protocols 'a'
    0x08, 0x96, 0x01 // field 1 (publicKey, bytes) sent with wire type 0
  ])
  t.ok(isP2PError(catchErr(() => decodeIdentify(bytes)), 'ERR_IDENTIFY_INVALID_MESSAGE'), 'publicKey as varint is rejected')
  const ok = Uint8Array.from([
    0x1a, 1, 0x61, // protocols 'a'
    0x38, 0x96, 0x01, // field 7, varint 150: unknown
    0x49, 1, 2, 3, 4, 5, 6, 7, 8, // field 9, I64: unknown
    0x55, 1, 2, 3, 4, // field 10, I32: unknown
    0x7a, 2, 0xff, 0xfe, // field 15, LEN: unknown (not UTF-8, irrelevant)
    0x2a, 1, 0x31, // protocolVersion '1'
    0x12, 1, 7, // listenAddrs
    0x2a, 1, 0x32, // protocolVersion '2': last one wins
    0x1a, 1, 0x62 // protocols 'b'
  ])
  t.same(decodeIdentify(ok), { protocolVersion: '2', protocols: ['a', 'b'], listenAddrs: [Uint8Array.of(7)] })
})

function catchErr (fn: () => unknown): unknown {
  try { fn() } catch (err) { return err }
  return undefined
}

t.test('malformed protobuf is ERR_IDENTIFY_INVALID_MESSAGE, never a crash', async t => {
  const cases: Array<[string, number[]]> = [
    ['key varint runs past the end', [0x8a]],
    ['length runs past the end', [0x0a, 5, 1, 2]],
    ['length varint runs past the end', [0x0a, 0x80]],
    ['group start wire type 3', [0x0b]],
    ['group end wire type 4', [0x0c]],
    ['wire type 6', [0x0e]],
    ['field number 0', [0x02, 0]],
    ['I64 short', [0x49, 1, 2]],
    ['I32 short', [0x55, 1]],
    ['varint longer than 10 bytes', [0x38, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]],
    ['agentVersion not UTF-8', [0x32, 2, 0xc3, 0x28]],
    ['protocols not UTF-8', [0x1a, 1, 0xff]],
    ['listenAddrs as varint', [0x10, 1]]
  ]
  for (const [name, bytes] of cases) {
    const err = catchErr(() => decodeIdentify(Uint8Array.from(bytes)))
    t.ok(isP2PError(err, 'ERR_IDENTIFY_INVALID_MESSAGE'), `${name}: ${String(err)}`)
    t.equal((err as { remote?: boolean }).remote, true)
  }
})

const messageArb: fc.Arbitrary<IdentifyMessage> = fc.record({
  protocolVersion: fc.option(fc.string({ unit: 'grapheme' }), { nil: undefined }),
  agentVersion: fc.option(fc.string({ unit: 'grapheme' }), { nil: undefined }),
  publicKey: fc.option(fc.uint8Array({ maxLength: 80 }), { nil: undefined }),
  listenAddrs: fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 5 }),
  observedAddr: fc.option(fc.uint8Array({ maxLength: 40 }), { nil: undefined }),
  protocols: fc.array(fc.string({ unit: 'grapheme' }), { maxLength: 5 }),
  signedPeerRecord: fc.option(fc.uint8Array({ maxLength: 200 }), { nil: undefined })
}, { requiredKeys: ['listenAddrs', 'protocols'] }).map(m => {
  // undefined-valued keys are absent on the wire
  for (const k of Object.keys(m) as Array<keyof IdentifyMessage>) if (m[k] === undefined) delete m[k]
  return m
})

t.test('property: decode(encode(m)) = m', async t => {
  fc.assert(fc.property(messageArb, m => {
    t.same(decodeIdentify(encodeIdentify(m)), m)
  }), { numRuns: 200 })
})

t.test('property: arbitrary bytes decode or throw the typed error', async t => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), bytes => {
    const err = catchErr(() => decodeIdentify(bytes))
    if (err !== undefined && !isP2PError(err, 'ERR_IDENTIFY_INVALID_MESSAGE')) throw err
  }), { numRuns: 500 })
})

t.test('property: concatenated messages decode as their merge (protobuf semantics)', async t => {
  fc.assert(fc.property(messageArb, messageArb, (a, b) => {
    const bytes = Buffer.concat([encodeIdentify(a), encodeIdentify(b)])
    const viaConcat = decodeIdentify(bytes)
    const merged = mergeIdentify([a, b])
    t.same(viaConcat.listenAddrs, merged.listenAddrs)
    t.equal(viaConcat.agentVersion, merged.agentVersion)
    t.same(viaConcat.signedPeerRecord, merged.signedPeerRecord)
    t.same([...new Set(viaConcat.protocols)], merged.protocols)
  }), { numRuns: 50 })
})

t.test('merging the most a reader takes (ten full messages of short IDs) keeps each protocol once, in first-seen order', async t => {
  // ~2000 two-character IDs per 8 KiB message, half of each message repeating the one before
  const ids = (from: number): string[] => Array.from({ length: 2000 }, (_, i) => String.fromCharCode(0x21 + ((from + i) >> 7) % 90, 0x21 + (from + i) % 90))
  const messages: IdentifyMessage[] = Array.from({ length: 10 }, (_, m) => ({ listenAddrs: [], protocols: ids(m * 1000) }))
  const merged = mergeIdentify(messages)
  const expected = [...new Set(messages.flatMap(m => m.protocols))]
  t.equal(merged.protocols.length, expected.length)
  t.same(merged.protocols, expected)
})

t.test('cross-check against js-libp2p @libp2p/identify protobuf codec', async t => {
  // test only: the generated codec of js-libp2p 3.x (not exported, so by path)
  let js: { Identify: { encode: (m: unknown) => Uint8Array, decode: (b: Uint8Array) => IdentifyMessage } }
  try {
    js = await import('../../node_modules/@libp2p/identify/dist/src/pb/message.js' as string)
  } catch (err) {
    t.fail(`js-libp2p identify codec not reachable: ${String(err)}`)
    return
  }
  fc.assert(fc.property(messageArb, m => {
    const ours = encodeIdentify(m)
    t.same([...ours], [...js.Identify.encode(m)], 'same bytes as js-libp2p')
    const theirs = js.Identify.decode(ours)
    t.same(normalize(theirs), normalize(m), 'js-libp2p reads our bytes back')
  }), { numRuns: 100 })
})

function normalize (m: IdentifyMessage): unknown {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(m)) {
    if (v === undefined) continue
    out[k] = v instanceof Uint8Array ? [...v] : Array.isArray(v) ? v.map(x => x instanceof Uint8Array ? [...x] : x) : v
  }
  return out
}
