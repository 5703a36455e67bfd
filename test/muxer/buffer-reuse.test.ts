// Node's Writable contract: the write callback means the chunk is "fully
// handled", so a writer may refill the same buffer afterwards. Over yamux
// and mplex on Noise it is not so yet: a large chunk goes to the Noise
// channel as a view and is sealed a setImmediate later, after the stream's
// callback (README "Known issue: do not change a buffer after writing it to
// a stream"). Marked todo until the callback waits for the seal.

import t from 'tap'
import { Libp2pNode } from '../../src/node/index.js'
import { yamux } from '../../src/yamux/index.js'
import { mplex } from '../../src/mplex/index.js'

const CHUNKS = 32
const CHUNK_BYTES = 64 * 1024

for (const [name, muxer] of [['yamux', yamux], ['mplex', mplex]] as const) {
  t.test(`${name}: a buffer refilled after each write's callback arrives as it was written`, { todo: 'known issue: the callback comes before the Noise channel has sealed the view' }, async t => {
    const server = new Libp2pNode({ listenAddrs: ['/ip4/127.0.0.1/tcp/0'], muxers: [muxer] })
    const client = new Libp2pNode({ muxers: [muxer] })
    await server.start()
    await client.start()
    t.teardown(async () => { await client.stop(); await server.stop() })
    const received = new Promise<Buffer>(resolve => {
      server.handle('/sink/1.0.0', stream => {
        const chunks: Buffer[] = []
        stream.on('data', (chunk: Buffer) => chunks.push(chunk))
        stream.on('end', () => { resolve(Buffer.concat(chunks)); stream.end() })
      })
    })
    const stream = await client.newStream(server.multiaddrs[0], '/sink/1.0.0')
    const buffer = Buffer.alloc(CHUNK_BYTES)
    for (let i = 0; i < CHUNKS; i++) {
      buffer.fill(i)
      await new Promise<void>((resolve, reject) => { stream.write(buffer, err => { if (err != null) reject(err); else resolve() }) })
    }
    stream.end()
    const all = await received
    t.equal(all.length, CHUNKS * CHUNK_BYTES)
    const wrong = Array.from({ length: CHUNKS }, (_, i) => i).filter(i => all.subarray(i * CHUNK_BYTES, (i + 1) * CHUNK_BYTES).some(b => b !== i))
    t.same(wrong, [], 'every chunk holds what the buffer held when it was written')
  })
}
