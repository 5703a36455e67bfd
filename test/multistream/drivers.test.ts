import t from 'tap'
import fc from 'fast-check'
import type { Duplex } from 'node:stream'
import { setImmediate as tick } from 'node:timers/promises'
import {
  encodeMessages, handleProtocols, handleProtocolsNow, listProtocols, MULTISTREAM_PROTOCOL_ID, ProtocolRegistry, selectProtocol, type MessageHook
} from '../../src/multistream/index.js'
import { duplexPair, tcpPair } from '../helpers/duplex-pair.js'
import { StreamReader } from '../../src/util/stream-reader.js'

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s)

/** Reads exactly n bytes that a negotiation left in the stream, as a string. */
async function readRest (stream: Duplex, n: number): Promise<string> {
  return Buffer.from(await new StreamReader(stream).readExactly(n)).toString()
}

function recorder (): { hook: MessageHook, log: string[] } {
  const log: string[] = []
  return { log, hook: (direction, message) => { log.push(`${direction} ${message}`) } }
}

t.test('dialer and listener agree after a na; both traces are exact', async t => {
  const [a, b] = duplexPair()
  const dialer = recorder()
  const listener = recorder()
  const [selected, handled] = await Promise.all([
    selectProtocol(a, ['/tls/1.0.0', '/noise'], { onMessage: dialer.hook }),
    handleProtocols(b, ['/noise', '/plaintext/2.0.0'], { onMessage: listener.hook })
  ])
  t.equal(selected, '/noise')
  t.equal(handled, '/noise')
  t.same(dialer.log, [`out ${MULTISTREAM_PROTOCOL_ID}`, 'out /tls/1.0.0', `in ${MULTISTREAM_PROTOCOL_ID}`, 'in na', 'out /noise', 'in /noise'])
  t.same(listener.log, [`out ${MULTISTREAM_PROTOCOL_ID}`, `in ${MULTISTREAM_PROTOCOL_ID}`, 'in /tls/1.0.0', 'out na', 'in /noise', 'out /noise'])
  a.destroy()
  b.destroy()
})

t.test('the dialer sends header and first proposal in one write', async t => {
  const [a, b] = duplexPair()
  const writes: Uint8Array[] = []
  const write = a.write.bind(a)
  a.write = ((chunk: Uint8Array, ...rest: never[]) => { writes.push(chunk); return write(chunk, ...rest) }) as typeof a.write
  await Promise.all([selectProtocol(a, ['/yamux/1.0.0']), handleProtocols(b, ['/yamux/1.0.0'])])
  t.equal(writes.length, 1)
  t.same([...writes[0]], [...encodeMessages([MULTISTREAM_PROTOCOL_ID, '/yamux/1.0.0'])])
})

t.test('bytes after the agreement are left for the next layer, both ways', async t => {
  const [a, b] = duplexPair()
  const listening = handleProtocols(b, ['/echo/1.0.0']).then(p => {
    b.write('from listener')
    return p
  })
  t.equal(await selectProtocol(a, ['/echo/1.0.0']), '/echo/1.0.0')
  a.write('from dialer')
  t.equal(await listening, '/echo/1.0.0')
  t.equal(await readRest(a, 13), 'from listener')
  t.equal(await readRest(b, 11), 'from dialer')
})

t.test('listener: header + proposal + data in ONE packet (an optimistic dialer)', async t => {
  const [a, b] = duplexPair()
  a.write(Buffer.concat([encodeMessages([MULTISTREAM_PROTOCOL_ID, '/noise']), utf8('noise message 1')]))
  t.equal(await handleProtocols(b, ['/noise']), '/noise')
  t.equal(await readRest(b, 15), 'noise message 1')
  // and the dialer finds exactly header + echo
  t.same([...await new StreamReader(a).readExactly(28)], [...encodeMessages([MULTISTREAM_PROTOCOL_ID, '/noise'])])
})

t.test('over a real TCP socket pair', async t => {
  const [client, server] = await tcpPair()
  const [selected, handled] = await Promise.all([
    selectProtocol(client, ['/mplex/6.7.0', '/yamux/1.0.0']),
    handleProtocols(server, ['/yamux/1.0.0']).then(p => { server.write('after'); return p })
  ])
  t.equal(selected, '/yamux/1.0.0')
  t.equal(handled, '/yamux/1.0.0')
  t.equal(await readRest(client, 5), 'after')
  client.destroy()
  server.destroy()
})

t.test('ls, then a proposal on the same stream', async t => {
  const [a, b] = duplexPair()
  const registry = new ProtocolRegistry(['/ipfs/ping/1.0.0', '/ipfs/id/1.0.0'])
  const handled = handleProtocols(b, registry)
  const listed = await listProtocols(a)
  t.same(listed, ['/ipfs/ping/1.0.0', '/ipfs/id/1.0.0'])
  t.equal(await selectProtocol(a, ['/ipfs/id/1.0.0'], { headerExchanged: true }), '/ipfs/id/1.0.0')
  t.equal(await handled, '/ipfs/id/1.0.0')
})

