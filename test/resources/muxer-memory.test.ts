// The muxers with a MemoryBudget (src/muxer/types.ts), on their own over an
// in-memory pair. yamux reserves each receive window it grants: 256 KiB per
// stream up front (a SYN over the budget gets RST, a local newStream throws),
// growth only when granted. mplex reserves the bytes it buffers until they
// are read, and resets the one stream whose message does not fit. Every
// stream gives back all it reserved, once.

import t from 'tap'
import { once } from 'node:events'
import { createYamux, encodeFrame as encodeYamuxFrame, Flag as YamuxFlag, INITIAL_STREAM_WINDOW, type YamuxSession, type YamuxStream } from '../../src/yamux/index.js'
import { createMplex, encodeFrame, type MplexSession, type MplexStream } from '../../src/mplex/index.js'
import { MemoryTotal } from '../../src/resources/memory.js'
import { duplexPair } from '../helpers/duplex-pair.js'
import { readAll, shutdown, tick } from '../yamux/fixtures/raw-peer.js'
import { codesOf, pseudoRandomBytes } from '../hostile/harness.js'
import { CountingBudget } from './budget.js'

const W = INITIAL_STREAM_WINDOW
const KiB = 1024
const MiB = 1024 * KiB

function yamuxPair (clientBudget?: CountingBudget, serverBudget?: CountingBudget): [YamuxSession, YamuxSession] {
  const [a, b] = duplexPair()
  return [
    createYamux(a, { initiator: true, measureRtt: false, memoryBudget: clientBudget }),
    createYamux(b, { initiator: false, measureRtt: false, memoryBudget: serverBudget })
  ]
}

function mplexPair (clientBudget?: CountingBudget, serverBudget?: CountingBudget): [MplexSession, MplexSession] {
  const [a, b] = duplexPair()
  return [
    createMplex(a, { initiator: true, memoryBudget: clientBudget }),
    createMplex(b, { initiator: false, memoryBudget: serverBudget })
  ]
}

async function until (condition: () => boolean, ms = 3_000): Promise<void> {
  for (const deadline = Date.now() + ms; !condition();) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await tick(5)
  }
}

t.test('yamux: each stream reserves its initial window; over the budget newStream throws and a SYN gets RST', async t => {
  const clientBudget = new CountingBudget(3 * W)
  const serverBudget = new CountingBudget(2 * W)
  const [client, server] = yamuxPair(clientBudget, serverBudget)
  const held: YamuxStream[] = []
  server.on('stream', (stream: YamuxStream) => { stream.on('error', () => {}); held.push(stream) })

  const s1 = client.newStream()
  const s2 = client.newStream()
  const s3 = client.newStream()
  for (const s of [s1, s2, s3]) s.on('error', () => {})
  t.equal(clientBudget.reserved, 3 * W, 'three streams, three 256 KiB windows')
  t.throws(() => client.newStream(), { code: 'ERR_RESOURCE_LIMIT_EXCEEDED' }, 'a fourth does not fit')
  t.equal(clientBudget.refusals, 1)
  t.equal(client.streams.length, 3, 'the refused stream was never opened')

  // the server has room for two: the third SYN is answered with RST
  const [err] = await once(s3, 'error') as [Error]
  t.ok(codesOf(err).includes('ERR_STREAM_RESET'), `the third stream was reset by the server (${codesOf(err).join(' / ')})`)
  t.equal(held.length, 2)
  t.equal(serverBudget.reserved, 2 * W)
  t.equal(serverBudget.refusals, 1)
  await until(() => clientBudget.reserved === 2 * W)
  t.pass('the reset stream gave its window back')

  // room again after a stream ends; the refused newStream used no stream ID
  held[0].destroy()
  await until(() => serverBudget.reserved === W && clientBudget.reserved === W)
  const s4 = client.newStream()
  s4.on('error', () => {})
  t.equal(s4.id, 7, 'IDs 1, 3, 5 were used; the refused attempt took none')
  await until(() => held.length === 3)
  t.equal(serverBudget.reserved, 2 * W)

  shutdown(client, server)
  await tick(10)
  for (const [name, budget] of [['client', clientBudget], ['server', serverBudget]] as const) {
    t.equal(budget.reserved, 0, `${name}: all given back when the session ended`)
    t.equal(budget.releasedTotal, budget.reservedTotal, `${name}: released exactly what was reserved`)
    t.same(budget.overReleases, [], `${name}: no stream released twice`)
  }
})

