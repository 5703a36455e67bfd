// `p2p dial --echo` (and trace's) against peers that misbehave: one that
// keeps sending, one that never ends its side. Neither may hold the command
// or its memory.

import t, { type Test } from 'tap'
import { randomBytes } from 'node:crypto'
import { Libp2pNode } from '../../src/node/index.js'
import { ECHO_PROTOCOL } from '../../src/protocols/index.js'
import { echoRoundTrip } from '../../src/cli/commands/dial.js'

async function pair (t: Test, handler: Parameters<Libp2pNode['handle']>[1]): Promise<Libp2pNode[]> {
  const listener = new Libp2pNode({ listenAddrs: ['/ip4/127.0.0.1/tcp/0'] })
  listener.handle(ECHO_PROTOCOL, handler)
  const dialer = new Libp2pNode()
  await listener.start()
  await dialer.start()
  t.teardown(async () => { await dialer.stop(); await listener.stop() })
  return [listener, dialer]
}

t.test('a peer that sends more than it was sent: reading stops there, a mismatch', async t => {
  let written = 0
  const [listener, dialer] = await pair(t, async stream => {
    stream.on('error', () => {})
    const chunk = Buffer.alloc(64 * 1024)
    // up to 64 MiB, unless we are reset first
    for (let i = 0; i < 1024 && !stream.destroyed; i++) {
      written += chunk.length
      if (!stream.write(chunk)) await new Promise(resolve => { stream.once('drain', resolve); stream.once('close', resolve) })
    }
  })
  const stream = await dialer.newStream(listener.multiaddrs[0]!, ECHO_PROTOCOL)
  const check = await echoRoundTrip(stream, randomBytes(1000))
  t.same(check.ok, false)
  t.match((check as { problem: string }).problem, /came back changed|bytes more came back than the 1000 sent/)
  t.ok(stream.destroyed, 'the stream is reset')
  t.ok(written < 64 * 1024 * 1024, `the peer was stopped early (${written} bytes written)`)
})

t.test('a peer that echoes and never ends its side: ERR_TIMEOUT once nothing more comes', async t => {
  const [listener, dialer] = await pair(t, async stream => {
    stream.on('error', () => {})
    // echoes what comes, but never half-closes
    stream.on('data', (chunk: Buffer) => { stream.write(chunk) })
  })
  const stream = await dialer.newStream(listener.multiaddrs[0]!, ECHO_PROTOCOL)
  const started = performance.now()
  await t.rejects(echoRoundTrip(stream, randomBytes(1000), 200), { code: 'ERR_TIMEOUT', message: /the echo stalled: nothing came back, nor its end, for 200 ms/ })
  t.ok(performance.now() - started < 5000, 'within the idle limit, not for ever')
})

t.test('an honest echo still passes', async t => {
  const [listener, dialer] = await pair(t, async stream => { stream.pipe(stream) })
  const stream = await dialer.newStream(listener.multiaddrs[0]!, ECHO_PROTOCOL)
  t.same(await echoRoundTrip(stream, randomBytes(300_000), 2000), { ok: true })
})
