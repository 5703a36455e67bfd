// Test-only adapters between our node:stream world and js-libp2p 3.x, shared
// by the interop tests of multistream, yamux and mplex (js-libp2p packages are
// never imported from src/).
//
// js-libp2p speaks its own stream interface: a MessageStream (here an
// AbstractMultiaddrConnection from @libp2p/utils) fed with `onData` and
// asked to write through `sendData`. Two adapters wrap a Duplex in it:
//
//   jsMultiaddrConnection(socket)  a raw TCP connection under a js muxer, as
//                                  @libp2p/tcp makes it: the socket's end is
//                                  the end of the transport, close tears the
//                                  socket down.
//   jsMessageStream(duplex)        a half-closable byte stream for js
//                                  multistream-select: the Duplex's end is the
//                                  remote closing its write side, close ends
//                                  our write side only.
//
// Importing this module installs the Promise.withResolvers polyfill
// (../interop/polyfill.ts) before any js-libp2p package loads.

import '../interop/polyfill.js'
import { once } from 'node:events'
import type net from 'node:net'
import type { Duplex } from 'node:stream'

const { AbstractMultiaddrConnection } = await import('@libp2p/utils')
const { logger } = await import('@libp2p/logger')
const { multiaddr } = await import('@multiformats/multiaddr')

/** What js-libp2p hands to sendData: a Uint8ArrayList, iterable as chunks. */
type ChunkList = Iterable<Uint8Array> & { byteLength: number }

/** The part both adapters share: data in, data out with backpressure, reset, pause. */
abstract class DuplexAdapter extends AbstractMultiaddrConnection {
  constructor (protected readonly duplex: Duplex, direction: 'inbound' | 'outbound', name: string) {
    super({ remoteAddr: multiaddr('/ip4/127.0.0.1/tcp/1'), direction, log: logger(`test:${name}:${direction}`) })
    duplex.on('data', (buf: Uint8Array) => { this.onData(buf) })
    duplex.on('error', (err: Error) => { this.abort(err) })
    duplex.once('close', () => { this.onTransportClosed() })
    duplex.on('drain', () => { this.safeDispatchEvent('drain') })
  }

  sendData (data: ChunkList): { sentBytes: number, canSendMore: boolean } {
    let sentBytes = 0
    let canSendMore = true
    for (const buf of data) {
      sentBytes += buf.byteLength
      canSendMore = this.duplex.write(buf)
      if (!canSendMore) break
    }
    return { sentBytes, canSendMore }
  }

  sendReset (): void { this.duplex.destroy() }
  sendPause (): void { this.duplex.pause() }
  sendResume (): void { this.duplex.resume() }
}

class SocketConnection extends DuplexAdapter {
  constructor (private readonly socket: net.Socket, direction: 'inbound' | 'outbound') {
    super(socket, direction, 'connection')
    socket.once('end', () => { this.onTransportClosed() })
  }

  async sendClose (): Promise<void> {
    if (this.socket.destroyed) return
    this.socket.destroySoon()
    await once(this.socket, 'close')
  }
}

class HalfClosableStream extends DuplexAdapter {
  constructor (duplex: Duplex, direction: 'inbound' | 'outbound') {
    super(duplex, direction, 'stream')
    duplex.on('end', () => { this.onRemoteCloseWrite() })
  }

  async sendClose (): Promise<void> {
    this.duplex.end()
  }
}

/** A js-libp2p MultiaddrConnection over a TCP socket, for a js stream muxer. */
export function jsMultiaddrConnection (socket: net.Socket, direction: 'inbound' | 'outbound'): InstanceType<typeof AbstractMultiaddrConnection> {
  return new SocketConnection(socket, direction)
}

export type JsMessageStream = InstanceType<typeof AbstractMultiaddrConnection>

/** A js-libp2p MessageStream over a half-closable Duplex, for js multistream-select. */
export function jsMessageStream (duplex: Duplex, direction: 'inbound' | 'outbound'): JsMessageStream {
  return new HalfClosableStream(duplex, direction)
}

/** The part of a js muxer stream the interop tests use. */
export interface JsStream {
  send: (data: Uint8Array) => boolean
  onDrain: () => Promise<void>
  close: () => Promise<void>
  abort: (err: Error) => void
  [Symbol.asyncIterator]: () => AsyncIterator<Uint8Array | ChunkList & { subarray: () => Uint8Array }>
}

/** Writes `payload` in 100 kB sends, waiting for drain when asked, then closes the write side. */
export async function jsWriteAll (stream: JsStream, payload: Uint8Array): Promise<void> {
  for (let off = 0; off < payload.length; off += 100_000) {
    if (!stream.send(payload.subarray(off, off + 100_000))) await stream.onDrain()
  }
  await stream.close()
}

/** Everything the js stream delivers until the remote closes its write side. */
export async function jsReadAll (stream: JsStream): Promise<Buffer> {
  const chunks: Uint8Array[] = []
  for await (const c of stream) chunks.push(c instanceof Uint8Array ? c : c.subarray())
  return Buffer.concat(chunks)
}

/** Echoes every chunk back (waiting for drain when asked) until the remote closes, then closes; errors end it quietly. */
export function jsEcho (stream: JsStream): void {
  void (async () => {
    for await (const chunk of stream) {
      if (!stream.send(chunk instanceof Uint8Array ? chunk : chunk.subarray())) await stream.onDrain()
    }
    await stream.close()
  })().catch(() => {})
}
