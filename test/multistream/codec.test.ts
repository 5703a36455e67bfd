import t from 'tap'
import fc from 'fast-check'
import { readFileSync } from 'node:fs'
import {
  decodeMessage, decodeText, encodeLsAnswer, encodeLsAnswerBody, encodeMessage, encodeMessages, isProtocolId,
  MAX_MESSAGE_LENGTH, MAX_PROTOCOL_ID_LENGTH, MULTISTREAM_PROTOCOL_ID, parseLsAnswer, parseMessage,
  serializeMessage, messageText, validateProtocolId, type Message
} from '../../src/multistream/index.js'
import { isP2PError } from '../../src/util/errors.js'

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex')
const fromHex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'))

interface SpecExamples { source: string, cases: Array<{ name: string, text: string, hex: string }> }
const examples = JSON.parse(readFileSync(new URL('../../spec-vectors/multistream/spec-examples.json', import.meta.url), 'utf8')) as SpecExamples

t.test('the messages the specs spell out in hex', async t => {
  t.match(examples.source, /libp2p\/specs connections\/README\.md/)
  for (const c of examples.cases) {
    t.equal(hex(encodeMessage(c.text)), c.hex, `encode ${c.name}`)
    const decoded = decodeMessage(fromHex(c.hex))
    t.ok(decoded, `decode ${c.name}`)
    t.equal(decodeText(decoded!.body), c.text)
    t.equal(decoded!.bytes, c.hex.length / 2)
  }
})

t.test('encoding by hand: header and a two-byte length prefix', async t => {
  // 0x13 = 19 = 18 bytes of "/multistream/1.0.0" + the newline
  t.equal(hex(encodeMessage(MULTISTREAM_PROTOCOL_ID)), '13' + Buffer.from('/multistream/1.0.0\n').toString('hex'))
  const long = '/' + 'a'.repeat(198) // 200 bytes with the newline = 0xc8 0x01
  const bytes = encodeMessage(long)
  t.same([...bytes.subarray(0, 2)], [0xc8, 0x01])
  t.equal(bytes.length, 202)
  t.equal(bytes[201], 0x0a)
  // the length counts UTF-8 bytes: "é" is two bytes
  t.same([...encodeMessage('/é')], [4, 0x2f, 0xc3, 0xa9, 0x0a])
})

t.test('decoder: need more bytes, then a message, and its byte count', async t => {
  const bytes = encodeMessages([MULTISTREAM_PROTOCOL_ID, '/noise'])
  for (let i = 0; i < 20; i++) t.equal(decodeMessage(bytes.subarray(0, i)), undefined, `prefix of ${i} bytes`)
  const first = decodeMessage(bytes)!
  t.equal(decodeText(first.body), MULTISTREAM_PROTOCOL_ID)
  t.equal(first.bytes, 20)
  const second = decodeMessage(bytes, first.bytes)!
  t.equal(decodeText(second.body), '/noise')
  t.equal(first.bytes + second.bytes, bytes.length)
})

t.test('decoder errors', async t => {
  const code = (bytes: Uint8Array, max?: number): string | undefined => {
    try {
      decodeMessage(bytes, 0, max)
      return undefined
    } catch (err) {
      return isP2PError(err) ? err.code : 'not a P2PError'
    }
  }
  t.equal(code(Uint8Array.from([3, 0x6e, 0x61, 0x61])), 'ERR_MISSING_NEWLINE')
  t.equal(code(Uint8Array.from([0])), 'ERR_MISSING_NEWLINE')
  // 1025 = 0x81 0x08: rejected from the prefix alone, no body needed
  t.equal(code(Uint8Array.from([0x81, 0x08])), 'ERR_MESSAGE_TOO_LONG')
  // exactly the limit is fine (needs the body)
  t.equal(code(Uint8Array.from([0x80, 0x08])), undefined)
  t.equal(code(Uint8Array.from([4, 1, 2, 3, 0x0a]), 3), 'ERR_MESSAGE_TOO_LONG')
  t.equal(code(Uint8Array.from([0x83, 0x00, 0x6e, 0x61, 0x0a])), 'ERR_INVALID_VARINT')
  t.throws(() => decodeText(Uint8Array.from([0xff, 0xfe])), { code: 'ERR_INVALID_MESSAGE' })
  const err = (() => { try { decodeMessage(Uint8Array.from([3, 0x6e, 0x61, 0x61])) } catch (e) { return e } })()
  t.ok(isP2PError(err) && err.remote, 'a remote violation')
  t.match((err as Error).message, /0x61/, 'the message names what arrived')
})

t.test('encoder refuses a message over the limit', async t => {
  t.throws(() => encodeMessage('/' + 'a'.repeat(MAX_MESSAGE_LENGTH)), { code: 'ERR_MESSAGE_TOO_LONG' })
  t.equal(encodeMessage('/' + 'a'.repeat(MAX_MESSAGE_LENGTH - 2)).length, 2 + MAX_MESSAGE_LENGTH)
})

