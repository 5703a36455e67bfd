// The trace of real connections between two of our peers: the content and the
// order of what crossed the wire, layer by layer (issue 6).
import t from 'tap'
import type { Test } from 'tap'
import { createDecipheriv } from 'node:crypto'
import { Libp2pNode } from '../../src/node/index.js'
import { Upgrader } from '../../src/upgrader/index.js'
import { Multiaddr } from '../../src/multiaddr/index.js'
import { generateKeyPair, PeerId } from '../../src/peer/index.js'
import { yamux } from '../../src/yamux/index.js'
import { mplex } from '../../src/mplex/index.js'
import { createWireTracer, memorySink, tapDuplex, formatText, formatKeyLogEntry, parseKeyLog } from '../../src/trace/index.js'
import type { KeyLogKeys, TraceEvent } from '../../src/trace/index.js'
import { duplexPair } from '../helpers/duplex-pair.js'

/** Indexes of `steps` found in order in `events` (each after the previous); fails naming the first missing step. */
function inOrder (t: Test, events: TraceEvent[], steps: Array<[string, (e: TraceEvent) => boolean]>): void {
  let from = 0
  for (const [name, match] of steps) {
    const at = events.findIndex((e, i) => i >= from && match(e))
    if (at < 0) {
      t.fail(`${name}: not found after event ${from}\n${events.slice(from).map(e => formatText(e)).join('\n')}`)
      return
    }
    t.pass(name)
    from = at + 1
  }
}

async function traceOnePing (muxer: typeof yamux | typeof mplex): Promise<{ events: TraceEvent[], listenerEvents: TraceEvent[], rtts: number[], listenerId: PeerId }> {
  const events: TraceEvent[] = []
  const listenerEvents: TraceEvent[] = []
  const listener = new Libp2pNode({ listenAddrs: ['/ip4/127.0.0.1/tcp/0'], muxers: [muxer], identifyOnConnect: false, trace: createWireTracer({ sink: memorySink(listenerEvents) }) })
  await listener.start()
  const key = generateKeyPair('Ed25519')
  const dialer = new Libp2pNode({
    privateKey: key,
    muxers: [muxer],
    identifyOnConnect: false,
    trace: createWireTracer({ sink: memorySink(events), local: { peerId: PeerId.fromPublicKey(key.publicKey).toString(), keyType: 'Ed25519', streamMuxers: [muxer.protocol] } })
  })
  await dialer.start()
  try {
    const rtts = await dialer.ping(listener.multiaddrs[0], { count: 1 })
    return { events, listenerEvents, rtts, listenerId: listener.peerId }
  } finally {
    await dialer.stop()
    await listener.stop()
    await until(() => events.some(e => e.type === 'tcp:close'))
  }
}

/** Waits (at most 2 s) for `condition`: the channel's close is reported just after stop() returns. */
async function until (condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise(resolve => setTimeout(resolve, 10))
}

const is = <T extends TraceEvent['type']>(type: T, check: (e: Extract<TraceEvent, { type: T }>) => boolean = () => true) =>
  (e: TraceEvent): boolean => e.type === type && check(e as Extract<TraceEvent, { type: T }>)

for (const muxer of [yamux, mplex]) {
  t.test(`dialer's trace of one ping over ${muxer.protocol}`, async t => {
    const { events, listenerEvents, listenerId } = await traceOnePing(muxer)
    const newStream = muxer === yamux
      ? is('yamux:frame', e => e.direction === 'out' && e.flags.includes('SYN') && e.streamId === 1)
      : is('mplex:frame', e => e.direction === 'out' && e.frame === 'NewStream' && e.opener === 'local')
    inOrder(t, events, [
      ['TCP connect', is('tcp:connect', e => e.role === 'dialer' && /^\/ip4\/127\.0\.0\.1\/tcp\/\d+$/.test(e.remoteAddr))],
      ['multistream header', is('multistream', e => e.scope === 'connection' && e.direction === 'out' && e.message === '/multistream/1.0.0' && e.size === 20)],
      ['/noise proposed', is('multistream', e => e.direction === 'out' && e.message === '/noise' && e.size === 8)],
      // 2-byte prefix + 32-byte ephemeral key, no payload
      ['Noise message 1', is('noise:message', e => e.direction === 'out' && e.index === 0 && e.tokens === '-> e' && e.size === 34 && e.payload === 'empty')],
      ['/noise accepted', is('multistream', e => e.direction === 'in' && e.message === '/noise')],
      ['Noise message 2', is('noise:message', e => e.direction === 'in' && e.index === 1 && e.tokens === '<- e, ee, s, es' && /identity_key 36 bytes, identity_sig 64 bytes/.test(e.payload))],
      ['Noise message 3', is('noise:message', e => e.direction === 'out' && e.index === 2 && e.tokens === '-> s, se')],
      ['our identity', is('noise:identity', e => e.side === 'local' && e.keyType === 'Ed25519')],
      ['remote identity verified', is('noise:identity', e => e.side === 'remote' && e.peerId === listenerId.toString() && e.keyType === 'Ed25519' && e.signatureVerified && e.streamMuxers.includes(muxer.protocol))],
      ['muxer', is('muxer:selected', e => e.protocol === muxer.protocol && e.how === 'inlined')],
      ['new stream', newStream],
      ['stream header', is('multistream', e => e.scope === 'stream' && e.direction === 'out' && e.message === '/multistream/1.0.0')],
      ['/ipfs/ping/1.0.0 proposed', is('multistream', e => e.scope === 'stream' && e.direction === 'out' && e.message === '/ipfs/ping/1.0.0')],
      ['32 bytes sent', is('app:data', e => e.direction === 'out' && e.length === 32 && e.protocol === '/ipfs/ping/1.0.0')],
      ['/ipfs/ping/1.0.0 accepted', is('multistream', e => e.scope === 'stream' && e.direction === 'in' && e.message === '/ipfs/ping/1.0.0')],
      ['32 bytes echoed', is('app:data', e => e.direction === 'in' && e.length === 32 && e.protocol === '/ipfs/ping/1.0.0')],
      ['closed', is('tcp:close')]
    ])
    const sent = events.find(is('app:data', e => e.direction === 'out'))
    const echoed = events.find(is('app:data', e => e.direction === 'in'))
    t.equal(sent?.type === 'app:data' && sent.preview.length, 32, '16 bytes of preview, in hex')
    t.equal(echoed?.type === 'app:data' && echoed.preview, sent?.type === 'app:data' && sent.preview, 'the echo carries the same bytes')
    t.ok(events.every((e, i) => i === 0 || e.t >= events[i - 1].t), 'timestamps never go back')
    t.ok(events.every(e => e.connection === 1), 'one connection')
    t.notOk(events.some(e => e.type === 'trace:undecodable'), 'every byte was understood')

    // the listener sees the same conversation from the other side
    inOrder(t, listenerEvents, [
      ['accepted', is('tcp:connect', e => e.role === 'listener')],
      ['/noise proposal received', is('multistream', e => e.direction === 'in' && e.message === '/noise')],
      ['message 1 received', is('noise:message', e => e.direction === 'in' && e.tokens === '-> e')],
      ['message 2 sent', is('noise:message', e => e.direction === 'out' && e.tokens === '<- e, ee, s, es')],
      ['message 3 received', is('noise:message', e => e.direction === 'in' && e.tokens === '-> s, se')],
      ['ping proposal received', is('multistream', e => e.scope === 'stream' && e.direction === 'in' && e.message === '/ipfs/ping/1.0.0')],
      ['ping payload received', is('app:data', e => e.direction === 'in' && e.length === 32 && e.preview === (sent as any).preview)],
      ['ping payload echoed', is('app:data', e => e.direction === 'out' && e.length === 32)]
    ])
  })
}