t.test('yamux: every way a stream ends gives its memory back exactly once', async t => {
  const clientBudget = new CountingBudget(64 * W)
  const serverBudget = new CountingBudget(64 * W)
  const [client, server] = yamuxPair(clientBudget, serverBudget)
  server.on('stream', (stream: YamuxStream) => {
    stream.on('error', () => {})
    stream.pipe(stream)
  })
  // a graceful echo: both FINs, then read to the end
  const graceful = client.newStream()
  graceful.end(Buffer.from('hello'))
  t.equal((await readAll(graceful)).toString(), 'hello')
  // a local reset, a reset by the remote, a second destroy
  const reset = client.newStream()
  reset.on('error', () => {})
  reset.destroy()
  reset.destroy()
  const remoteReset = client.newStream()
  remoteReset.on('error', () => {})
  remoteReset.write('x')
  await until(() => server.streams.length >= 1)
  for (const s of server.streams) s.destroy()
  // and one still open when the session ends
  const open = client.newStream()
  open.on('error', () => {})
  await tick(20)
  client.abort(new Error('the end'))
  await tick(20)
  for (const [name, budget] of [['client', clientBudget], ['server', serverBudget]] as const) {
    t.equal(budget.reserved, 0, `${name}: nothing left reserved`)
    t.equal(budget.releasedTotal, budget.reservedTotal, `${name}: released = reserved (${budget.reservedTotal})`)
    t.same(budget.overReleases, [], `${name}: no double release`)
  }
  t.equal(clientBudget.reservedTotal, 4 * W, 'four client streams, one window each')
})

/** Sends `payload` from client to server on one stream; resolves with the server stream and what it read. */
async function transfer (client: YamuxSession, server: YamuxSession, payload: Buffer): Promise<{ stream: YamuxStream, received: Buffer }> {
  const inbound = once(server, 'stream') as Promise<[YamuxStream]>
  const stream = client.newStream()
  stream.end(payload)
  const [remote] = await inbound
  const received = await readAll(remote)
  remote.end()
  await readAll(stream)
  return { stream: remote, received }
}

t.test('yamux: window growth refused under a small budget; 8 MiB still arrive intact', async t => {
  const payload = Buffer.from(pseudoRandomBytes(8 * MiB, 9))

  // control: with room, auto-tuning grows the window (an RTT this large makes every window look fast)
  const roomy = new CountingBudget(64 * MiB)
  const [c1, s1] = yamuxPair(undefined, roomy)
  s1.rtt = 1e9
  const grown = await transfer(c1, s1, payload)
  t.ok(grown.received.equals(payload), 'control: the bytes arrive intact')
  t.ok(grown.stream.recvWindow > W, `control: the window grew to ${grown.stream.recvWindow}`)
  t.ok(roomy.reservedTotal > W, 'and the growth was reserved')
  await tick(10)
  t.equal(roomy.reserved, 0, 'initial window and growth given back')
  t.equal(roomy.releasedTotal, roomy.reservedTotal)
  shutdown(c1, s1)

  // one window's worth of budget: no growth is ever granted
  const tight = new CountingBudget(W)
  const [c2, s2] = yamuxPair(undefined, tight)
  s2.rtt = 1e9
  const flat = await transfer(c2, s2, payload)
  t.ok(flat.received.equals(payload), 'the 8 MiB arrive intact, byte for byte')
  t.equal(flat.stream.recvWindow, W, 'the window stayed at 256 KiB')
  t.ok(tight.refusals >= 8 * MiB / W - 1, `every growth was refused (${tight.refusals} times), and none was an error`)
  await tick(10)
  t.equal(tight.reserved, 0)
  t.equal(tight.releasedTotal, W, 'only the initial window was ever reserved')
  shutdown(c2, s2)
})

