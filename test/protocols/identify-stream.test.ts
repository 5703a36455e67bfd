import t from 'tap'
import fc from 'fast-check'
import { Duplex } from 'node:stream'
import { duplexPair } from '../helpers/duplex-pair.js'
import { halfOpenTcpPair } from './fixtures/tcp-half-open.js'
import {
  decodeIdentify, encodeIdentify, identifyFrames, IDENTIFY_SEND_LIMIT, MAX_IDENTIFY_MESSAGE_SIZE, MAX_IDENTIFY_MESSAGES,
  readIdentify, writeIdentify, type IdentifyMessage
} from '../../src/protocols/identify/index.js'
import { Multiaddr } from '../../src/multiaddr/index.js'
import { encodeUvarint } from '../../src/util/varint.js'
import { isP2PError } from '../../src/util/errors.js'
import { readAll } from '../helpers/read-all.js'

const sample: IdentifyMessage = {
  protocolVersion: 'ipfs/0.1.0',
  agentVersion: 'libp2p-ts-stack/0.1.0',
  publicKey: new Uint8Array(36).fill(1),
  listenAddrs: [Uint8Array.of(4, 127, 0, 0, 1, 6, 0x0f, 0xa1)],
  observedAddr: Uint8Array.of(4, 127, 0, 0, 1, 6, 0x30, 0x39),
  protocols: ['/ipfs/ping/1.0.0', '/ipfs/id/1.0.0'],
  signedPeerRecord: new Uint8Array(100).fill(7)
}

t.test('writeIdentify sends one varint-length-prefixed message, then half-closes', async t => {
  const [a, b] = duplexPair()
  const body = encodeIdentify(sample)
  const [received] = await Promise.all([readAll(b), writeIdentify(a, sample)])
  t.same([...received], [...encodeUvarint(body.length), ...body])
  t.ok(a.writableFinished)
})

t.test('round trip over duplexPair and TCP', async t => {
  const [a, b] = duplexPair()
  const [, got] = await Promise.all([writeIdentify(a, sample), readIdentify(b)])
  t.same(got, sample)

  const [client, server] = await halfOpenTcpPair()
  const [, got2] = await Promise.all([writeIdentify(server, sample), readIdentify(client)])
  t.same(got2, sample)
  client.destroy()
  server.destroy()
})

t.test('an answer that arrived whole still counts when the stream is closed cleanly before our half-close', async t => {
  const frame = Buffer.concat([encodeUvarint(encodeIdentify(sample).length), encodeIdentify(sample)])
  /** The answer and EOF, then (our connection closing) the muxer finishes the stream under the reader. */
  const answered = (closeWith?: Error): Duplex => {
    const stream = new Duplex({ read () { this.push(frame); this.push(null) }, write (_c, _e, cb) { cb() } })
    stream.on('end', () => { stream.destroy(closeWith) })
    return stream
  }
  const clean = answered()
  t.same(await readIdentify(clean), sample)
  t.notOk(clean.writableFinished, 'our half-close never happened, and did not have to')
  // closed with an error it is still a failure
  await t.rejects(readIdentify(answered(new Error('reset'))), /reset/)
})

t.test('property: any split of the incoming bytes reads the same message', async t => {
  const frame = Buffer.concat([encodeUvarint(encodeIdentify(sample).length), encodeIdentify(sample)])
  await fc.assert(fc.asyncProperty(fc.array(fc.integer({ min: 1, max: frame.length }), { maxLength: 12 }), async cuts => {
    const [a, b] = duplexPair()
    const reading = readIdentify(b)
    let offset = 0
    for (const cut of cuts) {
      if (offset >= frame.length) break
      a.write(frame.subarray(offset, offset + cut))
      offset += cut
    }
    a.end(frame.subarray(offset))
    t.same(await reading, sample)
  }), { numRuns: 40 })
})

function frame (m: IdentifyMessage): Buffer {
  const body = encodeIdentify(m)
  return Buffer.concat([encodeUvarint(body.length), body])
}

t.test('several messages on one stream are merged in order', async t => {
  const [a, b] = duplexPair()
  const reading = readIdentify(b)
  a.write(frame({ agentVersion: 'one', listenAddrs: [Uint8Array.of(1)], protocols: ['/a', '/b'] }))
  a.write(frame({ listenAddrs: [Uint8Array.of(2)], protocols: ['/b', '/c'], signedPeerRecord: Uint8Array.of(5) }))
  a.end(frame({ agentVersion: 'two', listenAddrs: [], protocols: [] }))
  t.same(await reading, {
    agentVersion: 'two',
    listenAddrs: [Uint8Array.of(1), Uint8Array.of(2)],
    protocols: ['/a', '/b', '/c'],
    signedPeerRecord: Uint8Array.of(5)
  })
})

