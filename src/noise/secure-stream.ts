// The encrypted channel after a Noise handshake (libp2p/specs noise
// "Encryption and I/O", "Wire Format"), as a node:stream Duplex.
//
// Theory of operation:
//   write side — writes are cut into plaintexts of at most 65519 bytes,
//     so that with the 16-byte tag a message fits the 65535-byte limit
//     (small writes queued together are packed into one message);
//     each is sealed with the sending CipherState and written to `conn` as
//     prefix, ciphertext and tag under cork() (one writev, no concatenation;
//     up to SEAL_BATCH_MESSAGES queued messages share it, one more when it
//     takes the rest of the queue). Once conn's buffer holds that batch we
//     wait for 'drain' before sealing more. A write is called back as soon
//     as all of it is sealed, even while conn is backed up (the next write
//     waits for the drain instead): a muxer that waits for that callback
//     before handing down its next batch (../muxer/write-completion.ts) has
//     it queued here by the time conn drains. When conn is a plain net.Socket
//     and the cipher seals into given memory (the native AEAD), a large
//     message is sealed, prefix and all, into a reused buffer
//     (./sealed-buffers.ts), given back when the socket has written it.
//     The handshake may hand conn over corked, holding its last message: our
//     first message joins it, and conn is uncorked then (one write for both).
//   read side — every chunk of conn goes through a FrameDecoder, which
//     hands on each whole message as a view (no copy when the message lies
//     whole in the chunk); the message is opened with the receiving
//     CipherState and its plaintext pushed. Two ways chunks arrive:
//     when conn lends its reads (../util/lent-reads.ts; the TCP transport
//     does) they come to `receiveBytes` straight from the socket's read
//     buffer, with no Buffer allocated per read, and its `false` pauses conn;
//     otherwise conn is read in paused mode while our readable side wants
//     more, and when push() returns false we stop reading conn (its buffer
//     fills, the kernel window closes). Either way _read() resumes.
//   lifecycle — end() ends conn's writable side (half-close), and we finish
//     when conn has flushed (not before: see _final); conn's EOF ends
//     our readable side once every queued message is delivered; EOF inside a
//     message is ERR_NOISE_TRUNCATED_FRAME; a bad tag is ERR_NOISE_DECRYPT.
//     destroy() destroys conn; conn's errors destroy us.
//   bulk data — once a channel has sealed and opened BULK_CHANNEL_BYTES,
//     the process's GC ballast is laid (./gc-ballast.ts explains why).

import net from 'node:net'
import { Duplex } from 'node:stream'
import { P2PError } from '../util/errors.js'
import { LENGTH_PREFIX_BYTES, MAX_NOISE_MESSAGE_LENGTH, MAX_PLAINTEXT_LENGTH, TAGLEN } from './constants.js'
import type { CipherState } from './cipher-state.js'
import { FrameDecoder } from './frame.js'
import { readLenderOf, type ReadLender } from '../util/lent-reads.js'
import { BULK_CHANNEL_BYTES, layGcBallast } from './gc-ballast.js'
import { writeSealedMessage } from './sealed-buffers.js'

const EMPTY = new Uint8Array(0)

/**
 * Where the small pieces of a message's plaintext are packed. One buffer
 * for the whole process is enough: sealing is synchronous and the cipher
 * writes its output to new buffers, so SCRATCH is free again as soon as
 * encryptWithAdv returns.
 */
const SCRATCH = Buffer.allocUnsafe(MAX_PLAINTEXT_LENGTH)

/**
 * Pieces shorter than this are copied into SCRATCH rather than sealed from a
 * view: each view costs a cipher update, a Buffer and a writev entry
 * (~2 µs), about what copying a few KiB costs.
 */
const COPY_BELOW_BYTES = 4096

/**
 * Messages with at least this much plaintext are sealed into reused buffers
 * (./sealed-buffers.ts) when that is allowed; smaller ones are cut from
 * Node's shared Buffer pool, which is already cheap.
 */
const REUSE_FROM_BYTES = 4096

