// Sealed messages in reused buffers (src/noise/sealed-buffers.ts): over a
// real socket whose kernel buffers fill (the reader waits), every byte still
// arrives as sent, so no buffer was reused before the socket had written it;
// buffers do come back; and over any Duplex but a plain net.Socket none is
// taken, since such a stream may hand the chunk itself to its reader.

import t from 'tap'
import crypto from 'node:crypto'
import { CipherState, MAX_PLAINTEXT_LENGTH, NoiseSecureStream, nativeAead, nodeCrypto } from '../../src/noise/index.js'
import { MAX_SPARE_SEALED_BUFFERS, spareSealedBuffers, takeSealedBuffer } from '../../src/noise/sealed-buffers.js'
import { SEAL_BATCH_MESSAGES } from '../../src/noise/secure-stream.js'
import { duplexPair, tcpPair } from '../helpers/duplex-pair.js'
import { readAll } from '../helpers/read-all.js'

const KEY = new Uint8Array(32).fill(11)

function channel (conn: import('node:stream').Duplex): NoiseSecureStream {
  return new NoiseSecureStream(conn, new CipherState(nodeCrypto, KEY), new CipherState(nodeCrypto, KEY))
}

/** Writes every chunk with backpressure, then ends. */
async function writeAll (stream: NoiseSecureStream, chunks: Uint8Array[]): Promise<void> {
  for (const chunk of chunks) {
    if (!stream.write(chunk)) await new Promise(resolve => stream.once('drain', resolve))
  }
  stream.end()
}

t.equal(MAX_SPARE_SEALED_BUFFERS, 2 * (SEAL_BATCH_MESSAGES + 1), 'two full seal batches are kept')

t.test('over TCP with full kernel buffers, 12 MiB of distinct bytes arrive as sent', async t => {
  const [a, b] = await tcpPair()
  const sender = channel(a)
  const receiver = channel(b)
  // distinct content in every message: a buffer reused too early would
  // show as another message's bytes
  const chunks = Array.from({ length: 12 * 16 }, () => crypto.randomBytes(64 * 1024))
  const sent = crypto.createHash('sha256')
  for (const chunk of chunks) sent.update(chunk)
  const writing = writeAll(sender, chunks)
  // let the sender fill the socket's buffers and the kernel's before reading
  await new Promise(resolve => setTimeout(resolve, 200))
  const received = await readAll(receiver)
  await writing
  t.equal(received.length, 12 * 1024 * 1024)
  t.equal(crypto.createHash('sha256').update(received).digest('hex'), sent.digest('hex'), 'byte for byte')
  if (nativeAead !== undefined) t.ok(spareSealedBuffers() > 0, `${spareSealedBuffers()} buffers came back`)
  sender.destroy()
  receiver.destroy()
})

t.test('over a Duplex pair no reused buffer is handed on', async t => {
  const [a, b] = duplexPair()
  const sender = channel(a)
  const receiver = channel(b)
  // every spare taken out of reach: if the channel took one, it would be new
  const taken = Array.from({ length: spareSealedBuffers() }, () => takeSealedBuffer())
  t.equal(spareSealedBuffers(), 0)
  const chunks = Array.from({ length: 8 }, () => crypto.randomBytes(MAX_PLAINTEXT_LENGTH))
  const writing = writeAll(sender, chunks)
  const received = await readAll(receiver)
  await writing
  t.same(received, Buffer.concat(chunks))
  t.equal(spareSealedBuffers(), 0, 'nothing was given back, so nothing was taken')
})