t.test(`reading stops after ${MAX_IDENTIFY_MESSAGES} messages`, async t => {
  const [a, b] = duplexPair()
  const reading = readIdentify(b)
  for (let i = 0; i < MAX_IDENTIFY_MESSAGES + 3; i++) a.write(frame({ listenAddrs: [], protocols: [`/p${i}`] }))
  const got = await reading
  t.equal(got.protocols.length, MAX_IDENTIFY_MESSAGES)
  t.equal(got.protocols.at(-1), `/p${MAX_IDENTIFY_MESSAGES - 1}`)
})

t.test('size limit: a length prefix above 8 KiB is refused before the body arrives', async t => {
  t.equal(MAX_IDENTIFY_MESSAGE_SIZE, 8192)
  const [a, b] = duplexPair()
  const reading = readIdentify(b)
  a.resume()
  a.write(encodeUvarint(MAX_IDENTIFY_MESSAGE_SIZE + 1)) // and nothing else: no EOF either
  const err = await reading.catch(e => e)
  t.ok(isP2PError(err, 'ERR_IDENTIFY_MESSAGE_TOO_LARGE'), String(err))
  t.equal(err.remote, true)
  t.ok(b.destroyed, 'stream reset')

  // exactly the limit is accepted
  const [c, d] = duplexPair()
  const reading2 = readIdentify(d)
  const big: IdentifyMessage = { listenAddrs: [], protocols: [], signedPeerRecord: new Uint8Array(MAX_IDENTIFY_MESSAGE_SIZE - 3) }
  t.equal(encodeIdentify(big).length, MAX_IDENTIFY_MESSAGE_SIZE)
  c.end(frame(big))
  t.equal((await reading2).signedPeerRecord?.length, MAX_IDENTIFY_MESSAGE_SIZE - 3)

  // maxSize option
  const [e, f] = duplexPair()
  const reading3 = readIdentify(f, { maxSize: 10 })
  e.resume()
  e.end(frame(sample))
  t.ok(isP2PError(await reading3.catch(x => x), 'ERR_IDENTIFY_MESSAGE_TOO_LARGE'))
})

t.test('truncated, empty and garbage streams are ERR_IDENTIFY_INVALID_MESSAGE', async t => {
  const full = frame(sample)
  const cases: Array<[string, Uint8Array]> = [
    ['empty stream', new Uint8Array(0)],
    ['frame cut short', full.subarray(0, full.length - 1)],
    ['only a partial length prefix', Uint8Array.of(0x80)],
    ['non-minimal length prefix', Uint8Array.of(0x80, 0x00)],
    ['malformed protobuf body', Uint8Array.of(2, 0x0a, 9)],
    ['valid frame then a partial one', Buffer.concat([full, Uint8Array.of(5, 1)])]
  ]
  for (const [name, bytes] of cases) {
    const [a, b] = duplexPair()
    const reading = readIdentify(b)
    a.resume()
    a.end(bytes)
    const err = await reading.catch(e => e)
    t.ok(isP2PError(err, 'ERR_IDENTIFY_INVALID_MESSAGE'), `${name}: ${String(err)}`)
  }
})

t.test('abort signal while waiting', async t => {
  const [a, b] = duplexPair()
  a.resume()
  const controller = new AbortController()
  const reading = readIdentify(b, { signal: controller.signal })
  setTimeout(() => controller.abort(), 5)
  const err = await reading.catch(e => e)
  t.equal(err.name, 'AbortError')
  t.ok(b.destroyed)
})

t.test('writeIdentify: an oversized message sends the signed peer record separately', async t => {
  const m: IdentifyMessage = { ...sample, signedPeerRecord: new Uint8Array(MAX_IDENTIFY_MESSAGE_SIZE - 100).fill(3) }
  t.ok(encodeIdentify(m).length > MAX_IDENTIFY_MESSAGE_SIZE)
  const [a, b] = duplexPair()
  const [received] = await Promise.all([readAll(b), writeIdentify(a, m)])
  const { signedPeerRecord, ...rest } = m
  t.same([...received], [...frame(rest), ...frame({ listenAddrs: [], protocols: [], signedPeerRecord })], 'two frames')

  const [c, d] = duplexPair()
  const [, merged] = await Promise.all([writeIdentify(c, m), readIdentify(d)])
  t.same(merged, m, 'reader merges them back')

  const [e, f] = duplexPair()
  f.resume()
  const tooBig: IdentifyMessage = { listenAddrs: [], protocols: [], agentVersion: 'x'.repeat(MAX_IDENTIFY_MESSAGE_SIZE) }
  const err = await writeIdentify(e, tooBig).catch(x => x)
  t.ok(isP2PError(err, 'ERR_IDENTIFY_MESSAGE_TOO_LARGE'), String(err))
  t.equal(err.remote, false, 'local misuse')
})