t.test('mplex: unread bytes are reserved and given back as they are read', async t => {
  const serverBudget = new CountingBudget(16 * MiB)
  const [client, server] = mplexPair(undefined, serverBudget)
  const inbound = once(server, 'stream') as Promise<[MplexStream]>
  const stream = client.newStream()
  const payload = Buffer.from(pseudoRandomBytes(300_000, 3))
  stream.write(payload)
  const [remote] = await inbound
  await until(() => remote.readableLength === payload.length)
  t.equal(serverBudget.reserved, payload.length, 'everything received and unread is reserved')
  const first = remote.read(100_000) as Buffer
  t.ok(first.equals(payload.subarray(0, 100_000)))
  t.equal(serverBudget.reserved, payload.length - 100_000, 'a read gives its bytes back at once')
  const rest = remote.read() as Buffer
  t.ok(rest.equals(payload.subarray(100_000)))
  t.equal(serverBudget.reserved, 0)
  // a flowing reader: data events take the bytes as they come
  const seen: Buffer[] = []
  remote.on('data', (chunk: Buffer) => { seen.push(chunk) })
  stream.end(payload)
  await once(remote, 'end')
  t.ok(Buffer.concat(seen).equals(payload))
  t.equal(serverBudget.reserved, 0, 'nothing stays reserved for bytes a flowing reader took')
  remote.end()
  await tick(10)
  t.equal(serverBudget.releasedTotal, serverBudget.reservedTotal)
  t.same(serverBudget.overReleases, [])
  client.abort(new Error('done'))
})

t.test('mplex: when a message does not fit, the stream never read is reset; the one being read keeps delivering', async t => {
  const serverBudget = new CountingBudget(MiB)
  const [client, server] = mplexPair(undefined, serverBudget)
  const inbound: MplexStream[] = []
  server.on('stream', (stream: MplexStream) => { stream.on('error', () => {}); inbound.push(stream) })
  const hoarded = client.newStream()
  const flowing = client.newStream()
  for (const s of [hoarded, flowing]) s.on('error', () => {})
  const data = Buffer.from(pseudoRandomBytes(3 * MiB, 5))
  const reset = once(hoarded, 'error') as Promise<[Error]>
  // the first stream is never read; the second is, and both are written at once (64 KiB messages, interleaved)
  await until(() => inbound.length === 2)
  const [never, read] = inbound
  const received: Buffer[] = []
  read.on('data', (chunk: Buffer) => { received.push(chunk) })
  const ended = once(read, 'end')
  hoarded.write(data.subarray(0, 2 * MiB))
  flowing.end(data)
  const [err] = await reset
  t.ok(codesOf(err).includes('ERR_STREAM_RESET'), 'the writer of the hoarded stream saw the reset')
  t.ok(never.destroyed, 'the unread stream was reset')
  t.ok(codesOf(never.errored).includes('ERR_RESOURCE_LIMIT_EXCEEDED'), `with ERR_RESOURCE_LIMIT_EXCEEDED (got ${codesOf(never.errored).join(' / ')})`)
  t.ok(serverBudget.refusals >= 1)
  t.notOk(read.destroyed, 'the stream being read was not reset, whichever message met the full budget')
  await ended
  t.ok(Buffer.concat(received).equals(data), 'the other stream delivered all 3 MiB, byte for byte')
  t.equal(serverBudget.reserved, 0, 'the reset stream gave back what it held')
  const third = client.newStream()
  third.on('error', () => {})
  await until(() => inbound.length === 3)
  t.pass('and opens new streams')
  client.abort(new Error('done'))
  await tick(10)
  t.equal(serverBudget.reserved, 0)
  t.equal(serverBudget.releasedTotal, serverBudget.reservedTotal)
  t.same(serverBudget.overReleases, [])
})

t.test('mplex: a stream closed both ways but never read still counts as a slow reader: it is reset, not an innocent stream', async t => {
  const [a, b] = duplexPair()
  b.resume()
  const budget = new MemoryTotal(8 * MiB, () => {}).openAccount(8 * MiB)
  const session = createMplex(a, { initiator: true, memoryBudget: budget })
  const remote = (frame: Parameters<typeof encodeFrame>[0]): void => { b.write(encodeFrame(frame)) }
  // two streams we end at once and never read; the remote fills each with 4 MiB and closes it
  const unread = [session.newStream(), session.newStream()]
  for (const stream of unread) {
    stream.on('error', () => {})
    stream.end()
    for (let i = 0; i < 4; i++) remote({ type: 'MessageReceiver', streamId: stream.id, data: [Buffer.alloc(MiB)] })
    remote({ type: 'CloseReceiver', streamId: stream.id })
  }
  const reader = session.newStream()
  const received: Buffer[] = []
  reader.on('data', (chunk: Buffer) => received.push(chunk))
  let readerError: Error | undefined
  reader.on('error', err => { readerError = err })
  await tick(50)
  t.equal(budget.reserved, 8 * MiB, 'the budget is full of unread data')
  remote({ type: 'MessageReceiver', streamId: reader.id, data: [Buffer.from('hi')] })
  await tick(50)
  t.equal(readerError, undefined, 'the stream being read is not reset')
  t.equal(Buffer.concat(received).toString(), 'hi', 'and gets its data')
  t.ok(unread.some(stream => stream.destroyed), 'one never-read stream was reset instead')
  session.abort(new Error('done'))
})

