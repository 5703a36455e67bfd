// Full libp2p Noise handshakes between two of our peers: every identity key
// type, expected-peer checks, early data, key log, and 10 MiB both ways over
// a real loopback TCP pair.

import t from 'tap'
import { createHash, randomBytes } from 'node:crypto'
import type { Duplex } from 'node:stream'
import { secureInbound, secureOutbound, type HandshakeMessageInfo, type SplitKeys } from '../../src/noise/index.js'
import { generateKeyPair, PeerId, type KeyTypeName, type PrivateKey } from '../../src/peer/index.js'
import { duplexPair, tcpPair } from '../helpers/duplex-pair.js'
import { readAll } from '../helpers/read-all.js'

const KEY_TYPES: KeyTypeName[] = ['Ed25519', 'Secp256k1', 'ECDSA', 'RSA']
const keys = new Map<KeyTypeName, PrivateKey>(KEY_TYPES.map(type => [type, generateKeyPair(type)]))
const key = (type: KeyTypeName): PrivateKey => keys.get(type) as PrivateKey

for (const dialerType of KEY_TYPES) {
  for (const listenerType of KEY_TYPES) {
    t.test(`${dialerType} dialer ↔ ${listenerType} listener`, async t => {
      const [a, b] = duplexPair()
      const dialerKey = key(dialerType)
      const listenerKey = key(listenerType)
      const [out, inb] = await Promise.all([
        secureOutbound(a, { privateKey: dialerKey, remotePeer: PeerId.fromPublicKey(listenerKey.publicKey) }),
        secureInbound(b, { privateKey: listenerKey })
      ])
      t.ok(out.remotePeer.equals(PeerId.fromPublicKey(listenerKey.publicKey)), 'dialer sees the listener')
      t.ok(inb.remotePeer.equals(PeerId.fromPublicKey(dialerKey.publicKey)), 'listener sees the dialer')
      t.ok(out.remotePublicKey.equals(listenerKey.publicKey))
      t.ok(inb.remotePublicKey.equals(dialerKey.publicKey))
      out.stream.end('ping')
      inb.stream.end('pong')
      t.equal((await readAll(inb.stream)).toString(), 'ping')
      t.equal((await readAll(out.stream)).toString(), 'pong')
    })
  }
}

t.test('early data, trace and key log', async t => {
  const [a, b] = duplexPair()
  const traceOut: HandshakeMessageInfo[] = []
  const traceIn: HandshakeMessageInfo[] = []
  const logged: SplitKeys[] = []
  let beforeFirstReadCalled = 0
  const [out, inb] = await Promise.all([
    secureOutbound(a, {
      privateKey: key('Ed25519'),
      extensions: { streamMuxers: ['/yamux/1.0.0', '/mplex/6.7.0'] },
      onHandshakeMessage: info => traceOut.push(info),
      onKeys: k => logged.push(k),
      beforeFirstRead: async () => { beforeFirstReadCalled++ }
    }),
    secureInbound(b, {
      privateKey: key('Secp256k1'),
      extensions: { streamMuxers: ['/yamux/1.0.0'] },
      onHandshakeMessage: info => traceIn.push(info),
      onKeys: k => logged.push(k)
    })
  ])
  t.equal(beforeFirstReadCalled, 1)
  t.same(out.remoteExtensions, { streamMuxers: ['/yamux/1.0.0'], webtransportCerthashes: [] })
  t.same(inb.remoteExtensions, { streamMuxers: ['/yamux/1.0.0', '/mplex/6.7.0'], webtransportCerthashes: [] })
  t.same(traceOut.map(i => [i.index, i.direction, i.tokens]), [[0, 'sent', '-> e'], [1, 'received', '<- e, ee, s, es'], [2, 'sent', '-> s, se']])
  t.same(traceIn.map(i => [i.index, i.direction, i.tokens]), [[0, 'received', '-> e'], [1, 'sent', '<- e, ee, s, es'], [2, 'received', '-> s, se']])
  // message 1 is the ephemeral key alone: 2 + 32 bytes
  t.equal(traceOut[0].size, 34)
  t.equal(traceOut[0].payload, 'empty')
  t.same(traceOut.map(i => i.size), traceIn.map(i => i.size), 'both sides saw the same sizes')
  t.match(traceIn[2].payload, /stream_muxers \[\/yamux\/1.0.0, \/mplex\/6.7.0\]/)
  t.equal(logged.length, 2)
  t.same(logged[0], logged[1], 'both sides derived the same keys')
  t.equal(logged[0].initiatorToResponder.length, 32)
  t.notSame(logged[0].initiatorToResponder, logged[0].responderToInitiator)
  out.stream.destroy()
  inb.stream.destroy()
})

