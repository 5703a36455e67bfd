// `selectOptimistic`: the optimistic dialer as a Duplex wrapper (see
// optimistic.ts for the idea and the spec).
//
// Theory of operation. The wrapper writes the header and the proposal at
// once, then
//   - writes pass straight through to the inner stream from the start, so the
//     application's first bytes follow the proposal without a round trip;
//   - in the background it reads the listener's header and echo from the inner
//     stream (exactly those bytes, with StreamReader); on `na`, a wrong header,
//     EOF or the timeout the wrapper is destroyed with that error;
//   - after the echo it forwards inner 'data' chunks with one push each,
//     pausing the inner stream when the wrapper's buffer is full.
// Half-close (`end`, held back until the agreement), `destroy` and
// backpressure pass through both ways.
//
//     negotiating ──echo──► forwarding ──inner 'end'──► readable ended
//         │
//         └── na / bad header / EOF / timeout ──► destroyed(err), inner destroyed

import type { Duplex } from 'node:stream'
import { TickBatchedDuplex } from '../util/tick-batched-duplex.js'
import { P2PError } from '../util/errors.js'
import { StreamReader } from '../util/stream-reader.js'
import type { NegotiationOptions } from './io.js'
import { readOptimisticAccept, writeOptimisticProposal } from './optimistic.js'

/**
 * Proposes `protocol` and returns at once a Duplex for speaking it. Reading
 * waits for (and verifies) the listener's agreement; writing does not.
 */
export function selectOptimistic (stream: Duplex, protocol: string, options: NegotiationOptions = {}): OptimisticStream {
  return new OptimisticStream(stream, protocol, options)
}

export class OptimisticStream extends TickBatchedDuplex {
  /** The agreed protocol, once the listener echoed it. */
  protocol: string | undefined
  /** Resolves with the protocol on agreement; rejects when the wrapper is destroyed first. */
  readonly negotiated: Promise<string>
  private forwarding = false

  constructor (private readonly inner: Duplex, proposal: string, options: NegotiationOptions = {}) {
    super({
      allowHalfOpen: true,
      readableHighWaterMark: inner.readableHighWaterMark,
      writableHighWaterMark: inner.writableHighWaterMark
    })
    writeOptimisticProposal(inner, proposal, options.onMessage)
    inner.on('error', this.onInnerError)
    inner.on('close', this.onInnerClose)
    this.negotiated = readOptimisticAccept(new StreamReader(inner), proposal, options).then(
      protocol => {
        this.protocol = protocol
        this.startForwarding()
        return protocol
      },
      (err: unknown) => {
        // an abort reason need not be an Error; destroy() wants one
        this.destroy(err instanceof Error ? err : new P2PError('ERR_ABORTED', `negotiation aborted: ${String(err)}`, { cause: err }))
        throw err
      })
    // a failure is reported through destroy(err); nobody has to await this
    this.negotiated.catch(() => {})
  }

  private startForwarding (): void {
    if (this.destroyed) return
    this.forwarding = true
    const inner = this.inner
    if (inner.readableEnded) {
      this.push(null)
      return
    }
    inner.on('data', (chunk: Uint8Array) => {
      if (!this.push(chunk)) inner.pause()
    })
    inner.once('end', () => { this.push(null) })
  }

  override _read (): void {
    if (this.forwarding) this.inner.resume()
  }

  /**
   * A write completes when the inner stream calls it back, not when the
   * inner write() returns: until then the inner stream may still hold the
   * writer's buffer (Node's contract lets the writer refill it after the
   * callback). Backpressure comes with it: while the inner stream is busy,
   * our own buffer fills.
   */
  override _write (chunk: Uint8Array, _encoding: BufferEncoding, callback: (err?: Error | null) => void): void {
    if (!this.inner.writable) {
      callback(new P2PError('ERR_STREAM_CLOSED', 'cannot write: the underlying stream is closed for writing'))
      return
    }
    this.inner.write(chunk, this.innerWritten(callback))
  }

  /** Several queued writes go down as one corked batch; the last one's callback completes them all (writes complete in order). */
  override _writev (chunks: Array<{ chunk: Uint8Array }>, callback: (err?: Error | null) => void): void {
    if (!this.inner.writable) {
      callback(new P2PError('ERR_STREAM_CLOSED', 'cannot write: the underlying stream is closed for writing'))
      return
    }
    this.inner.cork()
    const last = chunks.length - 1
    for (let i = 0; i < last; i++) this.inner.write(chunks[i].chunk)
    this.inner.write(chunks[last].chunk, this.innerWritten(callback))
    this.inner.uncork()
  }

  /**
   * Completes our write with the inner one. A write the inner stream still
   * buffered when it was destroyed fails with Node's generic "destroyed"
   * error before the inner 'error' arrives: report why it was destroyed.
   */
  private innerWritten (callback: (err?: Error | null) => void): (err?: Error | null) => void {
    return err => { callback(err == null ? null : this.inner.errored ?? err) }
  }

  /**
   * The half-close waits for the listener's agreement (the data before it
   * did not). Nothing in the spec asks for this, but js-libp2p 3.x loses a
   * half-close that arrives before its handler starts reading (its stream
   * iterator listens for 'remoteCloseWrite' only from then on), and it
   * starts the handler only after sending its echo: a request and its FIN
   * sent optimistically in one write hung its echo handler forever.
   */
  override _final (callback: (err?: Error | null) => void): void {
    // the inner half-close's own outcome: one that failed (the stream reset
    // before our FIN went out) must not finish ours as if it had been sent
    const end = (): void => { this.inner.end((err?: Error | null) => { callback(err == null ? null : this.inner.errored ?? err) }) }
    if (this.forwarding) end()
    else this.negotiated.then(end, (err: unknown) => { callback(err instanceof Error ? err : new P2PError('ERR_ABORTED', String(err))) })
  }

  override _destroy (err: Error | null, callback: (err?: Error | null) => void): void {
    if (!this.inner.destroyed) this.inner.destroy(err ?? undefined)
    callback(err)
  }

  private readonly onInnerError = (err: Error): void => {
    this.destroy(err)
  }

  private readonly onInnerClose = (): void => {
    // while negotiating, readOptimisticAccept sees the close and reports why
    if (this.destroyed || !this.forwarding) return
    if (this.inner.errored !== null) this.destroy(this.inner.errored)
    // closed before its readable side ended: the peer's data was cut off
    else if (!this.inner.readableEnded) this.destroy()
    // closed while ours is still open for writing (the muxer ended the inner
    // stream, e.g. on a graceful connection close): a write the inner stream
    // never calls back (ours always do; a foreign Duplex may not) would wait
    // forever, so fail it. With no write pending
    // (a ping stream at a connection's close) this is an ordinary end, and
    // an Error would only cost its stack trace.
    else if (!this.writableEnded) {
      if (this.writableLength > 0) this.destroy(new P2PError('ERR_STREAM_CLOSED', 'the underlying stream closed while a write to this side was pending'))
      else this.destroy()
    }
  }
}
