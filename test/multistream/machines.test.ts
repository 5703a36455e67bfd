import t from 'tap'
import {
  DialerMachine, encodeLsAnswerBody, ListenerMachine, MAX_PROPOSALS, MULTISTREAM_PROTOCOL_ID,
  ProtocolRegistry, serializeMessage, type Message
} from '../../src/multistream/index.js'

const body = (text: string): Uint8Array => new TextEncoder().encode(text)
const texts = (messages: Message[]): string[] => messages.map(m => Buffer.from(serializeMessage(m)).toString('latin1'))
const wire = (...lines: string[]): string[] => lines.map(l => String.fromCharCode(l.length + 1) + l + '\n')

t.test('dialer: header and first proposal together, fall back on na, agree on echo', async t => {
  const d = new DialerMachine()
  t.equal(d.state, 'idle')
  const first = d.propose(['/tls/1.0.0', '/noise'])
  t.same(texts(first.send), wire(MULTISTREAM_PROTOCOL_ID, '/tls/1.0.0'))
  t.same(d.receive(body(MULTISTREAM_PROTOCOL_ID)), { received: { type: 'header' }, send: [], outcome: { type: 'need-more' } })
  const na = d.receive(body('na'))
  t.same(texts(na.send), wire('/noise'), 'next proposal, no second header')
  t.same(na.outcome, { type: 'need-more' })
  t.same(d.receive(body('/noise')).outcome, { type: 'selected', protocol: '/noise' })
  t.equal(d.state, 'selected')
  t.throws(() => d.receive(body('x')), { code: 'ERR_INVALID_STATE' })
})

t.test('dialer: rejected after na to every proposal', async t => {
  const d = new DialerMachine()
  d.propose(['/a', '/b'])
  d.receive(body(MULTISTREAM_PROTOCOL_ID))
  d.receive(body('na'))
  t.same(d.receive(body('na')).outcome, { type: 'rejected', tried: ['/a', '/b'] })
  t.equal(d.state, 'rejected')
})

t.test('dialer: protocol violations', async t => {
  const wrongHeader = new DialerMachine()
  wrongHeader.propose(['/a'])
  t.throws(() => wrongHeader.receive(body('/multistream/2.0.0')), { code: 'ERR_INVALID_HEADER', remote: true, message: /\/multistream\/2\.0\.0/ })
  const wrongEcho = new DialerMachine()
  wrongEcho.propose(['/a'])
  wrongEcho.receive(body(MULTISTREAM_PROTOCOL_ID))
  t.throws(() => wrongEcho.receive(body('/b')), { code: 'ERR_UNEXPECTED_MESSAGE', message: /"\/a" or "na".*"\/b"/ })
  const unasked = new DialerMachine({ headerExchanged: true })
  t.throws(() => unasked.receive(body('/a')), { code: 'ERR_UNEXPECTED_MESSAGE' })
  t.throws(() => new DialerMachine().propose([]), { code: 'ERR_NO_PROTOCOLS' })
  t.throws(() => new DialerMachine().propose(['noise']), { code: 'ERR_INVALID_PROTOCOL_ID' })
  const twice = new DialerMachine()
  twice.propose(['/a'])
  t.throws(() => twice.propose(['/b']), { code: 'ERR_INVALID_STATE' })
})

t.test('dialer: ls, then a proposal without a second header', async t => {
  const d = new DialerMachine()
  t.same(texts(d.list().send), wire(MULTISTREAM_PROTOCOL_ID, 'ls'))
  t.notOk(d.expectsLsAnswer, 'the header comes first')
  d.receive(body(MULTISTREAM_PROTOCOL_ID))
  t.ok(d.expectsLsAnswer)
  const listed = d.receive(encodeLsAnswerBody(['/x', '/y']))
  t.same(listed.outcome, { type: 'listed', protocols: ['/x', '/y'] })
  t.same(texts(d.propose(['/y']).send), wire('/y'))
  t.same(d.receive(body('/y')).outcome, { type: 'selected', protocol: '/y' })
})

t.test('listener: header, na, ls, echo', async t => {
  const l = new ListenerMachine(new ProtocolRegistry(['/ping', '/id']))
  t.same(texts(l.start().send), wire(MULTISTREAM_PROTOCOL_ID))
  t.same(l.start().send, [], 'the header is sent once')
  t.same(l.receive(body(MULTISTREAM_PROTOCOL_ID)), { received: { type: 'header' }, send: [], outcome: { type: 'need-more' } })
  const na = l.receive(body('/dht'))
  t.same(texts(na.send), wire('na'))
  t.same(na.outcome, { type: 'rejected', proposal: '/dht' })
  const ls = l.receive(body('ls'))
  t.same(ls.outcome, { type: 'listed', protocols: ['/ping', '/id'] })
  t.same([...serializeMessage(ls.send[0])], [...Buffer.from('\x0d\x06/ping\n\x04/id\n\n', 'latin1')])
  const echo = l.receive(body('/id'))
  t.same(texts(echo.send), wire('/id'))
  t.same(echo.outcome, { type: 'selected', protocol: '/id' })
  t.equal(l.state, 'selected')
  t.throws(() => l.receive(body('/ping')), { code: 'ERR_INVALID_STATE' })
})

