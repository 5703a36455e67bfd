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

const CHUNKS = 32

/** Writes CHUNKS chunks from one buffer, refilled with the chunk's number after each write's callback. */
async function writeRefilling (stream: Duplex, chunkBytes: number): Promise<void> {
  const buffer = Buffer.alloc(chunkBytes)
  for (let i = 0; i < CHUNKS; i++) {
    buffer.fill(i)
    await new Promise<void>((resolve, reject) => { stream.write(buffer, err => { if (err != null) reject(err); else resolve() }) })
  }
  stream.end()
}

/** Numbers of the chunks that did not arrive as they were written. */
function wrongChunks (all: Buffer, chunkBytes: number): number[] {
  return Array.from({ length: CHUNKS }, (_, i) => i).filter(i => all.subarray(i * chunkBytes, (i + 1) * chunkBytes).some(b => b !== i))
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

for (const [name, muxer] of [['yamux', yamux], ['mplex', mplex]] as const) {
  // 64 KiB: a view for both muxers; 8 KiB: copied by yamux, a view for mplex
  for (const chunkBytes of [64 * 1024, 8 * 1024]) {
    t.test(`${name}, ${chunkBytes / 1024} KiB chunks: a buffer refilled after each write's callback arrives as it was written, both ways`, async t => {
      const server = new Libp2pNode({ listenAddrs: ['/ip4/127.0.0.1/tcp/0'], muxers: [muxer] })
      const client = new Libp2pNode({ muxers: [muxer] })
      await server.start()
      await client.start()
      t.teardown(async () => { await client.stop(); await server.stop() })
      const atServer = new Promise<Buffer>((resolve, reject) => {
        server.handle('/refill/1.0.0', stream => {
          readAll(stream).then(resolve, reject)
          writeRefilling(stream, chunkBytes).catch(reject)
        })
      })
      const stream = await client.newStream(server.multiaddrs[0], '/refill/1.0.0')
      const [received, atClient] = await Promise.all([atServer, readAll(stream), writeRefilling(stream, chunkBytes)])
      for (const [side, all] of [['dialer to listener', received], ['listener to dialer', atClient]] as const) {
        t.equal(all.length, CHUNKS * chunkBytes, `${side}: every byte`)
        t.same(wrongChunks(all, chunkBytes), [], `${side}: every chunk holds what the buffer held when it was written`)
      }
    })
  }
}
