import t from 'tap'
import fc from 'fast-check'
import { readFileSync } from 'node:fs'
import { NegotiationDissector } from '../../src/trace/index.js'
import { encodeMessage, encodeLsAnswer } from '../../src/multistream/index.js'

interface Seen { direction: string, message: string, size: number, protocols?: string[] }

function dissector (localIsDialer: boolean): { d: NegotiationDissector, seen: Seen[], bad: string[] } {
  const seen: Seen[] = []
  const bad: string[] = []
  const d = new NegotiationDissector(localIsDialer, {
    onMessage: (direction, message, size, protocols) => { seen.push({ direction, message, size, ...(protocols !== undefined ? { protocols } : {}) }) },
    onUndecodable: (direction, reason) => { bad.push(`${direction}: ${reason}`) }
  })
  return { d, seen, bad }
}

const cat = (...parts: Uint8Array[]): Uint8Array => Buffer.concat(parts)
const hex = (chunks: Uint8Array[]): string => Buffer.concat(chunks).toString('hex')

t.test('the spec\'s own message bytes are read as their text', async t => {
  const vectors = JSON.parse(readFileSync(new URL('../../spec-vectors/multistream/spec-examples.json', import.meta.url), 'utf8')) as { cases: Array<{ text: string, hex: string }> }
  for (const v of vectors.cases) {
    // a listener answering: its header, then the vector message
    const { d, seen } = dissector(true)
    d.feed('out', cat(encodeMessage('/multistream/1.0.0'), encodeMessage('/x/1')))
    d.feed('in', cat(encodeMessage('/multistream/1.0.0'), Buffer.from(v.hex, 'hex')))
    t.same(seen.at(-1), { direction: 'in', message: v.text, size: v.hex.length / 2 })
  }
})

t.test('an optimistic dialer: proposal and data in one chunk, then the accept', async t => {
  const { d, seen, bad } = dissector(true)
  const ping = Buffer.alloc(32, 0xab)
  const app = d.feed('out', cat(encodeMessage('/multistream/1.0.0'), encodeMessage('/ipfs/ping/1.0.0'), ping))
  t.equal(hex(app), ping.toString('hex'), 'the 32 bytes after the proposal are application data')
  t.equal(d.protocol, '/ipfs/ping/1.0.0', 'the proposal names the data before the accept arrives')
  t.equal(d.accepted, undefined)
  const answer = d.feed('in', cat(encodeMessage('/multistream/1.0.0'), encodeMessage('/ipfs/ping/1.0.0'), ping))
  t.equal(hex(answer), ping.toString('hex'))
  t.equal(d.accepted, '/ipfs/ping/1.0.0')
  t.same(seen.map(s => `${s.direction} ${s.message} ${s.size}`), [
    'out /multistream/1.0.0 20', 'out /ipfs/ping/1.0.0 18', 'in /multistream/1.0.0 20', 'in /ipfs/ping/1.0.0 18'
  ])
  t.same(bad, [])
})

t.test('na, then a second proposal, seen from the listener', async t => {
  const { d, seen } = dissector(false)
  t.same(d.feed('in', cat(encodeMessage('/multistream/1.0.0'), encodeMessage('/a/1'))), [])
  t.same(d.feed('out', cat(encodeMessage('/multistream/1.0.0'), encodeMessage('na'))), [])
  // after the na, the dialer's next bytes are a proposal, not data
  t.same(d.feed('in', encodeMessage('/b/1')), [])
  t.same(d.feed('out', cat(encodeMessage('/b/1'), Buffer.from('hi'))).map(c => Buffer.from(c).toString()), ['hi'])
  t.same(d.feed('in', Buffer.from('yo')).map(c => Buffer.from(c).toString()), ['yo'])
  t.equal(d.accepted, '/b/1')
  t.same(seen.map(s => `${s.direction} ${s.message}`), [
    'in /multistream/1.0.0', 'in /a/1', 'out /multistream/1.0.0', 'out na', 'in /b/1', 'out /b/1'
  ])
})

t.test('ls and its nested answer', async t => {
  const { d, seen } = dissector(true)
  d.feed('out', cat(encodeMessage('/multistream/1.0.0'), encodeMessage('ls')))
  d.feed('in', cat(encodeMessage('/multistream/1.0.0'), encodeLsAnswer(['/ipfs/ping/1.0.0', '/ipfs/id/1.0.0'])))
  const answer = seen.at(-1)
  t.same(answer?.protocols, ['/ipfs/ping/1.0.0', '/ipfs/id/1.0.0'])
  t.equal(answer?.size, encodeLsAnswer(['/ipfs/ping/1.0.0', '/ipfs/id/1.0.0']).length)
  t.notOk(d.isDone('out'), 'after ls the dialer still negotiates')
})

t.test('bytes that are not multistream are reported once and passed on, never thrown', async t => {
  const { d, bad } = dissector(false)
  const garbage = Buffer.from('ff01020304', 'hex')
  const out = d.feed('in', garbage)
  t.equal(bad.length, 0, 'an unfinished varint is just "need more bytes"')
  t.same(out, [])
  const junk = Buffer.from([0x05, 0x61, 0x62, 0x63, 0x64, 0x65])
  const { d: d2, bad: bad2 } = dissector(false)
  t.equal(hex(d2.feed('in', junk)), junk.toString('hex'), 'a message without its newline ends the negotiation: the bytes are data')
  t.equal(bad2.length, 1)
  t.match(bad2[0], /ending in \\n/)
  const { d: d3, bad: bad3 } = dissector(false)
  d3.feed('in', Buffer.from([0xff, 0x7f]))
  t.match(bad3[0], /length prefix of 16383/, 'an oversized length prefix is refused before its body')
})

t.test('any split of the byte stream gives the same messages and data', async t => {
  const whole = cat(encodeMessage('/multistream/1.0.0'), encodeMessage('/echo/1.0.0'), Buffer.from('0123456789abcdef', 'hex'))
  const reference = dissector(true)
  const refData = hex(reference.d.feed('out', whole))
  fc.assert(fc.property(fc.array(fc.integer({ min: 1, max: whole.length }), { maxLength: 8 }), cuts => {
    const { d, seen } = dissector(true)
    const points = [...new Set(cuts)].sort((a, b) => a - b)
    const data: Uint8Array[] = []
    let from = 0
    for (const p of [...points, whole.length]) {
      data.push(...d.feed('out', whole.subarray(from, p)))
      from = p
    }
    return hex(data) === refData && JSON.stringify(seen) === JSON.stringify(reference.seen)
  }), { numRuns: 200 })
  t.equal(refData, '0123456789abcdef')
})
