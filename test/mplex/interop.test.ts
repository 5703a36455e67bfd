// Interop with the js-libp2p mplex (@libp2p/mplex 12.x, test-only) over a
// real loopback TCP socket pair, our session on the other end, in both
// roles. A small test-only shim turns a net.Socket into js-libp2p's
// MultiaddrConnection (what @libp2p/tcp does internally).
import t from 'tap'
import { once } from 'node:events'
import { createHash } from 'node:crypto'
import type net from 'node:net'
import { tcpPair } from '../helpers/duplex-pair.js'
import { createMplex, type Frame, type MplexStream } from '../../src/mplex/index.js'
import { readAll, streamOutcome } from './fixtures/helpers.js'

// js-libp2p 3.x calls Promise.withResolvers (Node 22): polyfill it on Node 20
// before those packages load, hence the dynamic imports.
const P = Promise as unknown as { withResolvers?: () => unknown }
if (P.withResolvers === undefined) {
  P.withResolvers = () => {
    let resolve: unknown, reject: unknown
    const promise = new Promise((res, rej) => { resolve = res; reject = rej })
    return { promise, resolve, reject }
  }
}
const { mplex: jsMplex } = await import('@libp2p/mplex')
const { AbstractMultiaddrConnection } = await import('@libp2p/utils')
const { multiaddr } = await import('@multiformats/multiaddr')
const { logger } = await import('@libp2p/logger')
type Uint8ArrayList = import('uint8arraylist').Uint8ArrayList

class SocketConnection extends AbstractMultiaddrConnection {
  constructor (readonly socket: net.Socket, direction: 'inbound' | 'outbound') {
    super({ remoteAddr: multiaddr('/ip4/127.0.0.1/tcp/1'), direction, log: logger(`test:mplex:${direction}`) })
    socket.on('data', (buf: Uint8Array) => { this.onData(buf) })
    socket.on('error', (err: Error) => { this.abort(err) })
    socket.once('end', () => { this.onTransportClosed() })
    socket.once('close', () => { this.onTransportClosed() })
    socket.on('drain', () => { this.safeDispatchEvent('drain') })
  }

  sendData (data: Uint8ArrayList): { sentBytes: number, canSendMore: boolean } {
    let sentBytes = 0
    let canSendMore = true
    for (const buf of data) {
      sentBytes += buf.byteLength
      canSendMore = this.socket.write(buf)
      if (!canSendMore) break
    }
    return { sentBytes, canSendMore }
  }

  async sendClose (): Promise<void> {
    if (this.socket.destroyed) return
    this.socket.destroySoon()
    await once(this.socket, 'close')
  }

  sendReset (): void { this.socket.destroy() }
  sendPause (): void { this.socket.pause() }
  sendResume (): void { this.socket.resume() }
}

interface JsStream {
  send: (data: Uint8Array) => boolean
  onDrain: () => Promise<void>
  close: () => Promise<void>
  abort: (err: Error) => void
  [Symbol.asyncIterator]: () => AsyncIterator<Uint8Array | Uint8ArrayList>
}

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex')
const pattern = (n: number, seed: number): Buffer => Buffer.from(Uint8Array.from({ length: n }, (_, i) => (i * 13 + seed) & 0xff))

async function jsWriteAll (stream: JsStream, payload: Uint8Array): Promise<void> {
  for (let off = 0; off < payload.length; off += 100_000) {
    if (!stream.send(payload.subarray(off, off + 100_000))) await stream.onDrain()
  }
  await stream.close()
}

async function jsReadAll (stream: JsStream): Promise<Buffer> {
  const chunks: Uint8Array[] = []
  for await (const c of stream) chunks.push(c instanceof Uint8Array ? c : c.subarray())
  return Buffer.concat(chunks)
}

t.test('js-libp2p mplex dials, our session listens', async t => {
  const [c, s] = await tcpPair()
  const jsMuxer = jsMplex()().createStreamMuxer(new SocketConnection(c, 'outbound'))
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
  const jsMuxer = jsMplex()().createStreamMuxer(new SocketConnection(s, 'inbound'))
  jsMuxer.addEventListener('stream', (evt) => {
    const stream = evt.detail as unknown as JsStream
    void (async () => {
      for await (const chunk of stream) {
        if (!stream.send(chunk instanceof Uint8Array ? chunk : chunk.subarray())) await stream.onDrain()
      }
      await stream.close()
    })().catch(() => {})
  })
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