t.test('sendChosenMuxerOnly: message 3 lists only the first of ours the responder listed', async t => {
  // inlined-muxer-negotiation.md: the initiator "MAY choose a single multiplexer from the responder's list and only send that value"
  const cases: Array<[string[], string[], string[]]> = [
    [['/mplex/6.7.0', '/yamux/1.0.0'], ['/yamux/1.0.0', '/mplex/6.7.0'], ['/mplex/6.7.0']],
    [['/foo/1', '/yamux/1.0.0'], ['/yamux/1.0.0'], ['/yamux/1.0.0']],
    [['/mplex/6.7.0'], ['/yamux/1.0.0'], ['/mplex/6.7.0']] // no overlap: ours whole (the upgrade then fails on both sides)
  ]
  for (const [ours, theirs, sent] of cases) {
    const [a, b] = duplexPair()
    const [, inb] = await Promise.all([
      secureOutbound(a, { privateKey: key('Ed25519'), extensions: { streamMuxers: ours }, sendChosenMuxerOnly: true }),
      secureInbound(b, { privateKey: key('Ed25519'), extensions: { streamMuxers: theirs } })
    ])
    t.same(inb.remoteExtensions.streamMuxers, sent, `${ours.join(' ')} to ${theirs.join(' ')}`)
    inb.stream.destroy()
  }
})

t.test('the dialer rejects an unexpected peer', async t => {
  const [a, b] = duplexPair()
  const someoneElse = PeerId.fromPublicKey(generateKeyPair('Ed25519').publicKey)
  const inbound = secureInbound(b, { privateKey: key('Ed25519') })
  await t.rejects(secureOutbound(a, { privateKey: key('Secp256k1'), remotePeer: someoneElse }), { code: 'ERR_UNEXPECTED_PEER' })
  // the dialer closed the connection, so the listener fails too, without crashing
  await t.rejects(inbound, { code: 'ERR_UNEXPECTED_EOF' })
  t.ok(a.destroyed)
})

t.test('half-close over loopback TCP: the listener answers after the dialer has ended', async t => {
  const [client, server] = await tcpPair()
  const [out, inb] = await Promise.all([
    secureOutbound(client, { privateKey: key('Ed25519') }),
    secureInbound(server, { privateKey: key('Ed25519') })
  ])
  const request = randomBytes(300_000)
  const answer = randomBytes(300_000)
  out.stream.end(request)
  t.same(await readAll(inb.stream), request, 'the dialer\'s bytes, up to its end')
  t.ok(inb.stream.writable && !server.writableEnded, 'the listener\'s direction is still open')
  inb.stream.end(answer)
  t.same(await readAll(out.stream), answer, 'the listener\'s answer, sent after the dialer ended')
  client.destroy()
})

t.test('an end() after the remote\'s end loses nothing the socket still held: the channel finishes only once the socket has flushed', async t => {
  const [client, server] = await tcpPair()
  const [out, inb] = await Promise.all([
    secureOutbound(client, { privateKey: key('Ed25519') }),
    secureInbound(server, { privateKey: key('Ed25519') })
  ])
  out.stream.end()
  t.equal((await readAll(inb.stream)).length, 0, 'the dialer ended first')
  // a slow reader keeps the listener's socket backed up: its last writes are
  // called back (sealed) while the socket still holds them, and then comes
  // the end(); more than loopback's kernel buffers hold
  const answer = randomBytes(12 * 1024 * 1024)
  const chunks: Buffer[] = []
  const errors: Error[] = []
  out.stream.on('error', err => errors.push(err))
  const received = new Promise<void>(resolve => {
    out.stream.once('end', resolve)
    out.stream.once('close', resolve)
  })
  out.stream.on('data', (chunk: Buffer) => {
    chunks.push(chunk)
    out.stream.pause()
    setTimeout(() => out.stream.resume(), 4)
  })
  let heldAtFinish = -1
  inb.stream.once('finish', () => { heldAtFinish = server.writableLength })
  for (let offset = 0; offset < answer.length; offset += 1024 * 1024) inb.stream.write(answer.subarray(offset, offset + 1024 * 1024))
  inb.stream.end()
  await received
  const got = Buffer.concat(chunks)
  t.same(errors.map(e => e.message), [], 'the reader saw no error')
  t.equal(got.length, answer.length, 'every byte arrived')
  t.ok(got.equals(answer), 'byte for byte')
  t.equal(heldAtFinish, 0, 'the listener finished once its socket had handed everything to the kernel')
  client.destroy()
})