t.test('a listener that does not list answers ls with na: ERR_LS_NOT_SUPPORTED, and the stream still negotiates', async t => {
  // go-multistream since it removed ls (multistream-select PR 22: "ls support is OPTIONAL")
  const [a, b] = duplexPair()
  const request = new StreamReader(b).readExactly(encodeMessages([MULTISTREAM_PROTOCOL_ID, 'ls']).length)
  b.write(encodeMessages([MULTISTREAM_PROTOCOL_ID, 'na']))
  await t.rejects(listProtocols(a), { code: 'ERR_LS_NOT_SUPPORTED', remote: true })
  t.same([...await request], [...encodeMessages([MULTISTREAM_PROTOCOL_ID, 'ls'])])
  const selecting = selectProtocol(a, ['/ipfs/id/1.0.0'], { headerExchanged: true })
  b.write(encodeMessages(['/ipfs/id/1.0.0']))
  t.equal(await selecting, '/ipfs/id/1.0.0', 'a proposal follows on the same stream')
})

t.test('ERR_PROTOCOL_NOT_SUPPORTED lists what was tried', async t => {
  const [a, b] = duplexPair()
  const handled = handleProtocols(b, ['/c'])
  await t.rejects(selectProtocol(a, ['/a', '/b']), { code: 'ERR_PROTOCOL_NOT_SUPPORTED', message: /"\/a", "\/b"/ })
  a.destroy()
  await t.rejects(handled, { code: 'ERR_UNEXPECTED_EOF' })
})

t.test('timeout and abort', async t => {
  const [a] = duplexPair()
  await t.rejects(selectProtocol(a, ['/a'], { timeoutMs: 30 }), { code: 'ERR_NEGOTIATION_TIMEOUT' })
  const [c] = duplexPair()
  await t.rejects(handleProtocols(c, ['/a'], { timeoutMs: 30 }), { code: 'ERR_NEGOTIATION_TIMEOUT' })
  const [e] = duplexPair()
  const controller = new AbortController()
  const reason = new Error('shutting down')
  setTimeout(() => { controller.abort(reason) }, 10)
  await t.rejects(selectProtocol(e, ['/a'], { signal: controller.signal }), reason)
  const [f] = duplexPair()
  await t.rejects(listProtocols(f, { signal: AbortSignal.abort(reason) }), reason, 'already aborted')
})

t.test('EOF in the middle of a negotiation', async t => {
  const [a, b] = duplexPair()
  b.write(encodeMessages([MULTISTREAM_PROTOCOL_ID]))
  b.write(Uint8Array.from([3, 0x6e]))
  b.end()
  await t.rejects(selectProtocol(a, ['/a']), { code: 'ERR_UNEXPECTED_EOF' })
})

t.test('hostile bytes give typed errors, never a crash', async t => {
  const cases: Array<[string, Uint8Array, string]> = [
    ['over-long prefix, body never sent', Uint8Array.from([0x81, 0x08]), 'ERR_MESSAGE_TOO_LONG'],
    ['missing newline', Uint8Array.from([3, 0x6e, 0x61, 0x61]), 'ERR_MISSING_NEWLINE'],
    ['empty message', Uint8Array.from([0]), 'ERR_MISSING_NEWLINE'],
    ['wrong header', encodeMessages(['/multistream/2.0.0']), 'ERR_INVALID_HEADER'],
    ['bad varint', Uint8Array.from([0x83, 0x00]), 'ERR_INVALID_VARINT'],
    ['not UTF-8', Uint8Array.from([3, 0xff, 0xfe, 0x0a]), 'ERR_INVALID_MESSAGE'],
    // a byte-order mark is text of the message, not something to strip: these are not the header
    ['the header after a byte-order mark', encodeMessages(['\uFEFF' + MULTISTREAM_PROTOCOL_ID]), 'ERR_INVALID_HEADER']
  ]
  for (const [name, bytes, code] of cases) {
    const [a, b] = duplexPair()
    b.write(bytes)
    await t.rejects(selectProtocol(a, ['/a'], { timeoutMs: 1000 }), { code }, `dialer: ${name}`)
    const [c, d] = duplexPair()
    d.write(bytes)
    await t.rejects(handleProtocols(c, ['/a'], { timeoutMs: 1000 }), { code }, `listener: ${name}`)
  }
  // a dialer reading an ls answer allows more than one message's limit, but not without bound
  const [e, f] = duplexPair()
  f.write(Buffer.concat([encodeMessages([MULTISTREAM_PROTOCOL_ID]), Uint8Array.from([0x81, 0x80, 0x04])]))
  await t.rejects(listProtocols(e), { code: 'ERR_MESSAGE_TOO_LONG' })
})

