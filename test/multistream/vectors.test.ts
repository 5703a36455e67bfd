// spec-vectors/multistream/messages.json, checked twice: against our codec
// (the bytes it generated must still come out, byte for byte) and against
// js-libp2p's @libp2p/multistream-select (the bytes it sends and accepts), so
// the file is not merely our code agreeing with itself.

import t from 'tap'
import { readFileSync } from 'node:fs'
import type { Duplex } from 'node:stream'
import {
  decodeMessage, decodeText, encodeLsAnswer, encodeMessages, handleProtocols, listProtocols,
  MAX_LS_ANSWER_LENGTH, MULTISTREAM_PROTOCOL_ID, parseLsAnswer, selectProtocol
} from '../../src/multistream/index.js'
import { duplexPair } from '../helpers/duplex-pair.js'
import { StreamReader } from '../../src/util/stream-reader.js'
import { jsDecodeFrames, jsEncodeFrame, jsHandle, jsSelect, jsStream } from './fixtures/js-libp2p.js'

interface Vectors {
  source: string
  messages: Array<{ name: string, description: string, spec: string, messages: string[], hex: string }>
  lsAnswers: Array<{ name: string, description: string, spec: string, protocols: string[], hex: string }>
  invalid: Array<{ name: string, description: string, spec: string, hex: string, error: string, firstMessage?: boolean, lsAnswer?: boolean }>
}

const vectors = JSON.parse(readFileSync(new URL('../../spec-vectors/multistream/messages.json', import.meta.url), 'utf8')) as Vectors
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex')
const fromHex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'))
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s)

async function readBytes (stream: Duplex, n: number): Promise<string> {
  return hex(await new StreamReader(stream).readExactly(n))
}

t.test('the file names its source and has every kind of case', async t => {
  t.match(vectors.source, /scripts\/gen-multistream-vectors\.ts/)
  t.ok(vectors.messages.length >= 6)
  t.ok(vectors.lsAnswers.length >= 2)
  t.same(new Set(vectors.invalid.map(c => c.error)), new Set(['ERR_MISSING_NEWLINE', 'ERR_MESSAGE_TOO_LONG', 'ERR_INVALID_HEADER', 'ERR_INVALID_VARINT', 'ERR_INVALID_MESSAGE', 'ERR_INVALID_LS_ANSWER']))
  for (const c of [...vectors.messages, ...vectors.lsAnswers, ...vectors.invalid]) {
    t.ok(c.description.length > 0 && c.spec.length > 0, `${c.name} is described`)
  }
})

t.test('messages: our codec, and js-libp2p frames and reads the same bytes', async t => {
  for (const c of vectors.messages) {
    t.equal(hex(encodeMessages(c.messages)), c.hex, `ours encodes ${c.name}`)
    const bytes = fromHex(c.hex)
    const ours: string[] = []
    for (let offset = 0; offset < bytes.length;) {
      const decoded = decodeMessage(bytes, offset)!
      ours.push(decodeText(decoded.body))
      offset += decoded.bytes
    }
    t.same(ours, c.messages, `ours decodes ${c.name}`)
    const jsBytes = c.messages.map(m => hex(jsEncodeFrame(utf8(m + '\n')))).join('')
    t.equal(jsBytes, c.hex, `js-libp2p frames ${c.name} the same`)
    t.same(jsDecodeFrames(bytes).map(f => Buffer.from(f).toString()), c.messages.map(m => m + '\n'), `js-libp2p reads ${c.name}`)
  }
})

t.test('the dialer\'s first write is what js-libp2p\'s select sends', async t => {
  for (const c of vectors.messages.filter(c => c.messages.length === 2 && c.messages[0] === MULTISTREAM_PROTOCOL_ID)) {
    const [theirs, ours] = duplexPair()
    void jsSelect(jsStream(theirs, 'outbound'), [c.messages[1]]).catch(() => {})
    t.equal(await readBytes(ours, c.hex.length / 2), c.hex, `js select's first bytes: ${c.name}`)
    theirs.destroy()
    // and js handle answers those exact bytes with header + echo
    const [client, server] = duplexPair()
    const handled = jsHandle(jsStream(server, 'inbound'), [c.messages[1]])
    client.write(fromHex(c.hex))
    t.equal(await handled, c.messages[1])
    t.equal(await readBytes(client, c.hex.length / 2), c.hex, 'js answers with the same two messages')
    client.destroy()
  }
})

t.test('ls answers: ours, js-libp2p\'s listener, and both parsers', async t => {
  for (const c of vectors.lsAnswers) {
    t.equal(hex(encodeLsAnswer(c.protocols)), c.hex, `ours encodes ${c.name}`)
    const decoded = decodeMessage(fromHex(c.hex), 0, MAX_LS_ANSWER_LENGTH)!
    t.same(parseLsAnswer(decoded.body), c.protocols, `ours parses ${c.name}`)
    // ask js-libp2p's listener with raw bytes and compare what it answers
    const [client, server] = duplexPair()
    void jsHandle(jsStream(server, 'inbound'), c.protocols).catch(() => {})
    client.write(encodeMessages([MULTISTREAM_PROTOCOL_ID, 'ls']))
    const header = encodeMessages([MULTISTREAM_PROTOCOL_ID])
    t.equal(await readBytes(client, header.length), hex(header))
    t.equal(await readBytes(client, c.hex.length / 2), c.hex, `js-libp2p answers ls with the same bytes: ${c.name}`)
    client.destroy()
    // our listener answers ls with the vector's bytes too
    const [d, l] = duplexPair()
    void handleProtocols(l, c.protocols).catch(() => {})
    t.same(await listProtocols(d), c.protocols)
    d.destroy()
  }
})

t.test('invalid: our readers reject with the stated code', async t => {
  for (const c of vectors.invalid) {
    const bytes = fromHex(c.hex)
    if (c.lsAnswer === true) {
      const [d, l] = duplexPair()
      l.write(Buffer.concat([encodeMessages([MULTISTREAM_PROTOCOL_ID]), bytes]))
      await t.rejects(listProtocols(d), { code: c.error }, `${c.name} (as an ls answer)`)
      continue
    }
    // as the first message, both roles; otherwise after a correct header
    const prefix = c.firstMessage === true ? new Uint8Array(0) : encodeMessages([MULTISTREAM_PROTOCOL_ID])
    const [a, b] = duplexPair()
    b.write(Buffer.concat([prefix, bytes]))
    await t.rejects(selectProtocol(a, ['/x']), { code: c.error }, `${c.name} (dialer)`)
    const [e, f] = duplexPair()
    f.write(Buffer.concat([prefix, bytes]))
    await t.rejects(handleProtocols(e, ['/x']), { code: c.error }, `${c.name} (listener)`)
  }
})

t.test('invalid: js-libp2p rejects the framing errors too', async t => {
  // js-libp2p checks length and newline; it does not check the header, UTF-8
  // or minimal varints (it answers "na" instead), so only these are compared.
  const framing = vectors.invalid.filter(c => ['ERR_MISSING_NEWLINE', 'ERR_MESSAGE_TOO_LONG'].includes(c.error))
  t.equal(framing.length, 3)
  for (const c of framing) {
    const [client, server] = duplexPair()
    const handled = jsHandle(jsStream(server, 'inbound'), ['/x'])
    client.write(fromHex(c.hex))
    await t.rejects(handled, { name: /^Invalid(Message|DataLength)Error$/ }, `js-libp2p rejects: ${c.name}`)
    client.destroy()
  }
})