t.test('10 MiB both directions over loopback TCP', async t => {
  const [client, server] = await tcpPair()
  const [out, inb] = await Promise.all([
    secureOutbound(client, { privateKey: key('Ed25519') }),
    secureInbound(server, { privateKey: key('Ed25519') })
  ])
  const size = 10 * 1024 * 1024
  const up = randomBytes(size)
  const down = randomBytes(size)
  const digest = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex')
  const received = Promise.all([readAll(inb.stream), readAll(out.stream)])
  // awaited below; a failure while the writes run must show there, not as an unhandled rejection
  received.catch(() => {})
  // many writes of awkward sizes, respecting backpressure
  const writeAll = async (stream: Duplex, data: Buffer): Promise<void> => {
    for (let offset = 0; offset < data.length;) {
      const n = Math.min(data.length - offset, 1 + (offset % 200_000))
      if (!stream.write(data.subarray(offset, offset + n))) await new Promise(resolve => stream.once('drain', resolve))
      offset += n
    }
    stream.end()
  }
  await Promise.all([writeAll(out.stream, up), writeAll(inb.stream, down)])
  const [gotUp, gotDown] = await received
  t.equal(gotUp.length, size)
  t.equal(digest(gotUp), digest(up), 'dialer → listener intact')
  t.equal(digest(gotDown), digest(down), 'listener → dialer intact')
  client.destroy()
  server.destroy()
})

t.test('one huge write is split into messages of at most 65535 bytes', async t => {
  const [a, b] = duplexPair()
  const [out, inb] = await Promise.all([
    secureOutbound(a, { privateKey: key('Ed25519') }),
    secureInbound(b, { privateKey: key('Ed25519') })
  ])
  const data = randomBytes(3 * 65519 + 5)
  out.stream.end(data)
  t.same(await readAll(inb.stream), data)
  inb.stream.destroy()
})

t.test('nonce exhaustion on a live channel terminates the connection, on either side', async t => {
  // noise/README.md "Encryption and I/O": when the nonce would overflow,
  // implementations "MUST terminate the connection" (and noise.md §5.1:
  // the maximum nonce is reserved)
  const MAX_NONCE = 2n ** 64n - 1n
  type Channel = Duplex & { send: { setNonce: (n: bigint) => void }, receive: { setNonce: (n: bigint) => void } }
  for (const side of ['send', 'receive'] as const) {
    const [client, server] = await tcpPair()
    const [out, inb] = await Promise.all([
      secureOutbound(client, { privateKey: key('Ed25519') }),
      secureInbound(server, { privateKey: key('Ed25519') })
    ])
    inb.stream.on('error', () => {})
    const failed = new Promise<Error>(resolve => out.stream.once('error', resolve))
    // (private fields: the channel's CipherStates, moved to the end of their nonce space)
    if (side === 'send') (out.stream as Channel).send.setNonce(MAX_NONCE)
    else (out.stream as Channel).receive.setNonce(MAX_NONCE)
    // our side reads (a channel nobody reads from leaves its input in the socket)
    out.stream.resume()
    if (side === 'send') out.stream.write('one message too many')
    else inb.stream.write('one message too many')
    const err = await failed
    t.match(err, { code: 'ERR_NONCE_EXHAUSTED' }, `${side}: a typed error`)
    await new Promise(resolve => { if (client.closed) resolve(undefined); else client.once('close', resolve) })
    t.ok(client.destroyed, `${side}: the TCP connection is terminated`)
    server.destroy()
  }
})
