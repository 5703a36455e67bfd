// Interop with the js-libp2p yamux (@chainsafe/libp2p-yamux 8.x, test-only)
// over a real loopback TCP socket pair, with our session on the other end,
// in both roles. A small shim turns a net.Socket into js-libp2p's
// MessageStream (the same thing @libp2p/tcp does internally).
import t from 'tap'
import { once } from 'node:events'
import { createHash } from 'node:crypto'
import type net from 'node:net'
import { createYamux, type YamuxStream } from '../../src/yamux/index.js'
import { tcpPair } from '../helpers/duplex-pair.js'
import { readAll } from './fixtures/raw-peer.js'

// js-libp2p 3.x calls Promise.withResolvers (Node 22); polyfill it on Node 20
// before those packages load, hence the dynamic imports below.
const P = Promise as unknown as { withResolvers?: () => unknown }
if (P.withResolvers === undefined) {
  P.withResolvers = () => {
    let resolve: unknown, reject: unknown
    const promise = new Promise((res, rej) => { resolve = res; reject = rej })
    return { promise, resolve, reject }
  }
}
const { yamux: jsYamux } = await import('@chainsafe/libp2p-yamux')
const { AbstractMultiaddrConnection } = await import('@libp2p/utils')
const { multiaddr } = await import('@multiformats/multiaddr')
const { logger } = await import('@libp2p/logger')
type Uint8ArrayList = import('uint8arraylist').Uint8ArrayList

class SocketConnection extends AbstractMultiaddrConnection {
  constructor (readonly socket: net.Socket, direction: 'inbound' | 'outbound') {
    super({ remoteAddr: multiaddr('/ip4/127.0.0.1/tcp/1'), direction, log: logger(`test:${direction}`) })
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

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex')
const pattern = (n: number, seed: number): Buffer => Buffer.from(Uint8Array.from({ length: n }, (_, i) => (i * 13 + seed) & 0xff))

interface JsStream {
  send: (data: Uint8Array) => boolean
  onDrain: () => Promise<void>
  close: () => Promise<void>
  [Symbol.asyncIterator]: () => AsyncIterator<Uint8Array | Uint8ArrayList>
}

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

t.test('js-libp2p yamux dials, our session listens', async t => {
  const [c, s] = await tcpPair()
  const jsMuxer = jsYamux()().createStreamMuxer(new SocketConnection(c, 'outbound'))
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
  const jsMuxer = jsYamux()().createStreamMuxer(new SocketConnection(s, 'inbound'))
  jsMuxer.addEventListener('stream', (evt) => {
    const stream = evt.detail as unknown as JsStream
    void (async () => {
      for await (const chunk of stream) {
        if (!stream.send(chunk instanceof Uint8Array ? chunk : chunk.subarray())) await stream.onDrain()
      }
      await stream.close()
    })().catch(() => {})
  })
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
