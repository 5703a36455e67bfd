// Interop with @chainsafe/libp2p-noise 17 (js-libp2p's Noise, test-only):
// our secureOutbound against its secureInbound and the reverse, over a real
// loopback TCP pair. Its side of the socket is wrapped by @libp2p/tcp's
// socket-to-conn (imported by file path: the package does not export it).

import t from 'tap'
// js-libp2p 3.x needs Promise.withResolvers (Node 22): polyfilled before its packages load
import '../interop/polyfill.js'
import { randomBytes } from 'node:crypto'
import type { Socket } from 'node:net'
import { secureInbound, secureOutbound } from '../../src/noise/index.js'
import { generateKeyPair, PeerId, privateKeyToProtobuf, type KeyTypeName } from '../../src/peer/index.js'
import { tcpPair } from '../helpers/duplex-pair.js'

/* eslint-disable @typescript-eslint/no-explicit-any -- js-libp2p objects at the test boundary */
const { noise } = await import('@chainsafe/libp2p-noise')
const { privateKeyFromProtobuf } = await import('@libp2p/crypto/keys')
const { peerIdFromPrivateKey } = await import('@libp2p/peer-id')
const { defaultLogger } = await import('@libp2p/logger')
const socketToConn: any = await import(new URL('../../node_modules/@libp2p/tcp/dist/src/socket-to-conn.js', import.meta.url).href)

function theirNoise (type: KeyTypeName): { encrypter: any, ourKey: ReturnType<typeof generateKeyPair> } {
  const ourKey = generateKeyPair(type)
  const privateKey = privateKeyFromProtobuf(privateKeyToProtobuf(ourKey))
  const encrypter = noise()({
    peerId: peerIdFromPrivateKey(privateKey),
    privateKey,
    logger: defaultLogger(),
    // a stand-in upgrader that knows one muxer, so early muxer negotiation can succeed
    upgrader: { getStreamMuxers: () => new Map([['/yamux/1.0.0', { protocol: '/yamux/1.0.0' }]]) } as any
  })
  return { encrypter, ourKey }
}

function theirConn (socket: Socket, direction: 'inbound' | 'outbound'): any {
  return socketToConn.toMultiaddrConnection({ socket, direction, log: defaultLogger().forComponent('interop') })
}

/** Sends `data` over their secured MessageStream and collects what arrives until `expected` bytes. */
async function theirExchange (conn: any, data: Uint8Array, expected: number): Promise<Buffer> {
  const chunks: Buffer[] = []
  let got = 0
  const done = new Promise<void>(resolve => {
    conn.addEventListener('message', (evt: any) => {
      const bytes: Uint8Array = evt.data.subarray()
      chunks.push(Buffer.from(bytes))
      got += bytes.length
      if (got >= expected) resolve()
    })
  })
  for (let offset = 0; offset < data.length; offset += 100_000) {
    if (!conn.send(data.subarray(offset, offset + 100_000))) await conn.onDrain()
  }
  await done
  return Buffer.concat(chunks)
}

// ECDSA is left out: js-libp2p's @libp2p/peer-id cannot make a peer ID from an
// ECDSA key (UnsupportedKeyTypeError), on either side of the handshake.
for (const type of ['Ed25519', 'Secp256k1', 'RSA'] as KeyTypeName[]) {
  t.test(`our dialer → js-libp2p listener (${type} identities)`, async t => {
    const [client, server] = await tcpPair()
    const them = theirNoise(type)
    const ourKey = generateKeyPair(type)
    const [ours, theirs] = await Promise.all([
      secureOutbound(client, { privateKey: ourKey, remotePeer: PeerId.fromPublicKey(them.ourKey.publicKey) }),
      them.encrypter.secureInbound(theirConn(server, 'inbound'))
    ])
    t.equal(ours.remotePeer.toString(), PeerId.fromPublicKey(them.ourKey.publicKey).toString())
    t.equal(theirs.remotePeer.toString(), PeerId.fromPublicKey(ourKey.publicKey).toString())
    const up = randomBytes(300_000)
    const down = randomBytes(200_000)
    ours.stream.write(up)
    const [fromUs, fromThem] = await Promise.all([
      theirExchange(theirs.connection, down, up.length),
      new Promise<Buffer>(resolve => {
        const chunks: Buffer[] = []
        let got = 0
        ours.stream.on('data', (c: Buffer) => { chunks.push(c); got += c.length; if (got >= down.length) resolve(Buffer.concat(chunks)) })
      })
    ])
    t.ok(fromUs.equals(up), 'js-libp2p decrypted our bytes')
    t.ok(fromThem.equals(down), 'we decrypted js-libp2p bytes')
    ours.stream.destroy()
    server.destroy()
  })

  t.test(`js-libp2p dialer → our listener (${type} identities)`, async t => {
    const [client, server] = await tcpPair()
    const them = theirNoise(type)
    const ourKey = generateKeyPair(type)
    const theirPeerId = (await import('@libp2p/peer-id')).peerIdFromString(PeerId.fromPublicKey(ourKey.publicKey).toString())
    const [theirs, ours] = await Promise.all([
      them.encrypter.secureOutbound(theirConn(client, 'outbound'), { remotePeer: theirPeerId }),
      secureInbound(server, { privateKey: ourKey, extensions: { streamMuxers: ['/yamux/1.0.0'] } })
    ])
    t.equal(ours.remotePeer.toString(), PeerId.fromPublicKey(them.ourKey.publicKey).toString())
    t.equal(theirs.remotePeer.toString(), PeerId.fromPublicKey(ourKey.publicKey).toString())
    t.same(theirs.remoteExtensions?.streamMuxers, ['/yamux/1.0.0'], 'js-libp2p read our early data')
    t.equal(theirs.streamMuxer?.protocol, '/yamux/1.0.0', 'and picked the muxer from it')
    const up = randomBytes(150_000)
    const down = randomBytes(250_000)
    ours.stream.write(down)
    const fromUs = await theirExchange(theirs.connection, up, down.length)
    const chunks: Buffer[] = []
    let got = 0
    await new Promise<void>(resolve => {
      ours.stream.on('data', (c: Buffer) => { chunks.push(c); got += c.length; if (got >= up.length) resolve() })
    })
    t.ok(fromUs.equals(down))
    t.ok(Buffer.concat(chunks).equals(up))
    ours.stream.destroy()
    client.destroy()
  })
}

