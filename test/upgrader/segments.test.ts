// Few writes per connection: each socket write is a syscall (on a loopback
// VM ~100 µs of CPU), so the upgrader lets messages of one turn leave
// together (src/upgrader/upgrader.ts): the listener's multistream header
// and /noise echo with Noise message 2, the dialer's message 3 with the
// first muxer frames.

import t from 'tap'
import type net from 'node:net'
import { Upgrader } from '../../src/upgrader/index.js'
import { generateKeyPair } from '../../src/peer/index.js'
import { Multiaddr } from '../../src/multiaddr/index.js'
import { yamux } from '../../src/yamux/index.js'
import type { MuxedStream } from '../../src/muxer/types.js'
import { encodeMessages, MULTISTREAM_PROTOCOL_ID } from '../../src/multistream/index.js'
import { tcpPair } from '../helpers/duplex-pair.js'

const addr = Multiaddr.fromString('/ip4/127.0.0.1/tcp/1')

/** Every write the socket makes to the kernel, as the bytes of that write. */
function recordWrites (socket: net.Socket): Buffer[] {
  const writes: Buffer[] = []
  const target = socket as unknown as { _writeGeneric: (writev: boolean, data: unknown, encoding: string, cb: () => void) => unknown }
  const original = target._writeGeneric.bind(socket)
  target._writeGeneric = (writev, data, encoding, cb) => {
    const chunks = writev ? (data as Array<{ chunk: Buffer }>).map(c => c.chunk) : [data as Buffer]
    writes.push(Buffer.concat(chunks.map(c => Buffer.from(c))))
    return original(writev, data, encoding, cb)
  }
  return writes
}

t.test('header + echo + message 2 in one write; message 3 + the first stream\'s frames in one write', async t => {
  const [a, b] = await tcpPair()
  const dialerWrites = recordWrites(a)
  const listenerWrites = recordWrites(b)
  const onStream = (stream: MuxedStream): void => { stream.on('error', () => {}) }
  const dialer = new Upgrader({ privateKey: generateKeyPair('Ed25519'), muxers: [yamux], onStream })
  const listener = new Upgrader({ privateKey: generateKeyPair('Ed25519'), muxers: [yamux], onStream })
  const [out, inb] = await Promise.all([
    dialer.upgradeOutbound(a, { remoteAddr: addr }).then(connection => {
      // a stream opened in the same turn as the upgrade ends, as a switch does for identify
      void connection.newStream('/some/protocol/1.0.0', { optimistic: true } as never).catch(() => {})
      return connection
    }),
    listener.upgradeInbound(b, { remoteAddr: addr })
  ])
  t.teardown(() => { out.abort(new Error('done')); inb.abort(new Error('done')) })
  await new Promise(resolve => setTimeout(resolve, 50))

  const header = encodeMessages([MULTISTREAM_PROTOCOL_ID])
  const echo = encodeMessages(['/noise'])
  const first = listenerWrites[0]
  t.same([...first.subarray(0, header.length + echo.length)], [...header, ...echo], 'the listener\'s header and echo...')
  const message2 = first.subarray(header.length + echo.length)
  t.ok(message2.length > 2 && message2.length === 2 + message2.readUInt16BE(0), '...with the whole of Noise message 2 in the same write')

  t.same([...dialerWrites[0].subarray(0, header.length + echo.length)], [...header, ...echo], 'the dialer\'s proposal and message 1 leave together')
  t.equal(dialerWrites[0].length, header.length + echo.length + 2 + 32, 'message 1 is the 32-byte ephemeral key')
  const third = dialerWrites[1]
  const message3Length = 2 + third.readUInt16BE(0)
  t.ok(third.length > message3Length, `message 3 (${message3Length} bytes) and the first stream's frames (${third.length - message3Length} bytes) in one write`)
})
