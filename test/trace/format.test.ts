import t from 'tap'
import { formatText, formatJson, layerOf, LAYERS } from '../../src/trace/index.js'
import type { TraceEvent } from '../../src/trace/index.js'

const events: TraceEvent[] = [
  { t: 0.5, connection: 1, type: 'tcp:connect', role: 'dialer', localAddr: '/ip4/127.0.0.1/tcp/5000', remoteAddr: '/ip4/127.0.0.1/tcp/4001' },
  { t: 1, connection: 1, type: 'multistream', scope: 'connection', direction: 'out', message: '/noise', size: 8 },
  { t: 2.25, connection: 1, type: 'noise:message', direction: 'in', index: 1, tokens: '<- e, ee, s, es', size: 218, payload: 'NoiseHandshakePayload' },
  { t: 3, connection: 1, type: 'yamux:frame', direction: 'out', frame: 'Window Update', flags: ['SYN'], streamId: 1, length: 0 },
  { t: 3.5, connection: 1, type: 'yamux:frame', direction: 'in', frame: 'Go Away', flags: [], streamId: 0, length: 1 },
  { t: 4, connection: 2, type: 'mplex:frame', direction: 'in', frame: 'NewStream', streamId: 0, opener: 'remote', length: 1, name: '0' },
  { t: 5, connection: 1, type: 'multistream', scope: 'stream', streamId: 1, direction: 'in', message: '/ipfs/ping/1.0.0', size: 18 },
  { t: 6, connection: 1, type: 'app:data', direction: 'out', streamId: 1, protocol: '/ipfs/ping/1.0.0', length: 32, preview: '00112233445566778899aabbccddeeff' },
  { t: 7, connection: 1, type: 'app:data', direction: 'in', streamId: 3, length: 2, preview: 'b702' }
]

t.test('human lines: time, connection, layer, our direction, words', async t => {
  t.same(events.map(e => formatText(e)), [
    '+    0.500ms #1 tcp            connected /ip4/127.0.0.1/tcp/5000 -> /ip4/127.0.0.1/tcp/4001 (we dialled)',
    '+    1.000ms #1 multistream -> /noise (8 bytes)',
    '+    2.250ms #1 noise       <- message 2 [<- e, ee, s, es] 218 bytes, payload: NoiseHandshakePayload',
    '+    3.000ms #1 yamux       -> Window Update flags=SYN stream=1 delta=0',
    '+    3.500ms #1 yamux       <- Go Away flags=0 stream=0 code=1',
    '+    4.000ms #2 mplex       <- NewStream stream=0 (theirs) length=1 name="0"',
    '+    5.000ms #1 multistream <- stream 1: /ipfs/ping/1.0.0 (18 bytes)',
    '+    6.000ms #1 app         -> stream 1 /ipfs/ping/1.0.0: 32 bytes 00112233445566778899aabbccddeeff…',
    '+    7.000ms #1 app         <- stream 3: 2 bytes b702'
  ])
})

t.test('colours only when asked', async t => {
  for (const e of events) {
    t.notMatch(formatText(e), /\u001b/, 'plain by default')
    const coloured = formatText(e, { color: true })
    t.match(coloured, /\u001b\[\d+m/)
    t.equal(coloured.replace(/\u001b\[\d+m/g, ''), formatText(e), 'the same text under the colours')
  }
})

t.test('JSON: one object per event, with its layer', async t => {
  for (const e of events) {
    const line = formatJson(e)
    t.notMatch(line, /\n/)
    const parsed = JSON.parse(line)
    t.same(parsed, { ...e, layer: layerOf(e) })
    t.ok((LAYERS as readonly string[]).includes(parsed.layer))
  }
})
