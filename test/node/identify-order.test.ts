// Identify's automatic start on a new connection (src/node/identify-service.ts):
// it is under way from the moment the connection opens, but its stream
// opens only after the connection's first turn has been written, so the
// application's first stream leaves ahead of it, on both sides.

import t from 'tap'
import type { Duplex } from 'node:stream'
import type { Libp2pNode } from '../../src/node/index.js'
import { NoiseSecureStream } from '../../src/noise/secure-stream.js'
import { yamux } from '../../src/yamux/index.js'
import { mplex } from '../../src/mplex/index.js'
import { IDENTIFY_PROTOCOL, PING_PROTOCOL, handleIdentify, handlePing, ping } from '../../src/protocols/index.js'
import { startNode } from '../helpers/node.js'


/** Replaces `node`'s ping and identify handlers with the same ones that also note, in order, which protocol's stream came in. */
function recordInbound (node: Libp2pNode, seen: string[]): void {
  node.switch.handle(PING_PROTOCOL, async (stream: Duplex) => {
    seen.push(PING_PROTOCOL)
    await handlePing(stream)
  })
  node.switch.handle(IDENTIFY_PROTOCOL, async (stream, connection) => {
    seen.push(IDENTIFY_PROTOCOL)
    await handleIdentify(stream, node.identifyService.localInfo(connection))
  })
}

/** Resolves on the next 'identify' event of each node. */
async function identified (...nodes: Libp2pNode[]): Promise<void> {
  await Promise.all(nodes.map(async node => { await new Promise(resolve => { node.identifyService.once('identify', resolve) }) }))
}

t.test('a dialer\'s first stream reaches the listener before the dialer\'s identify', async t => {
  const listener = await startNode(t, { listenAddrs: ['/ip4/127.0.0.1/tcp/0'] })
  const seen: string[] = []
  recordInbound(listener, seen)
  const dialer = await startNode(t)
  const done = identified(listener, dialer)
  const connection = await dialer.dial(listener.multiaddrs[0])
  // opened as soon as the dial resolves, in the same event-loop turn
  await ping(await connection.newStream(PING_PROTOCOL))
  await done
  t.same(seen, [PING_PROTOCOL, IDENTIFY_PROTOCOL], 'the ping stream first, then identify')
})

for (const muxer of [yamux, mplex]) {
  t.test(`${muxer.protocol}: the writes that carry the first stream carry no identify frame, on either side`, async t => {
    // what each Noise channel is given to seal, one entry per write (a muxer's batch of one turn)
    const writes = new Map<NoiseSecureStream, string[]>()
    const note = (channel: NoiseSecureStream, chunks: Uint8Array[]): void => {
      const list = writes.get(channel) ?? []
      list.push(Buffer.concat(chunks).toString('latin1'))
      writes.set(channel, list)
    }
    const write = NoiseSecureStream.prototype._write
    const writev = NoiseSecureStream.prototype._writev
    NoiseSecureStream.prototype._write = function (this: NoiseSecureStream, chunk, encoding, callback) {
      note(this, [chunk])
      write.call(this, chunk, encoding, callback)
    }
    NoiseSecureStream.prototype._writev = function (this: NoiseSecureStream, chunks, callback) {
      note(this, chunks.map(c => c.chunk))
      writev.call(this, chunks, callback)
    }
    t.teardown(() => {
      NoiseSecureStream.prototype._write = write
      NoiseSecureStream.prototype._writev = writev
    })
    const listener = await startNode(t, { listenAddrs: ['/ip4/127.0.0.1/tcp/0'], muxers: [muxer] })
    const dialer = await startNode(t, { muxers: [muxer] })
    const done = identified(listener, dialer)
    const connection = await dialer.dial(listener.multiaddrs[0])
    await ping(await connection.newStream(PING_PROTOCOL))
    await done
    // the dialer's channel writes first (the listener only answers)
    const [dialerWrites, listenerWrites] = [...writes.values()]
    const carrying = (list: string[], text: string): number => list.findIndex(w => w.includes(text))
    for (const [side, list] of [['dialer', dialerWrites], ['listener', listenerWrites]] as const) {
      const first = carrying(list, PING_PROTOCOL)
      t.ok(first >= 0, `the ${side}'s ping frames are written`)
      t.notOk(list[first].includes(IDENTIFY_PROTOCOL), `the ${side}'s write with its first ping frames holds no identify frame`)
      t.ok(carrying(list, IDENTIFY_PROTOCOL) > first, `the ${side}'s identify frames follow in a later write`)
    }
  })
}

t.test('identify() right after the dial joins the automatic identify: one identify stream reaches the peer', async t => {
  const listener = await startNode(t, { listenAddrs: ['/ip4/127.0.0.1/tcp/0'] })
  const seen: string[] = []
  recordInbound(listener, seen)
  const dialer = await startNode(t)
  const connection = await dialer.dial(listener.multiaddrs[0])
  const result = await dialer.identifyService.identify(connection)
  t.ok(result.protocols.includes(PING_PROTOCOL))
  await new Promise(resolve => setTimeout(resolve, 50))
  t.same(seen, [IDENTIFY_PROTOCOL], 'one identify stream from the dialer')
})

t.test('a connection closed in the turn it opened opens no identify stream', async t => {
  const listener = await startNode(t, { listenAddrs: ['/ip4/127.0.0.1/tcp/0'] })
  const seen: string[] = []
  recordInbound(listener, seen)
  const dialer = await startNode(t)
  let identifies = 0
  dialer.identifyService.on('identify', () => { identifies++ })
  const connection = await dialer.dial(listener.multiaddrs[0])
  await connection.close()
  t.equal(connection.status, 'closed')
  t.equal(identifies, 0, 'no identify on the dialer')
  t.same(seen, [], 'no identify stream reached the listener')
})