t.test('tiny payloads to a stream nobody reads are held as one buffer per read, not one each (each buffer costs ~200 bytes of heap the limits do not count)', async t => {
  const COUNT = 10_000
  // yamux: the remote opens a stream and sends 10,000 one-byte Data frames in one write
  {
    const [a, b] = duplexPair()
    b.resume()
    const session = createYamux(a, { initiator: true, measureRtt: false, keepAliveIntervalMs: 0 })
    const accepted = once(session, 'stream') as Promise<[YamuxStream]>
    const frames = [encodeYamuxFrame({ type: 'windowUpdate', flags: YamuxFlag.SYN, streamId: 2, delta: 0 })]
    for (let i = 0; i < COUNT; i++) frames.push(encodeYamuxFrame({ type: 'data', flags: 0, streamId: 2, data: Uint8Array.of(i & 0xff) }))
    b.write(Buffer.concat(frames))
    const [stream] = await accepted
    await tick(20)
    t.equal(stream.readableLength, COUNT, 'yamux: every byte is there')
    const chunks: Buffer[] = []
    stream.on('data', (chunk: Buffer) => chunks.push(chunk))
    await tick(20)
    t.ok(chunks.length <= 2, `yamux: held as ${chunks.length} buffer(s)`)
    t.same([...Buffer.concat(chunks)], Array.from({ length: COUNT }, (_, i) => i & 0xff), 'yamux: in order')
    shutdown(session)
  }
  // mplex: the same with one-byte Messages
  {
    const [a, b] = duplexPair()
    b.resume()
    const session = createMplex(a, { initiator: false })
    const accepted = once(session, 'stream') as Promise<[MplexStream]>
    const frames = [encodeFrame({ type: 'NewStream', streamId: 7, name: new Uint8Array(0) })]
    for (let i = 0; i < COUNT; i++) frames.push(encodeFrame({ type: 'MessageInitiator', streamId: 7, data: [Uint8Array.of(i & 0xff)] }))
    b.write(Buffer.concat(frames))
    const [stream] = await accepted
    stream.on('error', () => {})
    await tick(20)
    t.equal(stream.readableLength, COUNT, 'mplex: every byte is there')
    t.equal(stream.bufferedBytes, COUNT, 'mplex: and reserved')
    const chunks: Buffer[] = []
    stream.on('data', (chunk: Buffer) => chunks.push(chunk))
    await tick(20)
    t.ok(chunks.length <= 2, `mplex: held as ${chunks.length} buffer(s)`)
    t.same([...Buffer.concat(chunks)], Array.from({ length: COUNT }, (_, i) => i & 0xff), 'mplex: in order')
    t.equal(stream.bufferedBytes, 0, 'mplex: all given back once read')
    session.abort(new Error('done'))
  }
})

t.test('streams opened together in one read are each announced with their first bytes already there, gathered or not', async t => {
  const first = Buffer.from('/multistream/1.0.0\n')
  // yamux: two streams opened in one write, each with a small first payload
  {
    const [a, b] = duplexPair()
    b.resume()
    const session = createYamux(a, { initiator: true, measureRtt: false, keepAliveIntervalMs: 0 })
    const seen: number[] = []
    session.on('stream', (stream: YamuxStream) => { seen.push(stream.readableLength) })
    b.write(Buffer.concat([2, 4].map(id => encodeYamuxFrame({ type: 'data', flags: YamuxFlag.SYN, streamId: id, data: first }))))
    await tick(20)
    t.same(seen, [first.length, first.length], 'yamux: each stream\'s bytes are there when it is announced')
    shutdown(session)
  }
  // mplex: the same
  {
    const [a, b] = duplexPair()
    b.resume()
    const session = createMplex(a, { initiator: false })
    const seen: number[] = []
    session.on('stream', (stream: MplexStream) => { stream.on('error', () => {}); seen.push(stream.readableLength) })
    b.write(Buffer.concat([7, 8].flatMap(id => [
      encodeFrame({ type: 'NewStream', streamId: id, name: new Uint8Array(0) }),
      encodeFrame({ type: 'MessageInitiator', streamId: id, data: [first] })
    ])))
    await tick(20)
    t.same(seen, [first.length, first.length], 'mplex: each stream\'s bytes are there when it is announced')
    session.abort(new Error('done'))
  }
})