/**
 * Sealed messages that may wait in conn's buffer, under one cork, before we
 * stop for its 'drain': up to sixteen messages (1 MiB) leave in one writev
 * (seventeen when the rest of what is queued fits in one more). On this
 * loopback a socket write costs far more than its bytes (the kernel
 * runs the receiver's TCP stack in the sender's syscall and wakes the
 * receiver): one message per writev spent 38 % of the sender's time in
 * writev; four per writev cost the sender 1.4-1.5 CPU ms per MiB, sixteen
 * 1.0 (and 25 % more throughput). Plain TCP shows the same: its sender
 * spends about half as much per MiB with 1 MiB writes as with 64 KiB ones.
 * We only gather messages whose plaintext is already queued, never wait
 * for more.
 */
export const SEAL_BATCH_MESSAGES = 16
const SEAL_BATCH_BYTES = SEAL_BATCH_MESSAGES * MAX_NOISE_MESSAGE_LENGTH

/**
 * Buffer size of the readable side: four full messages. One message
 * (Node's 16 KiB default is less than that) made the read side pause and
 * resume the connection on almost every message; four measured ~20% faster
 * on loopback while still bounding memory per connection.
 */
const READ_BUFFER_BYTES = 4 * MAX_NOISE_MESSAGE_LENGTH

/**
 * Buffer size of the writable side: a whole seal batch, so that the muxer
 * above can queue as much as one writev carries before it has to wait.
 */
const WRITE_BUFFER_BYTES = SEAL_BATCH_BYTES

export class NoiseSecureStream extends Duplex {
  private readonly decoder = new FrameDecoder(TAGLEN)
  /** False after push() returned false: stop reading conn until _read(). */
  private wantData = false
  /** conn has signalled EOF. */
  private remoteEnded = false
  /** push(null) has been called. */
  private pushedEnd = false
  /** conn came corked (a handshake message waits in it): released after our first write. */
  private inheritedCork: boolean
  /** conn lends its reads (../util/lent-reads.ts): messages are opened straight from them. */
  private readonly lender: ReadLender | undefined
  /** Reads are lent to us (from our first _read on). */
  private lending = false
  /** The lender was told to stop (our readable side is full). */
  private lenderPaused = false
  /** Plaintext bytes sealed and opened, up to BULK_CHANNEL_BYTES: then a bulk transfer (./gc-ballast.ts). */
  private moved = 0
  /**
   * conn is a plain net.Socket: once a write's callback has run the kernel
   * has its bytes and nothing refers to the buffer, so it may be reused. Not
   * so for any other Duplex (a stream pair hands the chunk itself to its
   * reader), nor for a subclass that may keep chunks (a TLS socket).
   */
  private readonly connReleasesWrites: boolean

  constructor (
    private readonly conn: Duplex,
    private readonly send: CipherState,
    private readonly receive: CipherState
  ) {
    super({ readableHighWaterMark: READ_BUFFER_BYTES, writableHighWaterMark: WRITE_BUFFER_BYTES })
    this.inheritedCork = conn.writableCorked > 0
    this.connReleasesWrites = Object.getPrototypeOf(conn) === net.Socket.prototype
    this.lender = readLenderOf(conn)
    if (this.lender === undefined) conn.on('readable', this.onReadable)
    conn.on('end', this.onEnd)
    conn.on('error', this.onError)
    conn.on('close', this.onClose)
    // the handshake may have consumed the last bytes before EOF
    if (conn.readableEnded) this.onEnd()
    if (conn.destroyed) process.nextTick(this.onClose)
  }

  override _read (): void {
    this.wantData = true
    if (this.lender === undefined) {
      this.pump()
    } else if (!this.lending) {
      // first read: bytes that came with the handshake's last message wait
      // in conn's buffer and go first; only then are reads lent to us
      // (not earlier, in the constructor: whoever wraps or observes this
      // stream must see every plaintext it pushes). All of them, whatever
      // wantData says (not pump()): a lent read must never overtake them.
      this.lending = true
      for (let chunk = this.conn.read() as Uint8Array | null; chunk !== null; chunk = this.conn.read() as Uint8Array | null) this.receiveBytes(chunk)
      this.lender.lend(this.receiveBytes)
    } else if (this.lenderPaused) {
      this.lenderPaused = false
      this.lender.resume()
    }
  }

  override _write (chunk: Buffer, _encoding: BufferEncoding, callback: (err?: Error | null) => void): void {
    this.seal([chunk], 0, 0, callback)
  }

