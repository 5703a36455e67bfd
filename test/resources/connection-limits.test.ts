// The limits a switch installs on each Connection (src/upgrader/connection.ts):
// every outbound stream counts against maxOutboundStreamsPerPeer, also when
// the caller uses connection.newStream directly, and only once when it goes
// through Switch.newStream; the muxer reserves its buffers from the
// connection's memory account, and a stream that cannot get its window is
// refused locally with ERR_RESOURCE_LIMIT_EXCEEDED.

import t from 'tap'
import { Switch } from '../../src/switch/index.js'
import { generateKeyPair } from '../../src/peer/index.js'
import { ECHO_PROTOCOL } from '../../src/protocols/index.js'
import { INITIAL_STREAM_WINDOW } from '../../src/yamux/index.js'
import type { ProtocolStream } from '../../src/upgrader/index.js'
import { sleep, startTarget } from '../hostile/harness.js'

const MiB = 1024 * 1024

/** Writes `text`, half-closes, reads the echo to its end. */
async function echo (stream: ProtocolStream, text: string): Promise<string> {
  stream.end(text)
  const chunks: Buffer[] = []
  for await (const chunk of stream.iterator({ destroyOnReturn: false })) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString()
}

async function until (condition: () => boolean, ms = 3_000): Promise<void> {
  for (const deadline = Date.now() + ms; !condition();) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await sleep(10)
  }
}

t.test('connection.newStream counts against maxOutboundStreamsPerPeer; Switch.newStream counts once', async t => {
  const target = await startTarget(t)
  const dialer = new Switch({ privateKey: generateKeyPair('Ed25519'), limits: { maxOutboundStreamsPerPeer: 2 } })
  t.teardown(async () => { await dialer.stop() })
  const connection = await dialer.dial(target.addr)
  const a = await connection.newStream(ECHO_PROTOCOL)
  const b = await connection.newStream(ECHO_PROTOCOL, { optimistic: false })
  t.equal(dialer.resources.usage().outboundStreams, 2, 'both direct streams are counted')
  await t.rejects(connection.newStream(ECHO_PROTOCOL), { code: 'ERR_RESOURCE_LIMIT_EXCEEDED', message: /maxOutboundStreamsPerPeer = 2/ },
    'a third through the connection itself is refused')
  await t.rejects(dialer.newStream(target.addr, ECHO_PROTOCOL), { code: 'ERR_RESOURCE_LIMIT_EXCEEDED' }, 'and through the switch')
  t.equal(dialer.metrics.refused.maxOutboundStreamsPerPeer, 2)
  t.equal(connection.streams.length, 2, 'no muxer stream was opened for a refused one')

  t.equal(await echo(a, 'one'), 'one')
  await until(() => dialer.resources.usage().outboundStreams === 1)
  t.pass('a finished stream gives its place back')
  const c = await dialer.newStream(target.addr, ECHO_PROTOCOL)
  t.equal(dialer.resources.usage().outboundStreams, 2, 'Switch.newStream counts its stream once, not twice')
  await t.rejects(connection.newStream(ECHO_PROTOCOL), { code: 'ERR_RESOURCE_LIMIT_EXCEEDED' })
  t.equal(await echo(b, 'two'), 'two')
  t.equal(await echo(c, 'three'), 'three')
  await until(() => dialer.resources.usage().outboundStreams === 0)
  t.pass('every reservation given back')
})

t.test('a refused or failed opening gives the outbound reservation back', async t => {
  const target = await startTarget(t)
  const dialer = new Switch({ privateKey: generateKeyPair('Ed25519'), limits: { maxOutboundStreamsPerPeer: 1 } })
  t.teardown(async () => { await dialer.stop() })
  const connection = await dialer.dial(target.addr)
  await t.rejects(connection.newStream('/not/served/1.0.0', { optimistic: false }), { code: 'ERR_PROTOCOL_NOT_SUPPORTED' })
  await until(() => dialer.resources.usage().outboundStreams === 0)
  const aborted = new AbortController()
  aborted.abort()
  await t.rejects(connection.newStream(ECHO_PROTOCOL, { signal: aborted.signal, optimistic: false }))
  await until(() => dialer.resources.usage().outboundStreams === 0)
  const stream = await connection.newStream(ECHO_PROTOCOL)
  t.equal(await echo(stream, 'still room'), 'still room', 'the single place is free again')
})

t.test('the muxer buffers within the connection\'s account; no room for a window: newStream is refused locally', async t => {
  const target = await startTarget(t)
  const dialer = new Switch({ privateKey: generateKeyPair('Ed25519'), limits: { maxConnectionBufferBytes: MiB } })
  t.teardown(async () => { await dialer.stop() })
  const connection = await dialer.dial(target.addr)
  t.equal(connection.muxer, '/yamux/1.0.0')
  const streams: ProtocolStream[] = []
  for (let i = 0; i < MiB / INITIAL_STREAM_WINDOW; i++) streams.push(await connection.newStream(ECHO_PROTOCOL))
  t.equal(connection.memory?.reserved, MiB, 'four streams, four 256 KiB windows: the whole budget')
  t.equal(dialer.resources.usage().bufferBytes, MiB)
  await t.rejects(connection.newStream(ECHO_PROTOCOL), { code: 'ERR_RESOURCE_LIMIT_EXCEEDED', message: /buffer memory/ })
  t.equal(dialer.metrics.refused.maxConnectionBufferBytes, 1)
  t.equal(dialer.resources.usage().outboundStreams, 4, 'the refused stream holds no outbound place either')
  for (const [i, stream] of streams.entries()) t.equal(await echo(stream, `s${i}`), `s${i}`)
  await until(() => dialer.resources.usage().bufferBytes === 0)
  t.pass('the windows went back as the streams finished')
  const again = await connection.newStream(ECHO_PROTOCOL)
  t.equal(await echo(again, 'again'), 'again')
  await dialer.hangUp(connection.remotePeer)
  t.equal(dialer.resources.usage().bufferBytes, 0)
  t.equal(connection.memory?.reserved, 0, 'the closed connection\'s account is empty')
})
