// Shared reads are on unless P2P_SHARED_READS=0 (src/tcp/shared-reads.ts);
// this file makes sure they are on before the transport is loaded, so its
// sockets lend their reads whatever the environment says.
import t from 'tap'
import net from 'node:net'
import { once } from 'node:events'
import { readLenderOf } from '../../src/util/lent-reads.js'
import { Multiaddr } from '../../src/multiaddr/index.js'

// static imports are evaluated before this line runs, so the transport is imported after it
process.env.P2P_SHARED_READS = '1'
const { dialTcp, TcpListener } = await import('../../src/tcp/index.js')
const { SHARED_READ_BYTES, SHARED_READS_ENABLED, useSharedReads } = await import('../../src/tcp/shared-reads.js')

/** Deterministic bytes that differ at every offset of a 251-byte cycle. */
function pattern (n: number, seed: number): Buffer {
  const out = Buffer.allocUnsafe(n)
  for (let i = 0; i < n; i++) out[i] = (i * 7 + seed) % 251
  return out
}

async function pair (): Promise<{ dialed: net.Socket, accepted: net.Socket, close: () => Promise<void> }> {
  const accepted: net.Socket[] = []
  const listener = await TcpListener.listen(Multiaddr.fromString('/ip4/127.0.0.1/tcp/0'), { onConnection: socket => { accepted.push(socket) } })
  const dialed = await dialTcp(listener.multiaddrs()[0])
  while (accepted.length === 0) await new Promise(resolve => setTimeout(resolve, 2))
  return { dialed, accepted: accepted[0], close: async () => { dialed.destroy(); await listener.close({ closeConnections: true }) } }
}

async function readAll (socket: net.Socket): Promise<Buffer> {
  const chunks: Buffer[] = []
  socket.on('data', (chunk: Buffer) => chunks.push(chunk))
  await once(socket, 'end')
  return Buffer.concat(chunks)
}

t.test('dialed and accepted sockets both lend their reads (this Node supports the switch)', async t => {
  const { dialed, accepted, close } = await pair()
  t.equal(SHARED_READS_ENABLED, true, 'this file runs with shared reads on (see the top of the file)')
  t.ok(readLenderOf(dialed), 'a dialed socket lends')
  t.ok(readLenderOf(accepted), 'an accepted socket lends')
  await close()
})

t.test('to an ordinary reader a lending socket is an ordinary Duplex: every byte intact, both ways, two sockets at once', async t => {
  // all four sockets read into the same buffer: a chunk pushed as a view of it would be overwritten by the next read
  const [one, two] = await Promise.all([pair(), pair()])
  const size = 3 * 1024 * 1024
  const sends = [[one.dialed, one.accepted], [one.accepted, one.dialed], [two.dialed, two.accepted], [two.accepted, two.dialed]] as const
  const received = sends.map(([, to]) => readAll(to))
  sends.forEach(([from], i) => { from.end(pattern(size, i)) })
  const all = await Promise.all(received)
  all.forEach((bytes, i) => { t.ok(bytes.equals(pattern(size, i)), `stream ${i}: ${bytes.length} bytes, all as sent`) })
  await Promise.all([one.close(), two.close()])
})

t.test('an ordinary reader that stops reading stops the socket (bounded buffer), and resumes it', async t => {
  const { dialed, accepted, close } = await pair()
  const size = 16 * 1024 * 1024
  const data = pattern(size, 3)
  const writing = new Promise<void>(resolve => dialed.end(data, resolve))
  await new Promise(resolve => setTimeout(resolve, 100))
  // nobody has read: the socket holds at most its highWaterMark plus one shared-buffer read
  t.ok(accepted.readableLength <= accepted.readableHighWaterMark + SHARED_READ_BYTES,
    `${accepted.readableLength} bytes buffered of ${size}`)
  t.same(await readAll(accepted), data)
  await writing
  await close()
})

t.test('a receiver gets lent views until it returns false, then nothing until resume()', async t => {
  const { dialed, accepted, close } = await pair()
  const lender = readLenderOf(accepted)
  if (lender === undefined) throw new Error('no lender')
  const got: Buffer[] = []
  let calls = 0
  let paused = false
  let lentWhilePaused = 0
  lender.lend(bytes => {
    if (paused) lentWhilePaused++
    calls++
    got.push(Buffer.from(bytes))
    // pause after every third read
    paused = calls % 3 === 0
    return !paused
  })
  const size = 4 * 1024 * 1024
  dialed.end(pattern(size, 5))
  const ended = once(accepted, 'end')
  while (Buffer.concat(got).length < size) {
    await new Promise(resolve => setTimeout(resolve, 5))
    if (paused) {
      paused = false
      lender.resume()
    }
  }
  accepted.resume()
  await ended
  t.ok(calls >= 3, `${calls} lent reads`)
  t.equal(lentWhilePaused, 0, 'no read is lent while paused')
  t.ok(Buffer.concat(got).equals(pattern(size, 5)), 'every byte, in order')
  await close()
})

t.test('a socket whose internals are not what we expect stays ordinary', async t => {
  // no handle yet: nothing to point at the shared buffer
  const socket = new net.Socket()
  t.equal(useSharedReads(socket), false)
  t.equal(readLenderOf(socket), undefined)
  socket.destroy()
})