  override _writev (chunks: Array<{ chunk: Buffer }>, callback: (err?: Error | null) => void): void {
    // pushed one by one, not chunks.map(): once V8 optimized _writev, its
    // inlined map() allocated holey arrays, another hidden class than
    // _write's packed [chunk], and V8 threw seal()'s optimized code away and
    // compiled it again (~25 ms) each time the direction of a transfer
    // turned (--trace-deopt: "wrong map")
    const pieces: Buffer[] = []
    for (const { chunk } of chunks) pieces.push(chunk)
    this.seal(pieces, 0, 0, callback)
  }

  override _final (callback: (err?: Error | null) => void): void {
    // finished only once conn has flushed too: our writes were called back
    // as soon as they were sealed, with up to a batch still in conn's
    // buffer, and our 'finish' after the remote's end destroys us (Node's
    // autoDestroy), which destroys conn: called back before conn's own
    // 'finish', that dropped what conn still held, and no authenticated
    // close would have told the reader (Noise has none)
    this.conn.end((err?: Error | null) => { callback(err) })
  }

  override _destroy (err: Error | null, callback: (err?: Error | null) => void): void {
    this.conn.off('readable', this.onReadable)
    this.conn.off('end', this.onEnd)
    // the 'error' listener stays: conn may still emit one while closing
    this.conn.off('close', this.onClose)
    this.lender?.lend(undefined)
    this.conn.destroy()
    callback(err)
  }

  /**
   * Seals `chunks` from chunks[index][offset] on, as messages, pausing on
   * conn backpressure. Each message's plaintext is gathered as pieces, not
   * copied into one buffer: a piece of at least COPY_BELOW_BYTES is sealed
   * straight from a view of its chunk; runs of smaller ones (a muxer's frame
   * headers, small writes queued together) are packed side by side into the
   * shared SCRATCH buffer first, so they cost one cipher update per run and
   * no new allocation per write.
   */
  private seal (chunks: Uint8Array[], index: number, offset: number, callback: (err?: Error | null) => void): void {
    const conn = this.conn
    if (conn.writableNeedDrain && conn.writableLength >= SEAL_BATCH_BYTES) {
      // conn still holds a whole batch: seal this one when it has drained
      this.afterConnDrain(chunks, index, offset, callback)
      return
    }
    let ok = true
    let left = -offset
    for (let i = index; i < chunks.length; i++) left += chunks[i].length
    conn.cork()
    try {
      // conn.write() returns false past its small highWaterMark (one message
      // is over it); keep sealing what is queued until a batch is buffered,
      // and take the rest along when it fits in one more message: left
      // behind, it went out alone after the 'drain', a syscall for a few
      // hundred bytes after every batch
      while (index < chunks.length && (ok || conn.writableLength < SEAL_BATCH_BYTES || left <= MAX_PLAINTEXT_LENGTH)) {
        const plaintexts: Uint8Array[] = []
        let length = 0
        let packed = 0
        let runStart = 0
        while (index < chunks.length && length < MAX_PLAINTEXT_LENGTH) {
          const chunk = chunks[index]
          const end = Math.min(chunk.length, offset + MAX_PLAINTEXT_LENGTH - length)
          if (end - offset >= COPY_BELOW_BYTES) {
            if (packed > runStart) plaintexts.push(SCRATCH.subarray(runStart, packed))
            runStart = packed
            plaintexts.push(chunk.subarray(offset, end))
          } else {
            SCRATCH.set(chunk.subarray(offset, end), packed)
            packed += end - offset
          }
          length += end - offset
          offset = end
          if (offset === chunk.length) {
            index++
            offset = 0
          }
        }
        if (packed > runStart) plaintexts.push(SCRATCH.subarray(runStart, packed))
        left -= length
        if (length === 0) continue
        this.countMoved(length)
        if (length >= REUSE_FROM_BYTES && this.connReleasesWrites && this.send.sealsInto) {
          ok = writeSealedMessage(conn, this.send, plaintexts, length)
          continue
        }
        const sealed = this.send.encryptWithAdv(EMPTY, plaintexts)
        const messageLength = length + sealed.tag.length
        const prefix = Buffer.allocUnsafe(LENGTH_PREFIX_BYTES)
        prefix[0] = messageLength >>> 8
        prefix[1] = messageLength & 0xff
        conn.write(prefix)
        for (const ciphertext of sealed.ciphertexts) {
          // a CipherState without a key returns its input: never keep a view of SCRATCH
          conn.write(ciphertext.buffer === SCRATCH.buffer ? Buffer.from(ciphertext) : ciphertext)
        }
        ok = conn.write(sealed.tag)
      }
    } catch (err) {
      conn.uncork()
      callback(err as Error)
      return
    }
    conn.uncork()
    if (this.inheritedCork) {
      this.inheritedCork = false
      while (conn.writableCorked > 0) conn.uncork()
    }
    // Everything sealed: the write is handled (the writer may reuse its
    // buffers, and a muxer waits for this callback to let it), even if
    // conn is backed up. The next write waits for conn instead (above), by
    // then already queued here: sealed the moment conn drains, not a turn
    // after it.
    if (index >= chunks.length) {
      callback()
      return
    }
    this.afterConnDrain(chunks, index, offset, callback)
  }