t.test('listener: header is answered even when start() was not called', async t => {
  const l = new ListenerMachine(new ProtocolRegistry(['/a']))
  t.same(texts(l.receive(body(MULTISTREAM_PROTOCOL_ID)).send), wire(MULTISTREAM_PROTOCOL_ID))
})

t.test('listener: a wrong header aborts', async t => {
  const l = new ListenerMachine(new ProtocolRegistry(['/a']))
  l.start()
  t.throws(() => l.receive(body('/a')), { code: 'ERR_INVALID_HEADER', remote: true, message: /got "\/a"/ })
  t.throws(() => new ListenerMachine(new ProtocolRegistry()).receive(Uint8Array.from([0xff])), { code: 'ERR_INVALID_MESSAGE' })
})

t.test('listener: na for non-protocol-ids, a second header and stray na', async t => {
  const l = new ListenerMachine({ matches: () => true, list: () => [] })
  l.receive(body(MULTISTREAM_PROTOCOL_ID))
  for (const text of ['noslash', '', MULTISTREAM_PROTOCOL_ID, 'na', '/a\nb']) {
    t.same(l.receive(body(text)).send, [{ type: 'na' }], JSON.stringify(text))
  }
  t.same(l.receive(body('/anything')).outcome, { type: 'selected', protocol: '/anything' })
})

t.test('listener: match functions', async t => {
  const registry = new ProtocolRegistry()
    .add('/echo/1.0.0')
    .add('/kad/1.0.0', p => /^\/kad\/1\.\d+\.\d+$/.test(p))
  t.ok(registry.matches('/kad/1.2.3'))
  t.notOk(registry.matches('/kad/2.0.0'))
  t.same(registry.list(), ['/echo/1.0.0', '/kad/1.0.0'])
  const l = new ListenerMachine(registry)
  l.receive(body(MULTISTREAM_PROTOCOL_ID))
  t.same(l.receive(body('/kad/2.0.0')).outcome, { type: 'rejected', proposal: '/kad/2.0.0' })
  t.same(l.receive(body('/kad/1.4.0')).outcome, { type: 'selected', protocol: '/kad/1.4.0' })
  t.ok(registry.remove('/kad/1.0.0'))
  t.notOk(registry.matches('/kad/1.4.0'))
  t.throws(() => registry.add('bad'), { code: 'ERR_INVALID_PROTOCOL_ID' })
})

t.test('listener: too many proposals', async t => {
  const l = new ListenerMachine(new ProtocolRegistry(['/a']))
  l.receive(body(MULTISTREAM_PROTOCOL_ID))
  for (let i = 0; i < MAX_PROPOSALS; i++) l.receive(body(i % 2 === 0 ? `/nope/${i}` : 'ls'))
  t.throws(() => l.receive(body('/a')), { code: 'ERR_TOO_MANY_PROPOSALS', remote: true })
  const small = new ListenerMachine(new ProtocolRegistry(['/a']), { maxProposals: 1 })
  small.receive(body(MULTISTREAM_PROTOCOL_ID))
  small.receive(body('/b'))
  t.throws(() => small.receive(body('/a')), { code: 'ERR_TOO_MANY_PROPOSALS' })
})

t.test('dialer and listener machines talk to each other', async t => {
  const d = new DialerMachine()
  const l = new ListenerMachine(new ProtocolRegistry(['/c', '/b']))
  // deliver each side's messages to the other as bodies (strip prefix + newline)
  const bodies = (messages: Message[]): Uint8Array[] => messages.map(m => {
    const bytes = serializeMessage(m)
    return bytes.subarray(1, bytes.length - 1)
  })
  let toListener = bodies(d.propose(['/a', '/b', '/c']).send)
  let toDialer = bodies(l.start().send)
  let agreed: string | undefined
  let listenerAgreed: string | undefined
  for (let round = 0; round < 10 && agreed === undefined; round++) {
    const nextToDialer: Uint8Array[] = []
    for (const b of toListener) {
      const step = l.receive(b)
      nextToDialer.push(...bodies(step.send))
      if (step.outcome.type === 'selected') listenerAgreed = step.outcome.protocol
    }
    const nextToListener: Uint8Array[] = []
    for (const b of [...toDialer, ...nextToDialer]) {
      const step = d.receive(b)
      nextToListener.push(...bodies(step.send))
      if (step.outcome.type === 'selected') agreed = step.outcome.protocol
    }
    toDialer = []
    toListener = nextToListener
  }
  t.equal(agreed, '/b')
  t.equal(listenerAgreed, '/b')
})
