// Node's Writable contract: the write callback means the chunk is "fully
// handled", so a writer may refill the same buffer afterwards. A muxed
// stream sends a large payload down as a view of the writer's buffer, and
// the Noise channel seals it a turn later (src/muxer/write-batch.ts): the
// stream must call back only after that. Checked both ways (the dialer's
// stream is the optimistic multistream wrapper, the listener's the muxed
// stream itself), with chunks sent as views and chunks the muxers copy.

import t from 'tap'
import type { Duplex } from 'node:stream'
import { Libp2pNode } from '../../src/node/index.js'
import { yamux } from '../../src/yamux/index.js'
import { mplex } from '../../src/mplex/index.js'

/** Enough chunks to pass a stream's 1 MiB writable buffer twice (so the drain writer refills), at least 32. */
function chunkCount (chunkBytes: number): number {
  return Math.max(32, Math.ceil(2 * 1024 * 1024 / chunkBytes) + 1)
}

/** Writes chunkCount() chunks from one buffer, refilled with the chunk's number after each write's callback. */
async function writeRefilling (stream: Duplex, chunkBytes: number): Promise<void> {
  const buffer = Buffer.alloc(chunkBytes)
  for (let i = 0; i < chunkCount(chunkBytes); i++) {
    buffer.fill(i % 256)
    await new Promise<void>((resolve, reject) => { stream.write(buffer, err => { if (err != null) reject(err); else resolve() }) })
  }
  stream.end()
}

/**
 * Writes chunkCount() chunks without waiting for callbacks, as `pipeline` does:
 * while write() returns true, the next chunk takes a new buffer; after a
 * 'drain' every buffer written so far is free and is refilled (so several
 * queued writes go down together, through _writev).
 */
async function writeRefillingAfterDrain (stream: Duplex, chunkBytes: number): Promise<void> {
  const free: Buffer[] = []
  const used: Buffer[] = []
  for (let i = 0; i < chunkCount(chunkBytes); i++) {
    const buffer = free.pop() ?? Buffer.alloc(chunkBytes)
    buffer.fill(i % 256)
    used.push(buffer)
    if (!stream.write(buffer)) {
      await new Promise<void>((resolve, reject) => {
        stream.once('drain', resolve)
        stream.once('error', reject)
      })
      free.push(...used.splice(0))
    }
  }
  stream.end()
}

/** Numbers of the chunks that did not arrive as they were written. */
function wrongChunks (all: Buffer, chunkBytes: number): number[] {
  return Array.from({ length: chunkCount(chunkBytes) }, (_, i) => i).filter(i => all.subarray(i * chunkBytes, (i + 1) * chunkBytes).some(b => b !== i % 256))
}

/** Everything until 'end' (not async iteration: its end would destroy the stream while we still write). */
async function readAll (stream: Duplex): Promise<Buffer> {
  return await new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    stream.on('data', (chunk: Buffer) => chunks.push(chunk))
    stream.once('end', () => { resolve(Buffer.concat(chunks)) })
    stream.once('error', reject)
  })
}

const WRITERS = [['after each callback', writeRefilling], ['after each drain', writeRefillingAfterDrain]] as const

for (const [name, muxer] of [['yamux', yamux], ['mplex', mplex]] as const) {
  // 64 KiB: a view for both muxers; 8 KiB: copied by yamux, a view for mplex
  for (const chunkBytes of [64 * 1024, 8 * 1024]) {
    for (const [when, writer] of WRITERS) {
      t.test(`${name}, ${chunkBytes / 1024} KiB chunks: buffers refilled ${when} arrive as they were written, both ways`, async t => {
        const server = new Libp2pNode({ listenAddrs: ['/ip4/127.0.0.1/tcp/0'], muxers: [muxer] })
        const client = new Libp2pNode({ muxers: [muxer] })
        await server.start()
        await client.start()
        t.teardown(async () => { await client.stop(); await server.stop() })
        const atServer = new Promise<Buffer>((resolve, reject) => {
          server.handle('/refill/1.0.0', stream => {
            readAll(stream).then(resolve, reject)
            writer(stream, chunkBytes).catch(reject)
          })
        })
        const stream = await client.newStream(server.multiaddrs[0], '/refill/1.0.0')
        const [received, atClient] = await Promise.all([atServer, readAll(stream), writer(stream, chunkBytes)])
        for (const [side, all] of [['dialer to listener', received], ['listener to dialer', atClient]] as const) {
          t.equal(all.length, chunkCount(chunkBytes) * chunkBytes, `${side}: every byte`)
          t.same(wrongChunks(all, chunkBytes), [], `${side}: every chunk holds what the buffer held when it was written`)
        }
      })
    }
  }
}
