// Interop with the js-libp2p mplex (@libp2p/mplex 12.x, test-only) over a
// real loopback TCP socket pair, our session on the other end, in both
// roles. The test-only shim in ../helpers/js-libp2p.ts turns a net.Socket into js-libp2p's
// MultiaddrConnection (what @libp2p/tcp does internally).
import t from 'tap'
import { once } from 'node:events'
import { createHash } from 'node:crypto'
import { tcpPair } from '../helpers/duplex-pair.js'
import { jsEcho, jsMultiaddrConnection, jsReadAll, jsWriteAll, type JsStream } from '../helpers/js-libp2p.js'
import { createMplex, type Frame, type MplexStream } from '../../src/mplex/index.js'
import { readAll, streamOutcome } from './fixtures/helpers.js'

const { mplex: jsMplex } = await import('@libp2p/mplex')

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex')
const pattern = (n: number, seed: number): Buffer => Buffer.from(Uint8Array.from({ length: n }, (_, i) => (i * 13 + seed) & 0xff))

t.test('js-libp2p mplex dials, our session listens', async t => {
  const [c, s] = await tcpPair()
  const jsMuxer = jsMplex()().createStreamMuxer(jsMultiaddrConnection(c, 'outbound'))
  const trace: Frame[] = []
  const ours = createMplex(s, { initiator: false, onFrame: (d, f) => { if (d === 'in') trace.push(f) } })
  ours.on('stream', (stream: MplexStream) => { stream.pipe(stream) })
  const results = await Promise.all([0, 1, 2].map(async i => {
    const stream = await jsMuxer.createStream() as unknown as JsStream
    const payload = pattern(1024 * 1024 + i * 777, i)
    const [, back] = await Promise.all([jsWriteAll(stream, payload), jsReadAll(stream)])
    return sha(back) === sha(payload)
  }))
  t.same(results, [true, true, true], 'three concurrent 1 MiB echoes through our session')
  const opened = trace.filter(f => f.type === 'NewStream').map(f => f.streamId)
  t.same(opened, [0, 1, 2], 'js numbers its streams from 0; the flag keeps the spaces apart')
  const closed = once(ours, 'close')
  await jsMuxer.close()
  c.end() // js-libp2p's muxer close() leaves the connection to its owner
  t.same(await closed, [undefined], 'our session closes cleanly when the connection ends')
})

t.test('our session dials, js-libp2p mplex listens', async t => {
  const [c, s] = await tcpPair()
  const ours = createMplex(c, { initiator: true })
  const jsMuxer = jsMplex()().createStreamMuxer(jsMultiaddrConnection(s, 'inbound'))
  jsMuxer.addEventListener('stream', (evt) => { jsEcho(evt.detail as unknown as JsStream) })
  const results = await Promise.all([0, 1, 2].map(async i => {
    const stream = ours.newStream()
    const payload = pattern(2 * 1024 * 1024 + i, i)
    const back = readAll(stream)
    stream.end(payload)
    return sha(await back) === sha(payload)
  }))
  t.same(results, [true, true, true], 'three concurrent 2 MiB echoes through js')
  // js opens a stream to us while we hold ours: same IDs in both spaces are fine
  const inbound = once(ours, 'stream')
  const jsStream = await jsMuxer.createStream() as unknown as JsStream
  const [mine] = await inbound as [MplexStream]
  t.equal(mine.direction, 'inbound')
  const back = readAll(mine)
  await jsWriteAll(jsStream, Buffer.from('from js'))
  t.equal((await back).toString(), 'from js')
  mine.end()
  t.equal((await jsReadAll(jsStream)).length, 0)
  // a reset crosses too
  const stream = ours.newStream()
  stream.write('x')
  const outcome = streamOutcome(stream)
  await new Promise(resolve => setTimeout(resolve, 20))
  jsMuxer.streams.at(-1)?.abort(new Error('js resets'))
  t.equal((await outcome as { code?: string } | undefined)?.code, 'ERR_STREAM_RESET', 'a js abort reaches us as ERR_STREAM_RESET')
  t.same(ours.streams, [], 'every stream finished')
  await ours.close()
  t.ok(c.writableEnded, 'close() ended our side of the connection')
  c.destroy()
  s.destroy()
})