  /** Seals the rest once conn has drained; fails the write when conn closes first. */
  private afterConnDrain (chunks: Uint8Array[], index: number, offset: number, callback: (err?: Error | null) => void): void {
    const conn = this.conn
    const onDrain = (): void => {
      cleanup()
      this.seal(chunks, index, offset, callback)
    }
    const onGone = (): void => {
      cleanup()
      callback(new P2PError('ERR_CONNECTION_CLOSED', 'the underlying connection closed while a write was waiting for it to drain'))
    }
    const cleanup = (): void => {
      conn.off('drain', onDrain)
      conn.off('close', onGone)
    }
    if (conn.destroyed) {
      onGone()
      return
    }
    conn.on('drain', onDrain)
    conn.on('close', onGone)
  }

  /** Takes conn's buffered chunks through receiveBytes() while our readable side wants more. */
  private pump (): void {
    while (this.wantData && !this.destroyed) {
      const chunk = this.conn.read() as Uint8Array | null
      if (chunk === null) return
      this.receiveBytes(chunk)
    }
  }

  private readonly onReadable = (): void => { this.pump() }

  /**
   * Opens every message `bytes` completes and pushes the plaintexts; the
   * decoder copies what a message cut off needs of `bytes`, so lent bytes
   * are free again on return. Returns whether our readable side wants more.
   */
  private readonly receiveBytes = (bytes: Uint8Array): boolean => {
    try {
      this.decoder.push(bytes, this.open)
    } catch (err) {
      this.destroy(err as Error)
      return false
    }
    if (this.lender !== undefined && !this.wantData) this.lenderPaused = true
    return this.wantData
  }

  /** Opens one message (a view valid only now) and pushes its plaintext. */
  private readonly open = (message: Uint8Array): void => {
    // the receiving CipherState throws ERR_NOISE_DECRYPT on a bad tag
    const plaintext = this.receive.decryptWithAd(EMPTY, message)
    this.countMoved(plaintext.length)
    if (plaintext.length === 0 || this.destroyed) return
    // a CipherState without a key returns its input: never push a view of borrowed memory
    this.wantData = this.push(plaintext.buffer === message.buffer ? Buffer.from(plaintext) : plaintext)
  }

  /** A channel that has moved BULK_CHANNEL_BYTES has the process's GC ballast laid (a no-op once it is). */
  private countMoved (bytes: number): void {
    // the count stops at the threshold: past 2^30 it would no longer be a
    // V8 small integer, and the field's change of representation changes
    // every channel's hidden class, which deoptimized the stream code of
    // the whole process in the middle of a transfer (seen with --trace-deopt)
    if (this.moved < BULK_CHANNEL_BYTES) this.moved += bytes
    if (this.moved >= BULK_CHANNEL_BYTES) layGcBallast()
  }

  private readonly onEnd = (): void => {
    this.remoteEnded = true
    if (this.pushedEnd || this.destroyed) return
    if (this.decoder.buffered > 0) {
      this.destroy(new P2PError('ERR_NOISE_TRUNCATED_FRAME',
        `the connection ended inside a Noise message: ${this.decoder.buffered} bytes of an incomplete message`, { remote: true }))
      return
    }
    this.pushedEnd = true
    this.push(null)
  }

  private readonly onError = (err: Error): void => {
    this.destroy(err)
  }

  private readonly onClose = (): void => {
    if (this.destroyed || this.remoteEnded) return
    this.destroy(new P2PError('ERR_CONNECTION_CLOSED', 'the underlying connection closed before its end of stream', { remote: true }))
  }
}
