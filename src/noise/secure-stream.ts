// The encrypted channel after a Noise handshake (libp2p/specs noise
// "Encryption and I/O", "Wire Format"), as a node:stream Duplex.
//
// Theory of operation:
//   write side — each write is cut into plaintexts of at most 65519 bytes,
//     so that with the 16-byte tag a message fits the 65535-byte limit;
//     each is sealed with the sending CipherState and written to `conn` as
//     prefix, ciphertext and tag under cork() (one writev, no concatenation).
//     When conn.write() returns false we wait for 'drain' before sealing more.
//   read side — conn is read in paused mode: bytes go to a FrameDecoder, each
//     whole message is opened with the receiving CipherState and pushed.
//     When push() returns false we stop reading conn (its buffer fills, the
//     kernel window closes) until _read() asks for more.
//   lifecycle — end() ends conn's writable side (half-close); conn's EOF ends
//     our readable side once every queued message is delivered; EOF inside a
//     message is ERR_NOISE_TRUNCATED_FRAME; a bad tag is ERR_NOISE_DECRYPT.
//     destroy() destroys conn; conn's errors destroy us.

import { Duplex } from 'node:stream'
import { P2PError } from '../util/errors.js'
import { LENGTH_PREFIX_BYTES, MAX_NOISE_MESSAGE_LENGTH, MAX_PLAINTEXT_LENGTH, TAGLEN } from './constants.js'
import type { CipherState } from './cipher-state.js'
import { FrameDecoder } from './frame.js'

const EMPTY = new Uint8Array(0)

/**
 * Buffer size of each side of the Duplex: four full messages. One message
 * (Node's 16 KiB default is less than that) made the read side pause and
 * resume the connection on almost every message; four measured ~20% faster
 * on loopback while still bounding memory per connection.
 */
const STREAM_BUFFER_BYTES = 4 * MAX_NOISE_MESSAGE_LENGTH

export class NoiseSecureStream extends Duplex {
  private readonly decoder = new FrameDecoder(TAGLEN)
  /** False after push() returned false: stop reading conn until _read(). */
  private wantData = false
  /** conn has signalled EOF. */
  private remoteEnded = false
  /** push(null) has been called. */
  private pushedEnd = false

  constructor (
    private readonly conn: Duplex,
    private readonly send: CipherState,
    private readonly receive: CipherState
  ) {
    super({ readableHighWaterMark: STREAM_BUFFER_BYTES, writableHighWaterMark: STREAM_BUFFER_BYTES })
    conn.on('readable', this.onReadable)
    conn.on('end', this.onEnd)
    conn.on('error', this.onError)
    conn.on('close', this.onClose)
    // the handshake may have consumed the last bytes before EOF
    if (conn.readableEnded) this.remoteEnded = true
    if (conn.destroyed) process.nextTick(this.onClose)
  }

  override _read (): void {
    this.wantData = true
    this.pump()
  }

  override _write (chunk: Buffer, _encoding: BufferEncoding, callback: (err?: Error | null) => void): void {
    this.seal(chunk, 0, callback)
  }

  override _writev (chunks: Array<{ chunk: Buffer }>, callback: (err?: Error | null) => void): void {
    // small writes are coalesced into as few messages as possible
    this.seal(chunks.length === 1 ? chunks[0].chunk : Buffer.concat(chunks.map(c => c.chunk)), 0, callback)
  }

  override _final (callback: (err?: Error | null) => void): void {
    this.conn.end()
    callback()
  }

  override _destroy (err: Error | null, callback: (err?: Error | null) => void): void {
    this.conn.off('readable', this.onReadable)
    this.conn.off('end', this.onEnd)
    // the 'error' listener stays: conn may still emit one while closing
    this.conn.off('close', this.onClose)
    this.conn.destroy()
    callback(err)
  }

  /** Seals `data` from `offset` on, as messages, pausing on conn backpressure. */
  private seal (data: Uint8Array, offset: number, callback: (err?: Error | null) => void): void {
    const conn = this.conn
    let ok = true
    conn.cork()
    try {
      while (ok && offset < data.length) {
        const end = Math.min(offset + MAX_PLAINTEXT_LENGTH, data.length)
        const { ciphertext, tag } = this.send.encryptWithAdParts(EMPTY, data.subarray(offset, end))
        const length = end - offset + TAGLEN
        const prefix = Buffer.allocUnsafe(LENGTH_PREFIX_BYTES)
        prefix[0] = length >>> 8
        prefix[1] = length & 0xff
        conn.write(prefix)
        conn.write(ciphertext)
        ok = conn.write(tag)
        offset = end
      }
    } catch (err) {
      conn.uncork()
      callback(err as Error)
      return
    }
    conn.uncork()
    if (offset >= data.length && ok) {
      callback()
      return
    }
    // wait for conn to drain (or die) before sealing more
    const onDrain = (): void => {
      cleanup()
      if (offset >= data.length) callback()
      else this.seal(data, offset, callback)
    }
    const onGone = (): void => {
      cleanup()
      callback(new P2PError('ERR_CONNECTION_CLOSED', 'the underlying connection closed while a write was waiting for it to drain'))
    }
    const cleanup = (): void => {
      conn.off('drain', onDrain)
      conn.off('close', onGone)
    }
    conn.on('drain', onDrain)
    conn.on('close', onGone)
  }

  /** Moves bytes from conn through the decoder to our readable side while wanted. */
  private pump (): void {
    try {
      while (this.wantData && !this.pushedEnd && !this.destroyed) {
        const message = this.decoder.next()
        if (message !== undefined) {
          // the receiving CipherState throws ERR_NOISE_DECRYPT on a bad tag
          const plaintext = this.receive.decryptWithAd(EMPTY, message)
          if (plaintext.length > 0) this.wantData = this.push(plaintext)
          continue
        }
        if (this.remoteEnded) {
          if (this.decoder.buffered > 0) {
            throw new P2PError('ERR_NOISE_TRUNCATED_FRAME',
              `the connection ended inside a Noise message: ${this.decoder.buffered} bytes of an incomplete message`, { remote: true })
          }
          this.pushedEnd = true
          this.push(null)
          return
        }
        const chunk = this.conn.read() as Uint8Array | null
        if (chunk === null) return
        this.decoder.push(chunk)
      }
    } catch (err) {
      this.destroy(err as Error)
    }
  }

  private readonly onReadable = (): void => { this.pump() }

  private readonly onEnd = (): void => {
    this.remoteEnded = true
    this.pump()
  }

  private readonly onError = (err: Error): void => {
    this.destroy(err)
  }

  private readonly onClose = (): void => {
    if (this.destroyed || this.remoteEnded) return
    this.destroy(new P2PError('ERR_CONNECTION_CLOSED', 'the underlying connection closed before its end of stream', { remote: true }))
  }
}
