import t from 'tap'
import { readFileSync } from 'node:fs'
import { ChannelDissector } from '../../src/trace/index.js'
import type { TraceEventInit } from '../../src/trace/index.js'
import { encodeMessage } from '../../src/multistream/index.js'

const load = (path: string): any => JSON.parse(readFileSync(new URL(`../../spec-vectors/${path}`, import.meta.url), 'utf8'))

function channel (options: { localIsInitiator: boolean, inlinedMuxer?: string }): { c: ChannelDissector, events: TraceEventInit[] } {
  const events: TraceEventInit[] = []
  const c = new ChannelDissector({ ...options, emit: e => { events.push(e) } })
  return { c, events }
}

/** A yamux header, laid out as spec.md "Framing" says: version, type, flags u16, stream ID u32, length u32 (big-endian). */
function yamuxHeader (type: number, flags: number, streamId: number, length: number): Buffer {
  const b = Buffer.alloc(12)
  b[0] = 0
  b[1] = type
  b.writeUInt16BE(flags, 2)
  b.writeUInt32BE(streamId, 4)
  b.writeUInt32BE(length, 8)
  return b
}

const TYPE_NAMES: Record<string, string> = { data: 'Data', windowUpdate: 'Window Update', ping: 'Ping', goAway: 'Go Away' }
const FLAG_BITS = ['SYN', 'ACK', 'FIN', 'RST']

t.test('every valid yamux vector is named with the spec\'s words', async t => {
  const vectors = load('yamux/frames.json')
  t.match(vectors.source, /hashicorp\/yamux/)
  for (const v of vectors.valid) {
    const { c, events } = channel({ localIsInitiator: true, inlinedMuxer: '/yamux/1.0.0' })
    c.feed('in', Buffer.from(v.hex, 'hex'))
    const frame = events.find(e => e.type === 'yamux:frame')
    const bytes = Buffer.from(v.hex, 'hex')
    t.same(frame, {
      type: 'yamux:frame',
      direction: 'in',
      frame: TYPE_NAMES[v.frame.type],
      flags: FLAG_BITS.filter((_f, bit) => (v.frame.flags & (1 << bit)) !== 0),
      streamId: v.frame.streamId,
      length: bytes.readUInt32BE(8)
    }, v.name)
  }
})

t.test('an invalid yamux header stops decoding that direction, with one event and no throw', async t => {
  const vectors = load('yamux/frames.json')
  for (const v of vectors.invalid.filter((x: any) => typeof x.hex === 'string' && x.hex.length >= 24)) {
    const { c, events } = channel({ localIsInitiator: true, inlinedMuxer: '/yamux/1.0.0' })
    t.doesNotThrow(() => { c.feed('out', Buffer.from(v.hex, 'hex')) })
    t.doesNotThrow(() => { c.feed('out', Buffer.from(v.hex, 'hex')) })
    const bad = events.filter(e => e.type === 'trace:undecodable')
    t.ok(bad.length <= 1, `${v.name as string}: reported at most once`)
  }
  const { c, events } = channel({ localIsInitiator: true, inlinedMuxer: '/yamux/1.0.0' })
  c.feed('in', Buffer.from('010000000000000000000000', 'hex'))
  t.match(events, [{ type: 'trace:undecodable', direction: 'in', reason: /yamux: expected yamux version 0, received 1/ }])
})

t.test('a yamux stream: SYN, its multistream round, and 32 application bytes', async t => {
  const { c, events } = channel({ localIsInitiator: true, inlinedMuxer: '/yamux/1.0.0' })
  const proposal = Buffer.concat([encodeMessage('/multistream/1.0.0'), encodeMessage('/ipfs/ping/1.0.0')])
  const ping = Buffer.alloc(32, 0x5a)
  c.feed('out', Buffer.concat([yamuxHeader(1, 1, 1, 0), yamuxHeader(0, 0, 1, proposal.length), proposal]))
  // the payload of a Data frame may arrive in pieces
  const frame = Buffer.concat([yamuxHeader(0, 0, 1, 32), ping])
  c.feed('out', frame.subarray(0, 20))
  c.feed('out', frame.subarray(20))
  c.feed('in', Buffer.concat([yamuxHeader(0, 2, 1, proposal.length), proposal, yamuxHeader(0, 0, 1, 32), ping, yamuxHeader(1, 4, 1, 0)]))
  t.same(events.map(e => e.type === 'yamux:frame' ? `${e.direction} ${e.frame} [${e.flags.join('|')}] ${e.streamId} ${e.length}` : e.type === 'multistream' ? `${e.direction} ms ${e.scope} ${e.streamId ?? ''} ${e.message}` : e.type === 'app:data' ? `${e.direction} app ${e.streamId} ${e.protocol ?? ''} ${e.length} ${e.preview}` : e.type), [
    'out Window Update [SYN] 1 0',
    'out Data [] 1 38',
    'out ms stream 1 /multistream/1.0.0',
    'out ms stream 1 /ipfs/ping/1.0.0',
    'out Data [] 1 32',
    `out app 1 /ipfs/ping/1.0.0 32 ${'5a'.repeat(16)}`,
    'in Data [ACK] 1 38',
    'in ms stream 1 /multistream/1.0.0',
    'in ms stream 1 /ipfs/ping/1.0.0',
    'in Data [] 1 32',
    `in app 1 /ipfs/ping/1.0.0 32 ${'5a'.repeat(16)}`,
    'in Window Update [FIN] 1 0'
  ])
})