t.test('multistream-selected muxer, concurrent connections apart, and a key log that decrypts the capture', async t => {
  const events: TraceEvent[] = []
  const keys: KeyLogKeys[] = []
  const dialerTrace = createWireTracer({ sink: memorySink(events), keyLog: k => { keys.push(k) } })
  const dialer = new Upgrader({ privateKey: generateKeyPair('Ed25519'), muxers: [yamux], inlineMuxerNegotiation: false, trace: dialerTrace })
  const listener = new Upgrader({ privateKey: generateKeyPair('Ed25519'), muxers: [yamux], inlineMuxerNegotiation: false })
  const addr = Multiaddr.fromString('/ip4/127.0.0.1/tcp/4001')
  const sentRaw: Uint8Array[] = []
  const pairs = [duplexPair(), duplexPair()]
  tapDuplex(pairs[0][0], (direction, chunk) => { if (direction === 'out') sentRaw.push(chunk) })
  const connections = await Promise.all(pairs.flatMap(([a, b]) => [
    dialer.upgradeOutbound(a, { remoteAddr: addr }),
    listener.upgradeInbound(b, { remoteAddr: addr })
  ]))
  t.equal(keys.length, 2, 'one key log entry per connection')
  const first = events.filter(e => e.connection === 1)
  t.equal(events.filter(e => e.connection === 2 && e.type === 'noise:message').length, 3, 'the second connection has its own three messages')
  inOrder(t, first, [
    ['muxer proposed inside the channel', is('multistream', e => e.scope === 'secure' && e.direction === 'out' && e.message === '/yamux/1.0.0')],
    ['muxer accepted inside the channel', is('multistream', e => e.scope === 'secure' && e.direction === 'in' && e.message === '/yamux/1.0.0')],
    ['muxer by multistream', is('muxer:selected', e => e.how === 'multistream' && e.protocol === '/yamux/1.0.0')]
  ])

  // decrypt the first transport message of connection 1 with the logged i2r key
  const handshake = first.filter(is('noise:message', e => e.direction === 'out')).reduce((n, e) => n + (e as any).size, 0)
  const raw = Buffer.concat(sentRaw)
  const transport = raw.subarray(20 + 8 + handshake)
  const length = transport.readUInt16BE(0)
  const entry = parseKeyLog(formatKeyLogEntry(keys[0], { role: 'initiator', remoteAddr: addr.toString() }))[0]
  // noise.md §12.3 ChaChaPoly: the nonce is 32 bits of zeros and n as 64-bit little-endian; n = 0 for the first message
  const decipher = createDecipheriv('chacha20-poly1305', Buffer.from(entry.initiatorToResponder, 'hex'), Buffer.alloc(12), { authTagLength: 16 })
  decipher.setAAD(Buffer.alloc(0), { plaintextLength: length - 16 })
  decipher.setAuthTag(transport.subarray(2 + length - 16, 2 + length))
  const plaintext = Buffer.concat([decipher.update(transport.subarray(2, 2 + length - 16)), decipher.final()])
  t.equal(plaintext.subarray(0, 20).toString('hex'), Buffer.from('\x13/multistream/1.0.0\n').toString('hex'), 'the first encrypted message is the muxer round\'s header')

  const formatted = events.map(e => formatText(e)).join('\n')
  for (const k of keys) {
    for (const value of [k.handshakeHash, k.initiatorToResponder, k.responderToInitiator]) {
      t.notOk(formatted.includes(Buffer.from(value).toString('hex')), 'no key material in the trace')
    }
  }
  await Promise.all(connections.map(async c => { await c.close() }))
})
