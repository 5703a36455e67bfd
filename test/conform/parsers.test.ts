// The prober's pure parts: multistream messages taken from a queue under any
// split of the input, the JSON frame forms of the session scripts, reaction
// wording, and target parsing.

import t from 'tap'
import fc from 'fast-check'
import { ByteQueue } from '../../src/util/byte-queue.js'
import { encodeMessages } from '../../src/multistream/index.js'
import { decodeFrame as decodeYamux } from '../../src/yamux/index.js'
import { decodeFrame as decodeMplex } from '../../src/mplex/index.js'
import { takeMessage } from '../../src/conform/multistream.js'
import {
  parseTarget, yamuxFrameFromJson, mplexFrameFromJson, stepBytes, yamuxStep, mplexStep, describeYamuxReaction, describeMplexReaction
} from '../../src/conform/index.js'

const protocolId = fc.stringMatching(/^\/[a-z0-9/.-]{0,40}$/)

t.test('takeMessage: any split of framed messages gives the same texts, nothing consumed on a partial message', async t => {
  fc.assert(fc.property(fc.array(protocolId, { minLength: 1, maxLength: 5 }), fc.array(fc.nat(), { maxLength: 10 }), (texts, cuts) => {
    const bytes = encodeMessages(texts)
    const points = [...new Set(cuts.map(c => c % (bytes.length + 1)))].sort((a, b) => a - b)
    const queue = new ByteQueue()
    const out: string[] = []
    let last = 0
    for (const p of [...points, bytes.length]) {
      queue.push(bytes.subarray(last, p))
      last = p
      for (let m = takeMessage(queue); m !== undefined; m = takeMessage(queue)) out.push(m)
    }
    return JSON.stringify(out) === JSON.stringify(texts) && queue.length === 0
  }), { numRuns: 200 })
  const queue = new ByteQueue()
  queue.push(new Uint8Array([0x03, 0x6e, 0x61]))
  t.equal(takeMessage(queue), undefined, '"na" without its newline yet')
  t.equal(queue.length, 3, 'nothing consumed')
  queue.push(new Uint8Array([0x0a]))
  t.equal(takeMessage(queue), 'na')
  queue.push(new Uint8Array([0x03, 0x6e, 0x61, 0x61]))
  t.throws(() => takeMessage(queue), { code: 'ERR_MISSING_NEWLINE' })
})

t.test('yamux JSON frames: flags by name, the bytes of the spec header', async t => {
  const step = yamuxStep('x', { type: 'windowUpdate', flags: ['ACK', 'FIN'], streamId: 3, delta: 7 })
  // version 0, type 1, flags 0x0006, stream 3, length 7
  t.equal(step.hex, '000100060000000300000007')
  t.equal(yamuxStep('p', { type: 'ping', flags: ['SYN'], streamId: 0, opaque: 0xffffffff }).hex, '0002000100000000ffffffff')
  t.equal(yamuxStep('g', { type: 'goAway', flags: [], streamId: 0, errorCode: 1 }).hex, '000300000000000000000001')
  t.equal(yamuxStep('d', { type: 'data', flags: ['SYN'], streamId: 1, data: '6869' }).hex, '000000010000000100000002' + '6869')
  fc.assert(fc.property(fc.subarray(['SYN', 'ACK', 'FIN', 'RST'] as const), fc.nat(0xffffffff), fc.uint8Array({ maxLength: 40 }), (flags, streamId, data) => {
    const frame = yamuxFrameFromJson({ type: 'data', flags: [...flags], streamId, data: Buffer.from(data).toString('hex') })
    const queue = new ByteQueue()
    queue.push(stepBytes(yamuxStep('d', { type: 'data', flags: [...flags], streamId, data: Buffer.from(data).toString('hex') })))
    const decoded = decodeYamux(queue)
    return decoded !== undefined && decoded.type === 'data' && decoded.flags === frame.flags && decoded.streamId === streamId && Buffer.from(decoded.data).equals(Buffer.from(data))
  }), { numRuns: 100 })
})

t.test('mplex JSON frames: the spec flag names and varint header', async t => {
  // header (0 << 3) | 0 = 0x00, length 1, "0"
  t.equal(mplexStep('n', { type: 'NewStream', streamId: 0, name: '30' }).hex, '000130')
  // header (1 << 3) | 4 = 0x0c, length 0
  t.equal(mplexStep('c', { type: 'CloseInitiator', streamId: 1 }).hex, '0c00')
  // header (2 << 3) | 6 = 0x16
  t.equal(mplexStep('r', { type: 'ResetInitiator', streamId: 2 }).hex, '1600')
  const queue = new ByteQueue()
  queue.push(stepBytes(mplexStep('m', { type: 'MessageInitiator', streamId: 300, data: '616263' })))
  const frame = decodeMplex(queue)
  t.match(frame, { type: 'MessageInitiator', streamId: 300 })
  t.same(mplexFrameFromJson({ type: 'MessageReceiver', streamId: 1, data: '00ff' }), { type: 'MessageReceiver', streamId: 1, data: [new Uint8Array([0, 255])] })
})

t.test('stepBytes appends the fill', async t => {
  t.same(stepBytes({ hex: '0102', fill: { byte: 9, count: 3 } }), new Uint8Array([1, 2, 9, 9, 9]))
})

t.test('reactions in words', async t => {
  t.equal(describeYamuxReaction({ streams: {}, pingAcks: [], goAway: 1, closed: true }, 0), 'Go Away with code 1 (Protocol error), connection closed')
  t.equal(describeYamuxReaction({ streams: { 1: { acked: true, received: '', fin: false, rst: true } }, pingAcks: [3], goAway: null, closed: false }, 1), 'stream 1 reset (RST)')
  t.equal(describeYamuxReaction({ streams: {}, pingAcks: [3], goAway: null, closed: false }, 5), 'ignored: the session stays usable')
  t.equal(describeMplexReaction({ streams: {}, closed: true }, 0), 'connection closed (mplex has no Go Away)')
  t.equal(describeMplexReaction({ streams: { 0: { received: '', closed: false, reset: true } }, closed: false }, 0), 'stream 0 reset (ResetReceiver)')
})

t.test('parseTarget', async t => {
  const id = '12D3KooWLGtGwftuUdKgnUw4s99rXm5rViSaKozxkLD3DUg7Ujb2'
  const target = parseTarget(`/ip4/127.0.0.1/tcp/4001/p2p/${id}`)
  t.equal(target.host, '127.0.0.1')
  t.equal(target.port, 4001)
  t.equal(target.peerId?.toString(), id)
  t.equal(parseTarget('/ip6/::1/tcp/5').host, '::1')
  t.equal(parseTarget('/ip4/127.0.0.1/tcp/5').peerId, undefined)
  t.throws(() => parseTarget('/ip4/127.0.0.1/udp/5'), { code: 'ERR_INVALID_PARAMETERS' })
  t.throws(() => parseTarget('/dns4/example.com/tcp/5'), { code: 'ERR_MULTIADDR_NOT_SOCKET_ADDRESS' })
})

t.test('the step example in spec-vectors/README.md encodes to its hex', async t => {
  const { readFileSync } = await import('node:fs')
  const readme = readFileSync(new URL('../../spec-vectors/README.md', import.meta.url), 'utf8')
  const frame = /"frame": (\{[^\n]*\}),\n/.exec(readme)?.[1]
  const hex = /"hex": "([0-9a-f]+)"/.exec(readme)?.[1]
  t.ok(frame !== undefined && hex !== undefined, 'the example is there')
  t.equal(yamuxStep('readme', JSON.parse(frame ?? '{}')).hex, hex)
})