t.test('identifyFrames: every message within 4096 bytes where that can be done (rust-libp2p accepts no more)', async t => {
  t.equal(IDENTIFY_SEND_LIMIT, 4096)
  // a 20-byte /ip6/.../tcp/N address is a 22-byte listenAddrs field
  const addr = (i: number): Uint8Array => Multiaddr.fromString(`/ip6/2001:db8::${(i + 1).toString(16)}/tcp/4001`).bytes
  const record = new Uint8Array(300).fill(9)
  const withAddrs = (n: number, signedPeerRecord?: Uint8Array): IdentifyMessage =>
    ({ ...sample, listenAddrs: Array.from({ length: n }, (_, i) => addr(i)), signedPeerRecord })

  // fits: one message, as it is
  const small = withAddrs(10, record)
  t.same(identifyFrames(small, 4096, 8192), [encodeIdentify(small)])

  // the record pushes it over: the record goes alone, second; every address stays
  const over = withAddrs(170, record)
  t.ok(encodeIdentify(over).length > 4096 && encodeIdentify({ ...over, signedPeerRecord: undefined }).length <= 4096)
  const [first, second, ...more] = identifyFrames(over, 4096, 8192)
  t.same(more, [])
  const { signedPeerRecord: _, ...overWithoutRecord } = over
  t.same(decodeIdentify(first), overWithoutRecord, 'first the message without the record')
  t.same(decodeIdentify(second), { listenAddrs: [], protocols: [], signedPeerRecord: record })

  // too many addresses even alone: the first ones that fit, in order, and the first message is within the limit
  const many = withAddrs(400, record)
  const frames = identifyFrames(many, 4096, 8192)
  t.equal(frames.length, 2)
  t.ok(frames[0].length <= 4096, `first message ${frames[0].length} bytes`)
  const kept = decodeIdentify(frames[0]).listenAddrs
  t.same(kept, many.listenAddrs.slice(0, kept.length), 'a prefix of the addresses')
  const oneMore = encodeIdentify({ ...decodeIdentify(frames[0]), listenAddrs: many.listenAddrs.slice(0, kept.length + 1) })
  t.ok(oneMore.length > 4096, 'as many as fit: one more would not')
  t.same(decodeIdentify(frames[0]).protocols, sample.protocols, 'the rest of the message is whole')

  // and the reader takes them back
  const [c, d] = duplexPair()
  const [, merged] = await Promise.all([writeIdentify(c, many), readIdentify(d)])
  t.same(merged.listenAddrs, kept)
  t.same(merged.signedPeerRecord, record)
})

t.test('identifyFrames: nothing above the 8 KiB others accept leaves', async t => {
  // a record alone too large for any reader stays home; the addresses go unsigned
  const hugeRecord = new Uint8Array(8190).fill(5)
  const frames = identifyFrames({ ...sample, signedPeerRecord: hugeRecord }, 4096, 8192)
  t.equal(frames.length, 1)
  t.equal(decodeIdentify(frames[0]).signedPeerRecord, undefined)
  t.same(decodeIdentify(frames[0]).listenAddrs, sample.listenAddrs)

  // between the limits without any address: goes as it is (no smaller form says the same)
  const protocols = Array.from({ length: 300 }, (_, i) => `/proto/${i}/1.0.0`)
  const wide = identifyFrames({ ...sample, protocols, signedPeerRecord: undefined }, 4096, 8192)
  t.equal(wide.length, 1)
  t.ok(wide[0].length > 4096 && wide[0].length <= 8192, `${wide[0].length} bytes`)
  t.same(decodeIdentify(wide[0]).listenAddrs, [], 'no address fits beside it')
  t.same(decodeIdentify(wide[0]).protocols, protocols)
})

t.test('writeIdentify: a message too large to send at all resets the stream too, not only rejects', async t => {
  const [a, b] = duplexPair()
  b.resume()
  const protocols = Array.from({ length: 400 }, (_, i) => `/app/protocol-number-${i}/1.0.0`)
  await t.rejects(writeIdentify(a, { ...sample, protocols, listenAddrs: [], signedPeerRecord: undefined }), { code: 'ERR_IDENTIFY_MESSAGE_TOO_LARGE' })
  t.ok(a.destroyed, 'the stream is reset: the remote does not wait for a message that will never come')
})
