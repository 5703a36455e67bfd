// The misc suite's exercises for `p2p interop` (src/cli/commands/interop-misc.ts):
// the echo probes against listeners that echo faithfully, corrupt a byte,
// never end their side or send more than they were sent; the identify checks
// field by field; and the measurement blocks as the runner reads them.

import t, { type Test } from 'tap'
import type { Duplex } from 'node:stream'
import { Libp2pNode } from '../../src/node/index.js'
import { ECHO_PROTOCOL, PING_PROTOCOL, handleEcho, type IdentifyResult } from '../../src/protocols/index.js'
import { readChunks, writeChunk, endStream } from '../../src/protocols/stream-io.js'
import { generateKeyPair, PeerId } from '../../src/peer/index.js'
import { Multiaddr } from '../../src/multiaddr/index.js'
import { checkIdentify, formatMeasurements, runEchoProbes, ECHO_CLOSE_WAIT_MS, ECHO_PROBES } from '../../src/cli/commands/interop-misc.js'

/** Two nodes, the listener's /echo/1.0.0 handled by `echo`; returns the dialer's connection and what the listener received. */
async function connectTo (t: Test, echo: (stream: Duplex, received: number[]) => Promise<void>): Promise<{ connection: Awaited<ReturnType<Libp2pNode['dial']>>, received: number[], closed: Promise<void> }> {
  const listener = new Libp2pNode({ listenAddrs: ['/ip4/127.0.0.1/tcp/0'], identifyOnConnect: false })
  const received: number[] = []
  let done!: () => void
  const closed = new Promise<void>(resolve => { done = resolve })
  listener.handle(ECHO_PROTOCOL, async stream => {
    stream.once('close', done)
    await echo(stream, received)
  })
  await listener.start()
  const dialer = new Libp2pNode({ identifyOnConnect: false })
  await dialer.start()
  t.teardown(async () => { await dialer.stop(); await listener.stop() })
  return { connection: await dialer.dial(listener.multiaddrs[0]), received, closed }
}

/** Echoes every chunk, recording the sizes it saw; `transform` may change what goes back. */
function echoing (transform: (chunk: Uint8Array, total: number) => Uint8Array = chunk => chunk, endAtEof = true) {
  return async (stream: Duplex, received: number[]): Promise<void> => {
    stream.on('error', () => {})
    let total = 0
    for await (const chunk of readChunks(stream)) {
      received.push(chunk.length)
      total += chunk.length
      await writeChunk(stream, transform(chunk, total))
    }
    if (endAtEof) await endStream(stream)
  }
}

const PAYLOAD_BYTES = ECHO_PROBES.reduce((sum, probe) => sum + probe.size, 0)

t.test('echo: the three probes of the doc, each read back before the next', async t => {
  t.same(ECHO_PROBES, [{ size: 1, fill: 0x42 }, { size: 256, fill: 0xab }, { size: 4096, fill: 0xcd }])
  const { connection, closed } = await connectTo(t, async stream => { await handleEcho(stream) })
  const result = await runEchoProbes(connection, AbortSignal.timeout(10_000))
  t.equal(result.payloadBytes, 4353)
  t.ok(result.echoRTTMillis > 0)
  await closed
  t.pass('the stream closed on both sides: our half-close, then the listener\'s')
})

t.test('echo: the probes leave one after another, not together', async t => {
  const { connection, received } = await connectTo(t, echoing())
  await runEchoProbes(connection, AbortSignal.timeout(10_000))
  // each probe is written only once the one before has come back
  t.same(received, ECHO_PROBES.map(probe => probe.size))
})

t.test('echo: a listener that echoes only at the end of the stream (the suite\'s js-libp2p image) gets all three probes and our end, after the grace', async t => {
  const { connection, received } = await connectTo(t, async (stream, sizes) => {
    // misc/images/js/v3.x listener.spec.ts: collect until EOF, then write it all back
    const chunks: Uint8Array[] = []
    for await (const chunk of readChunks(stream)) { sizes.push(chunk.length); chunks.push(chunk) }
    await writeChunk(stream, Buffer.concat(chunks))
    await endStream(stream)
  })
  const started = Date.now()
  const result = await runEchoProbes(connection, AbortSignal.timeout(10_000), 200)
  t.equal(result.payloadBytes, PAYLOAD_BYTES)
  t.equal(received.reduce((a, b) => a + b, 0), PAYLOAD_BYTES, 'every probe reached it')
  t.ok(Date.now() - started >= 200, 'after the grace')

  // and the same switch still catches a wrong byte
  const bad = await connectTo(t, async stream => {
    const chunks: Uint8Array[] = []
    for await (const chunk of readChunks(stream)) chunks.push(chunk)
    const all = Buffer.concat(chunks)
    all[1 + 256 + 7] ^= 0xff
    await writeChunk(stream, all)
    await endStream(stream)
  })
  await t.rejects(runEchoProbes(bad.connection, AbortSignal.timeout(10_000), 200), {
    code: 'ERR_INTEROP_CHECK',
    message: 'echo probe 3 (4096 bytes of 0xcd) came back with 0x32 at byte 7'
  })
})