t.test('a byte-order mark before a protocol ID makes another protocol ID, both ways', async t => {
  // listener: refused, answered with na, not echoed as "/a"
  const [a, b] = duplexPair()
  a.write(encodeMessages([MULTISTREAM_PROTOCOL_ID, '\uFEFF/a', '/a']))
  const { log, hook } = recorder()
  t.equal(await handleProtocols(b, ['/a'], { onMessage: hook }), '/a', 'only the plain "/a" is agreed')
  t.same(log.filter(line => line.startsWith('out')), ['out /multistream/1.0.0', 'out na', 'out /a'])
  // dialer: an echo with a byte-order mark is not the echo of its proposal
  const [c, d] = duplexPair()
  d.write(encodeMessages([MULTISTREAM_PROTOCOL_ID, '\uFEFF/a']))
  await t.rejects(selectProtocol(c, ['/a'], { timeoutMs: 1000 }), { code: 'ERR_UNEXPECTED_MESSAGE' })
})

t.test('a listener stops answering an endless stream of proposals', async t => {
  const [a, b] = duplexPair()
  const proposals = Array.from({ length: 100 }, (_, i) => `/nope/${i}`)
  a.write(encodeMessages([MULTISTREAM_PROTOCOL_ID, ...proposals]))
  a.resume() // discard the na answers
  await t.rejects(handleProtocols(b, ['/yes'], { maxProposals: 64 }), { code: 'ERR_TOO_MANY_PROPOSALS' })
})

t.test('local misuse', async t => {
  const [a] = duplexPair()
  await t.rejects(selectProtocol(a, []), { code: 'ERR_NO_PROTOCOLS' })
  await t.rejects(selectProtocol(a, ['noise']), { code: 'ERR_INVALID_PROTOCOL_ID' })
  a.end()
  await t.rejects(selectProtocol(a, ['/noise']), { code: 'ERR_STREAM_CLOSED' })
})

/** Copies `from` to `to`, re-cut into pieces of the given sizes, a tick between pieces. */
function relay (from: Duplex, to: Duplex, sizes: number[]): void {
  let i = 0
  void (async () => {
    for await (const chunk of from) {
      let offset = 0
      const bytes = chunk as Uint8Array
      while (offset < bytes.length) {
        const size = Math.max(1, sizes[i++ % sizes.length] ?? 1)
        to.write(bytes.subarray(offset, offset + size))
        offset += size
        await tick()
      }
    }
    to.end()
  })().catch(() => { to.destroy() })
}

t.test('property: any re-cutting of the byte stream gives the same negotiation and leftovers', async t => {
  await fc.assert(fc.asyncProperty(
    fc.array(fc.integer({ min: 1, max: 25 }), { minLength: 1, maxLength: 8 }),
    fc.array(fc.integer({ min: 1, max: 25 }), { minLength: 1, maxLength: 8 }),
    fc.integer({ min: 0, max: 3 }),
    async (dialerCuts, listenerCuts, supported) => {
      const [dialer, dialerWire] = duplexPair()
      const [listenerWire, listener] = duplexPair()
      relay(dialerWire, listenerWire, dialerCuts)
      relay(listenerWire, dialerWire, listenerCuts)
      const offered = ['/a/1', '/b/1', '/c/1', '/d/1']
      const [selected, handled] = await Promise.all([
        selectProtocol(dialer, offered).then(p => { dialer.write('ping!'); return p }),
        handleProtocols(listener, [offered[supported]]).then(p => { listener.write('pong!'); return p })
      ])
      const ok = selected === offered[supported] && handled === selected &&
        await readRest(dialer, 5) === 'pong!' && await readRest(listener, 5) === 'ping!'
      dialer.destroy()
      listener.destroy()
      return ok
    }), { numRuns: 25, seed: 0x6d7373 })
  t.pass('negotiations agreed under every cut')
})

t.test('handleProtocolsNow: agreed at once when the dialer\'s messages are buffered, else a promise', async t => {
  // header, a refused proposal and an accepted one, all here before the listener starts
  const [a, b] = duplexPair()
  a.write(encodeMessages([MULTISTREAM_PROTOCOL_ID, '/tls/1.0.0', '/noise']))
  a.write(utf8('app bytes'))
  await tick()
  const now = handleProtocolsNow(b, ['/noise'])
  t.equal(now, '/noise', 'a string, not a promise')
  t.equal(await readRest(b, 9), 'app bytes', 'the bytes after the proposal stay in the stream')
  const answer = encodeMessages([MULTISTREAM_PROTOCOL_ID, 'na', '/noise'])
  t.same(Buffer.from(await new StreamReader(a).readExactly(answer.length)), Buffer.from(answer), 'header, na and the echo, in order')

  // nothing here yet: a promise, resolved by what arrives
  const [c, d] = duplexPair()
  const later = handleProtocolsNow(d, ['/noise'])
  t.ok(later instanceof Promise)
  c.write(encodeMessages([MULTISTREAM_PROTOCOL_ID]))
  setTimeout(() => c.write(encodeMessages(['/noise'])), 5)
  t.equal(await later, '/noise')

  // a malformed message already here: thrown at once
  const [e, f] = duplexPair()
  e.write(encodeMessages(['/not-the-header']))
  await tick()
  t.throws(() => handleProtocolsNow(f, ['/noise']), { code: 'ERR_INVALID_HEADER' })
})
