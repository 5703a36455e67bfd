// `npm start`: two peers in one process, narrated. Peer A listens on
// loopback; peer B dials it, the connection is upgraded (multistream-select →
// Noise XX → yamux), both run identify, B pings A and sends data to A's echo
// service on several streams at once.

import { randomBytes } from 'node:crypto'
import { Libp2pNode } from './node/index.js'
import { ECHO_PROTOCOL } from './protocols/echo/index.js'
import { nodeCrypto } from './noise/crypto-node.js'
import { echoRoundTrip } from './cli/commands/dial.js'

function say (step: string, detail = ''): void {
  process.stdout.write(`${step.padEnd(12)} ${detail}\n`)
}

export async function demo (): Promise<void> {
  const a = new Libp2pNode({ listenAddrs: ['/ip4/127.0.0.1/tcp/0'], echo: true })
  const b = new Libp2pNode({})
  await a.start()
  await b.start()
  say('peer A', a.peerId.toString())
  say('peer B', b.peerId.toString())
  say('A listens', a.multiaddrs.map(m => m.toString()).join(' '))

  const identified = new Promise<void>(resolve => a.once('peer:identify', () => { resolve() }))
  const started = performance.now()
  const connection = await b.dial(a.multiaddrs[0])
  say('B dials A', `upgraded in ${(performance.now() - started).toFixed(1)} ms: ${connection.encryption} + ${connection.muxer}, remote peer verified ${connection.remotePeer.toString()}`)
  say('', `Noise_XX_25519_ChaChaPoly_SHA256 on ${nodeCrypto.name}`)

  const identify = await b.identify(a.peerId)
  say('identify', `A says agent "${identify.agentVersion ?? ''}", protocols ${identify.protocols.join(' ')}`)
  say('', `A sees B at ${identify.observedAddr?.toString() ?? '(not told)'}`)
  await identified
  say('identify', `A learnt B's protocols: ${a.peerStore.get(b.peerId)?.protocols.join(' ') ?? ''}`)

  const rtts = await b.ping(a.peerId, { count: 3 })
  say('ping', rtts.map(r => `${r.toFixed(3)} ms`).join(', '))

  const sizes = [1, 1024, 64 * 1024, 256 * 1024, 1024 * 1024]
  const results = await Promise.all(sizes.map(async size => {
    const stream = await connection.newStream(ECHO_PROTOCOL)
    return await echoRoundTrip(stream, randomBytes(size))
  }))
  const allBack = results.every(result => result.ok)
  say('echo', `${sizes.length} concurrent streams (${sizes.join(', ')} bytes): ${allBack ? 'every byte came back' : 'MISMATCH'}`)

  await b.stop()
  await a.stop()
  say('closed', 'both peers stopped')
  if (!allBack) process.exitCode = 1
}

await demo()
