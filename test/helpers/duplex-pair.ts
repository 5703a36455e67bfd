// Two connected in-memory Duplexes (what one writes, the other reads), with
// backpressure: a write completes only once the other side's buffer has room.
// Node 20 has no stream.duplexPair, so tests use this one; tcpPair gives a
// real loopback socket pair when the kernel's behaviour matters.

import { Duplex } from 'node:stream'
import net from 'node:net'

class PairEnd extends Duplex {
  peer!: PairEnd
  private pendingWrite: (() => void) | undefined

  override _read (): void {
    const resume = this.peer.pendingWrite
    this.peer.pendingWrite = undefined
    resume?.()
  }

  override _write (chunk: Buffer, _encoding: BufferEncoding, callback: (err?: Error | null) => void): void {
    if (this.peer.destroyed) {
      callback(new Error('peer destroyed'))
      return
    }
    if (this.peer.push(chunk)) callback()
    else this.pendingWrite = () => { callback() }
  }

  override _final (callback: (err?: Error | null) => void): void {
    this.peer.push(null)
    callback()
  }

  override _destroy (err: Error | null, callback: (err?: Error | null) => void): void {
    const resume = this.pendingWrite
    this.pendingWrite = undefined
    resume?.()
    // a destroyed end looks like a closed socket to its peer
    if (!this.peer.destroyed && !this.peer.readableEnded) this.peer.push(null)
    callback(err)
  }
}

export function duplexPair (): [Duplex, Duplex] {
  const a = new PairEnd()
  const b = new PairEnd()
  a.peer = b
  b.peer = a
  return [a, b]
}

/**
 * A connected loopback TCP socket pair: [client, server]. Half-open is
 * allowed, as on the transport's own sockets: a FIN from one side ends only
 * that direction.
 */
export async function tcpPair (): Promise<[net.Socket, net.Socket]> {
  const server = net.createServer({ allowHalfOpen: true })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const address = server.address() as net.AddressInfo
  const accepted = new Promise<net.Socket>(resolve => server.once('connection', resolve))
  const client = net.connect({ port: address.port, host: '127.0.0.1', allowHalfOpen: true })
  await new Promise<void>((resolve, reject) => { client.once('connect', resolve); client.once('error', reject) })
  const serverSide = await accepted
  server.close()
  client.setNoDelay(true)
  serverSide.setNoDelay(true)
  return [client, serverSide]
}