t.test('echo: a byte changed on the way back is an error that says where', async t => {
  const { connection } = await connectTo(t, echoing((chunk, total) => {
    if (total < 200) return chunk
    const copy = Uint8Array.from(chunk)
    copy[100] ^= 1
    return copy
  }))
  await t.rejects(runEchoProbes(connection, AbortSignal.timeout(10_000)), {
    code: 'ERR_INTEROP_CHECK',
    message: 'echo probe 2 (256 bytes of 0xab) came back with 0xaa at byte 100'
  })
})

t.test('echo: a listener that never ends its side gets a reset after the wait, and the exercise passes', async t => {
  const { connection, closed } = await connectTo(t, echoing(undefined, false))
  const started = Date.now()
  const result = await runEchoProbes(connection, AbortSignal.timeout(10_000))
  t.equal(result.payloadBytes, PAYLOAD_BYTES)
  t.ok(Date.now() - started >= ECHO_CLOSE_WAIT_MS - 50, 'waited for the listener first')
  await closed
})

t.test('echo: bytes after the last probe fail the exercise', async t => {
  // a faithful echo, but it adds a byte after the echo of the last probe
  const { connection } = await connectTo(t, async (stream) => {
    stream.on('error', () => {})
    let total = 0
    for await (const chunk of readChunks(stream)) {
      total += chunk.length
      await writeChunk(stream, chunk)
      if (total === PAYLOAD_BYTES) await writeChunk(stream, Uint8Array.of(0))
    }
    await endStream(stream)
  })
  await t.rejects(runEchoProbes(connection, AbortSignal.timeout(10_000)), { code: 'ERR_INTEROP_CHECK', message: /bytes after the last probe/ })
})

t.test('echo: a listener that does not speak /echo/1.0.0', async t => {
  const listener = new Libp2pNode({ listenAddrs: ['/ip4/127.0.0.1/tcp/0'], identifyOnConnect: false })
  await listener.start()
  const dialer = new Libp2pNode({ identifyOnConnect: false })
  await dialer.start()
  t.teardown(async () => { await dialer.stop(); await listener.stop() })
  const connection = await dialer.dial(listener.multiaddrs[0])
  await t.rejects(runEchoProbes(connection, AbortSignal.timeout(10_000)), { code: 'ERR_PROTOCOL_NOT_SUPPORTED' })
})

t.test('identify: every field the doc requires, and one error naming each that fails', async t => {
  const key = generateKeyPair('Ed25519')
  const good: IdentifyResult = {
    peerId: PeerId.fromPublicKey(key.publicKey),
    publicKey: key.publicKey,
    protocolVersion: 'ipfs/0.1.0',
    listenAddrs: [Multiaddr.fromString('/ip4/10.0.0.1/tcp/4001')],
    protocols: ['/ipfs/id/1.0.0', PING_PROTOCOL],
    invalidAddrs: 0
  }
  t.doesNotThrow(() => { checkIdentify(good) })
  t.throws(() => { checkIdentify({ ...good, protocols: ['/ipfs/id/1.0.0', '/ping/1.0.0'] }) },
    { code: 'ERR_INTEROP_CHECK', message: /protocols does not include \/ipfs\/ping\/1\.0\.0: \/ipfs\/id\/1\.0\.0, \/ping\/1\.0\.0$/ })
  t.throws(() => { checkIdentify({ ...good, protocolVersion: undefined, publicKey: undefined, listenAddrs: [], protocols: [] }) }, {
    code: 'ERR_INTEROP_CHECK',
    message: `identify of ${good.peerId.toString()}: protocolVersion is empty; publicKey is missing; listenAddrs is empty; protocols is empty`
  })
  t.throws(() => { checkIdentify({ ...good, protocolVersion: '' }) }, { message: /protocolVersion is empty$/ })
})

/** What the unified runner's misc suite greps from the dialer's output (misc/lib/run-single-test.sh), line by line. */
const MISC_RUNNER_LINE = /^(latency:|measurements:| {2}(handshake_plus_one_rtt|ping_rtt|rtt|echo_rtt|identify_rtt|unit):)/

t.test('measurement blocks, as YAML and as one JSON line', async t => {
  const echo = formatMeasurements({ block: 'measurements', values: { echo_rtt: 1.25, payload_bytes: 4353, unit: 'ms' } }, 'yaml')
  t.equal(echo, 'measurements:\n  echo_rtt: 1.25\n  payload_bytes: 4353\n  unit: ms\n')
  const kept = echo.trimEnd().split('\n').filter(line => MISC_RUNNER_LINE.test(line))
  t.same(kept, ['measurements:', '  echo_rtt: 1.25', '  unit: ms'], 'the runner keeps the block, the RTT and the unit')
  const json = formatMeasurements({ block: 'measurements', values: { identify_rtt: 3, protocol_count: 5, unit: 'ms' } }, 'json')
  t.equal(json, '{"measurements":{"identify_rtt":3,"protocol_count":5,"unit":"ms"}}\n')
})
