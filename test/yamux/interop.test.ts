// Interop with the js-libp2p yamux (@chainsafe/libp2p-yamux 8.x, test-only)
// over a real loopback TCP socket pair, with our session on the other end,
// in both roles. The shim in ../helpers/js-libp2p.ts turns a net.Socket into js-libp2p's
// MessageStream (the same thing @libp2p/tcp does internally).
import t from 'tap'
import { once } from 'node:events'
import { createHash } from 'node:crypto'
import { createYamux, type YamuxStream } from '../../src/yamux/index.js'
import { tcpPair } from '../helpers/duplex-pair.js'
import { jsEcho, jsMultiaddrConnection, jsReadAll, jsWriteAll, type JsStream } from '../helpers/js-libp2p.js'
import { readAll } from './fixtures/raw-peer.js'

const { yamux: jsYamux } = await import('@chainsafe/libp2p-yamux')

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex')
const pattern = (n: number, seed: number): Buffer => Buffer.from(Uint8Array.from({ length: n }, (_, i) => (i * 13 + seed) & 0xff))

t.test('js-libp2p yamux dials, our session listens', async t => {
  const [c, s] = await tcpPair()
  const jsMuxer = jsYamux()().createStreamMuxer(jsMultiaddrConnection(c, 'outbound'))
  const ours = createYamux(s, { initiator: false })
  ours.on('stream', (stream: YamuxStream) => { stream.pipe(stream) })
  const rtt = await jsMuxer.ping()
  t.ok(rtt >= 0, `js pings us: ${rtt} ms`)
  t.ok(await ours.ping() >= 0, 'we ping js')
  const results = await Promise.all([0, 1, 2].map(async i => {
    const stream = await jsMuxer.createStream() as unknown as JsStream
    const payload = pattern(1024 * 1024 + i * 777, i)
    const [, back] = await Promise.all([jsWriteAll(stream, payload), jsReadAll(stream)])
    return sha(back) === sha(payload)
  }))
  t.same(results, [true, true, true], 'three concurrent 1 MiB echoes through our session')
  const closed = once(ours, 'close')
  await jsMuxer.close()
  await closed
  t.pass('our session closes when js closes')
  c.destroy()
  s.destroy()
})

t.test('our session dials, js-libp2p yamux listens', async t => {
  const [c, s] = await tcpPair()
  const ours = createYamux(c, { initiator: true })
  const jsMuxer = jsYamux()().createStreamMuxer(jsMultiaddrConnection(s, 'inbound'))
  jsMuxer.addEventListener('stream', (evt) => { jsEcho(evt.detail as unknown as JsStream) })
  t.ok(await ours.ping() >= 0, 'we ping js')
  const results = await Promise.all([0, 1, 2].map(async i => {
    const stream = ours.newStream()
    const payload = pattern(2 * 1024 * 1024 + i, i)
    const back = readAll(stream)
    stream.end(payload)
    return sha(await back) === sha(payload)
  }))
  t.same(results, [true, true, true], 'three concurrent 2 MiB echoes through js')
  // a reset crosses too
  const stream = ours.newStream()
  stream.write('x')
  const err = once(stream, 'error')
  await new Promise(resolve => setTimeout(resolve, 20))
  jsMuxer.streams.at(-1)?.abort(new Error('js resets'))
  const [e] = await err
  t.equal((e as { code?: string }).code, 'ERR_STREAM_RESET', 'a js abort reaches us as ERR_STREAM_RESET')
  const start = Date.now()
  await ours.close()
  t.ok(Date.now() - start < 1000, 'close() with no open streams is immediate')
  t.equal(c.writableEnded, true, 'our side of the connection is ended')
  // the js side's socket handling (pause/resume on its MessageStream) is not under test
  c.destroy()
  s.destroy()
})
