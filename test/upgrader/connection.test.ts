import t, { type Test } from 'tap'
import type { Duplex } from 'node:stream'
import { Connection } from '../../src/upgrader/index.js'
import { generateKeyPair, PeerId } from '../../src/peer/index.js'
import { Multiaddr } from '../../src/multiaddr/index.js'
import { YamuxSession } from '../../src/yamux/index.js'
import { tcpPair } from '../helpers/duplex-pair.js'
import { isP2PError } from '../../src/util/errors.js'

/** A yamux connection whose remote reads every frame and answers none: no stream is ever acknowledged. */
async function silentRemote (t: Test, maxAckBacklog: number): Promise<Connection> {
  const [a, b] = await tcpPair()
  b.resume()
  const session = new YamuxSession(a, { initiator: true, maxAckBacklog, measureRtt: false })
  const connection = new Connection({
    id: 'c1',
    remotePeer: PeerId.fromPublicKey(generateKeyPair('Ed25519').publicKey),
    remoteAddr: Multiaddr.fromString('/ip4/127.0.0.1/tcp/1'),
    direction: 'outbound',
    encryption: '/noise',
    session
  })
  t.teardown(() => { connection.abort(new Error('test over')); b.destroy() })
  return connection
}

function quiet (stream: Duplex): void { stream.on('error', () => {}) }

t.test('newStream\'s time limit covers the wait for a free slot in a full ACK backlog', async t => {
  const connection = await silentRemote(t, 2)
  for (let i = 0; i < 2; i++) quiet(await connection.newStream('/x'))
  const started = performance.now()
  const err = await connection.newStream('/x', { timeoutMs: 150 }).then(() => undefined, (e: unknown) => e)
  const elapsed = performance.now() - started
  t.ok(isP2PError(err, 'ERR_STREAM_OPEN_TIMEOUT'), `rejected with ERR_STREAM_OPEN_TIMEOUT (${String(err)})`)
  t.ok(elapsed >= 140 && elapsed < 2000, `after the time limit (${elapsed.toFixed(0)} ms)`)
  t.equal(connection.streams.length, 2, 'no third stream was opened')
})

t.test('the caller\'s signal ends that wait with the caller\'s reason', async t => {
  const connection = await silentRemote(t, 1)
  quiet(await connection.newStream('/x'))
  const controller = new AbortController()
  const reason = new Error('caller gave up')
  const pending = connection.newStream('/x', { signal: controller.signal, timeoutMs: 60_000 })
  setTimeout(() => { controller.abort(reason) }, 20)
  await t.rejects(pending, reason)
  t.equal(connection.streams.length, 1)
})

t.test('an invalid protocol ID is refused before a stream is opened, optimistic or not', async t => {
  const connection = await silentRemote(t, 8)
  await t.rejects(connection.newStream('/multistream/1.0.0'), { code: 'ERR_INVALID_PROTOCOL_ID' })
  await t.rejects(connection.newStream(['/ok/1.0.0', 'no-slash']), { code: 'ERR_INVALID_PROTOCOL_ID' })
  t.equal(connection.streams.length, 0, 'no stream left open')
})
