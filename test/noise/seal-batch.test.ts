// NoiseSecureStream's write side: queued plaintext leaves as batches of
// up to SEAL_BATCH_MESSAGES whole messages per write to the connection (one
// writev on a socket; one more when it takes the rest of what is queued),
// and only what is queued is batched.

import t from 'tap'
import { Duplex } from 'node:stream'
import { CipherState, FrameDecoder, MAX_NOISE_MESSAGE_LENGTH, MAX_PLAINTEXT_LENGTH, NoiseSecureStream, TAGLEN, nobleCrypto, nodeCrypto } from '../../src/noise/index.js'
import { SEAL_BATCH_MESSAGES } from '../../src/noise/secure-stream.js'

const EMPTY = new Uint8Array(0)
const KEY = new Uint8Array(32).fill(4)

/** A connection that records the bytes of each write it is given (a writev counts once) and completes it a turn later, as a socket with a full kernel buffer would. */
class RecordingConnection extends Duplex {
  readonly writes: Buffer[] = []
  constructor () { super({ writableHighWaterMark: 16 * 1024 }) }
  override _read (): void {}
  override _write (chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.writes.push(chunk)
    setImmediate(callback)
  }

  override _writev (chunks: Array<{ chunk: Buffer }>, callback: () => void): void {
    this.writes.push(Buffer.concat(chunks.map(c => c.chunk)))
    setImmediate(callback)
  }
}

t.test(`a large write leaves in writes of at most ${SEAL_BATCH_MESSAGES} messages, each whole, opened in order`, async t => {
  const conn = new RecordingConnection()
  const stream = new NoiseSecureStream(conn, new CipherState(nodeCrypto, KEY), new CipherState(nodeCrypto, KEY))
  const data = new Uint8Array((2 * SEAL_BATCH_MESSAGES + 5) * MAX_PLAINTEXT_LENGTH + 1000).map((_, i) => i % 251)
  await new Promise<void>((resolve, reject) => { stream.write(data, err => { err == null ? resolve() : reject(err) }) })
  const messages = Math.ceil(data.length / MAX_PLAINTEXT_LENGTH)
  t.ok(conn.writes.length <= Math.ceil(messages / SEAL_BATCH_MESSAGES) + 1, `${messages} messages in ${conn.writes.length} writes`)
  const receive = new CipherState(nobleCrypto, KEY)
  const opened: Uint8Array[] = []
  for (const write of conn.writes) {
    t.ok(write.length <= (SEAL_BATCH_MESSAGES + 1) * (MAX_NOISE_MESSAGE_LENGTH + 2), `a write of ${write.length} bytes`)
    // every write ends on a message boundary: a decoder fed one write at a time holds nothing back
    const decoder = new FrameDecoder(TAGLEN)
    decoder.push(write, message => { opened.push(receive.decryptWithAd(EMPTY, message)) })
    t.equal(decoder.buffered, 0, 'the write holds whole messages only')
  }
  t.same(Buffer.concat(opened), Buffer.from(data))
  stream.destroy()
})

t.test('a small write is not held back to make a batch', async t => {
  const conn = new RecordingConnection()
  const stream = new NoiseSecureStream(conn, new CipherState(nodeCrypto, KEY), new CipherState(nodeCrypto, KEY))
  const done = new Promise<void>(resolve => { stream.write(new Uint8Array([1, 2, 3]), () => { resolve() }) })
  // the message reaches the connection in the same turn as the write
  t.equal(conn.writes.length, 1)
  t.equal(conn.writes[0].length, 2 + 3 + TAGLEN)
  await done
  stream.destroy()
})

t.test('the rest of a write that fits in one more message goes with the batch, not alone after it', async t => {
  const conn = new RecordingConnection()
  const stream = new NoiseSecureStream(conn, new CipherState(nodeCrypto, KEY), new CipherState(nodeCrypto, KEY))
  const data = new Uint8Array(SEAL_BATCH_MESSAGES * MAX_PLAINTEXT_LENGTH + 500).map((_, i) => i % 253)
  await new Promise<void>((resolve, reject) => { stream.write(data, err => { err == null ? resolve() : reject(err) }) })
  t.equal(conn.writes.length, 1, 'one write')
  const receive = new CipherState(nobleCrypto, KEY)
  const opened: Uint8Array[] = []
  new FrameDecoder(TAGLEN).push(conn.writes[0], message => { opened.push(receive.decryptWithAd(EMPTY, message)) })
  t.equal(opened.length, SEAL_BATCH_MESSAGES + 1, 'the batch and the 500-byte rest')
  t.same(Buffer.concat(opened), Buffer.from(data))
  stream.destroy()
})

/** A connection that keeps every write until `release()` (a socket whose peer reads nothing). */
class StalledConnection extends Duplex {
  writes = 0
  private held: Array<() => void> = []
  constructor () { super({ writableHighWaterMark: 16 * 1024 }) }
  override _read (): void {}
  override _write (_chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.writes++
    this.held.push(callback)
  }

  override _writev (_chunks: Array<{ chunk: Buffer }>, callback: () => void): void {
    this.writes++
    this.held.push(callback)
  }

  release (): void {
    const held = this.held
    this.held = []
    for (const callback of held) callback()
  }
}

t.test('a write is called back once all of it is sealed, though the connection is backed up; the next waits for it to drain', async t => {
  const conn = new StalledConnection()
  const stream = new NoiseSecureStream(conn, new CipherState(nodeCrypto, KEY), new CipherState(nodeCrypto, KEY))
  // a whole batch: the connection holds more than it takes before its 'drain'
  const data = new Uint8Array(SEAL_BATCH_MESSAGES * MAX_PLAINTEXT_LENGTH).fill(9)
  const first = new Promise<void>((resolve, reject) => { stream.write(data, err => { err == null ? resolve() : reject(err) }) })
  await first
  t.ok(conn.writableNeedDrain, 'called back while the connection is backed up: the bytes are sealed, the writer may reuse them')
  const writesBefore = conn.writes
  let secondDone = false
  const second = new Promise<void>((resolve, reject) => { stream.write(new Uint8Array(100), err => { secondDone = true; err == null ? resolve() : reject(err) }) })
  await new Promise(resolve => setImmediate(resolve))
  t.equal(conn.writes, writesBefore, 'the next write is not sealed while the connection holds a whole batch')
  t.notOk(secondDone)
  conn.release()
  // bounded: a second write that never goes down fails here, not by tap's timeout
  const sealed = await Promise.race([second.then(() => true), new Promise<boolean>(resolve => setTimeout(() => { resolve(false) }, 5000))])
  t.ok(sealed, 'the second write completed once the connection drained')
  t.equal(conn.writes, writesBefore + 1, 'sealed and written once the connection drained')
  stream.destroy()
})