t.test('protocol id validation', async t => {
  t.equal(validateProtocolId('/noise'), '/noise')
  t.equal(validateProtocolId('/' + 'a'.repeat(MAX_PROTOCOL_ID_LENGTH - 1)).length, MAX_PROTOCOL_ID_LENGTH)
  for (const bad of ['', 'noise', 'na', 'ls', '/a\nb', '/' + 'a'.repeat(MAX_PROTOCOL_ID_LENGTH), '/' + 'é'.repeat(512), MULTISTREAM_PROTOCOL_ID]) {
    t.throws(() => validateProtocolId(bad), { code: 'ERR_INVALID_PROTOCOL_ID' }, JSON.stringify(bad).slice(0, 20))
    t.notOk(isProtocolId(bad))
  }
  t.throws(() => validateProtocolId(42 as unknown as string), { code: 'ERR_INVALID_PROTOCOL_ID' })
})

t.test('ls answer: nested format by hand', async t => {
  const answer = encodeLsAnswer(['/a', '/bc'])
  // outer length 10 = [03 '/a' 0a] (4) + [04 '/bc' 0a] (5) + outer 0a (1)
  t.equal(hex(answer), '0a' + '032f610a' + '042f62630a' + '0a')
  t.same(parseLsAnswer(encodeLsAnswerBody(['/a', '/bc'])), ['/a', '/bc'])
  t.same(parseLsAnswer(new Uint8Array(0)), [])
  t.equal(hex(encodeLsAnswer([])), '010a')
})

t.test('ls answer errors', async t => {
  t.throws(() => parseLsAnswer(Uint8Array.from([0x10, 0x2f, 0x61, 0x0a])), { code: 'ERR_INVALID_LS_ANSWER' })
  t.throws(() => parseLsAnswer(Uint8Array.from([0x80])), { code: 'ERR_INVALID_LS_ANSWER' })
  t.throws(() => parseLsAnswer(Uint8Array.from([0x03, 0x2f, 0x61, 0x61])), { code: 'ERR_MISSING_NEWLINE' })
  t.throws(() => parseLsAnswer(Uint8Array.from([0x81, 0x08])), { code: 'ERR_MESSAGE_TOO_LONG' })
  t.throws(() => parseLsAnswer(Uint8Array.from([0x83, 0x00])), { code: 'ERR_INVALID_VARINT' })
})

t.test('a byte-order mark is part of the text: the header and a proposal after one are other messages', async t => {
  t.same(parseMessage(fromHex('efbbbf' + Buffer.from(MULTISTREAM_PROTOCOL_ID).toString('hex'))), { type: 'protocol', protocol: '\uFEFF' + MULTISTREAM_PROTOCOL_ID })
  t.same(parseMessage(fromHex('efbbbf2f6e6f697365')), { type: 'protocol', protocol: '\uFEFF/noise' })
  t.equal(decodeText(fromHex('efbbbf')), '\uFEFF')
})

t.test('typed messages', async t => {
  const cases: Array<[Message, string]> = [
    [{ type: 'header' }, MULTISTREAM_PROTOCOL_ID],
    [{ type: 'na' }, 'na'],
    [{ type: 'ls' }, 'ls'],
    [{ type: 'protocol', protocol: '/yamux/1.0.0' }, '/yamux/1.0.0']
  ]
  for (const [message, text] of cases) {
    t.equal(messageText(message), text)
    t.same(serializeMessage(message), encodeMessage(text))
    t.same(parseMessage(new TextEncoder().encode(text)), message)
  }
  t.same(serializeMessage({ type: 'protocols', protocols: ['/a'] }), encodeLsAnswer(['/a']))
  t.equal(messageText({ type: 'protocols', protocols: ['/a', '/b'] }), '/a\n/b')
})

const protocolArb = fc.string({ unit: 'grapheme', minLength: 0, maxLength: 40 }).map(s => '/' + s.replace(/\n/g, ''))

t.test('property: any split of a message stream decodes to the same messages', async t => {
  t.doesNotThrow(() => fc.assert(fc.property(fc.array(protocolArb, { minLength: 1, maxLength: 6 }), fc.array(fc.nat(), { maxLength: 8 }), (texts, cuts) => {
    const bytes = encodeMessages(texts)
    const points = [...new Set(cuts.map(c => c % (bytes.length + 1)))].sort((a, b) => a - b)
    // feed the chunks to a decoder that keeps unconsumed bytes, as a driver would
    let pending: Uint8Array = new Uint8Array(0)
    const out: string[] = []
    let last = 0
    for (const point of [...points, bytes.length]) {
      const chunk = bytes.subarray(last, point)
      last = point
      const joined = new Uint8Array(pending.length + chunk.length)
      joined.set(pending)
      joined.set(chunk, pending.length)
      let offset = 0
      while (true) {
        const decoded = decodeMessage(joined, offset)
        if (decoded === undefined) break
        out.push(decodeText(decoded.body))
        offset += decoded.bytes
      }
      pending = joined.subarray(offset)
    }
    return pending.length === 0 && JSON.stringify(out) === JSON.stringify(texts)
  }), { numRuns: 200, seed: 0x6d7373 }))
})

t.test('property: ls answers round-trip', async t => {
  t.doesNotThrow(() => fc.assert(fc.property(fc.array(protocolArb, { maxLength: 10 }), protocols => {
    const answer = encodeLsAnswer(protocols)
    const decoded = decodeMessage(answer, 0, 64 * 1024)
    return decoded !== undefined && decoded.bytes === answer.length &&
      JSON.stringify(parseLsAnswer(decoded.body)) === JSON.stringify(protocols)
  }), { numRuns: 200, seed: 0x6d7373 }))
})