t.test('data in flight after a reset is late data of the stream that was, not a new stream', async t => {
  const { c, events } = channel({ localIsInitiator: true, inlinedMuxer: '/yamux/1.0.0' })
  const proposal = Buffer.concat([encodeMessage('/multistream/1.0.0'), encodeMessage('/ipfs/ping/1.0.0')])
  c.feed('out', Buffer.concat([yamuxHeader(0, 1, 1, proposal.length), proposal]))
  c.feed('in', Buffer.concat([yamuxHeader(0, 2, 1, proposal.length), proposal]))
  c.feed('out', yamuxHeader(1, 8, 1, 0)) // our RST
  // the peer's echo was already on its way; its first byte would read as a multistream length
  const echo = Buffer.alloc(32, 0xab)
  echo[0] = 0x05
  c.feed('in', Buffer.concat([yamuxHeader(0, 0, 1, 32), echo]))
  t.notOk(events.some(e => e.type === 'trace:undecodable'), 'not parsed as multistream')
  const late = events.filter(e => e.type === 'app:data' && e.direction === 'in')
  t.match(late, [{ type: 'app:data', streamId: 1, protocol: '/ipfs/ping/1.0.0', late: true, length: 32, preview: echo.subarray(0, 16).toString('hex') }])
  // a stream opened afterwards with SYN is new, with a negotiation of its own
  c.feed('out', Buffer.concat([yamuxHeader(0, 1, 3, proposal.length), proposal]))
  t.equal(events.filter(e => e.type === 'multistream' && e.streamId === 3).length, 2)

  // mplex: a message for a stream reset (ours, opened by us) is late too
  const m = channel({ localIsInitiator: true, inlinedMuxer: '/mplex/6.7.0' })
  const header = (id: number, flag: number): number => (id << 3) | flag
  m.c.feed('out', Buffer.from([header(1, 0), 1, 0x31]))                          // NewStream 1 "1"
  m.c.feed('out', Buffer.concat([Buffer.from([header(1, 2), proposal.length]), proposal]))
  m.c.feed('in', Buffer.concat([Buffer.from([header(1, 1), proposal.length]), proposal]))
  m.c.feed('out', Buffer.from([header(1, 6), 0]))                                // ResetInitiator
  m.c.feed('in', Buffer.concat([Buffer.from([header(1, 1), 32]), echo]))         // MessageReceiver, late
  t.notOk(m.events.some(e => e.type === 'trace:undecodable'))
  t.match(m.events.filter(e => e.type === 'app:data'), [{ direction: 'in', streamId: 1, protocol: '/ipfs/ping/1.0.0', late: true, length: 32 }])
})

t.test('mplex vectors and stream ownership from the flags', async t => {
  const vectors = load('mplex/frames.json')
  t.match(vectors.source, /libp2p\/specs mplex/)
  for (const v of vectors.frames) {
    const { c, events } = channel({ localIsInitiator: false, inlinedMuxer: '/mplex/6.7.0' })
    c.feed('in', Buffer.from(v.bytes, 'hex'))
    const frame = events.find(e => e.type === 'mplex:frame')
    // received: NewStream and *Initiator come from the stream's opener, the remote
    const opener = v.type === 'NewStream' || String(v.type).endsWith('Initiator') ? 'remote' : 'local'
    t.match(frame, { type: 'mplex:frame', direction: 'in', frame: v.type, streamId: v.streamId, opener }, v.description)
    if (v.type === 'NewStream') t.equal((frame as any).name, Buffer.from(v.name, 'hex').toString(), 'the stream name')
  }
})

t.test('muxer chosen by multistream-select inside the channel, then mplex frames', async t => {
  const { c, events } = channel({ localIsInitiator: true })
  c.feed('out', Buffer.concat([encodeMessage('/multistream/1.0.0'), encodeMessage('/mplex/6.7.0')]))
  // the answer and the remote's first frame (NewStream 0, name "0") in one chunk
  c.feed('in', Buffer.concat([encodeMessage('/multistream/1.0.0'), encodeMessage('/mplex/6.7.0'), Buffer.from('000130', 'hex')]))
  c.feed('out', Buffer.from('080131', 'hex'))
  t.same(events.map(e => e.type === 'multistream' ? `${e.scope} ${e.direction} ${e.message}` : e.type === 'mplex:frame' ? `${e.direction} ${e.frame} ${e.streamId} ${e.opener} ${e.name ?? ''}` : e.type), [
    'secure out /multistream/1.0.0',
    'secure out /mplex/6.7.0',
    'secure in /multistream/1.0.0',
    'secure in /mplex/6.7.0',
    'in NewStream 0 remote 0',
    'out NewStream 1 local 1'
  ])
})
