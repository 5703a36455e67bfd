// Stream resets and half-close against js-libp2p, over yamux and mplex
// (libp2p/specs yamux and mplex; ../shared/DESIGN.md "Streams": end() is a
// half-close, destroy() a reset, a remote reset surfaces as ERR_STREAM_RESET).
//
// One js dialer → our listener connection per muxer carries every subtest;
// each subtest ends by checking the connection survived (still open, still
// one, a ping still answers), so the subtests stay independent; the last one
// hangs up.

import './polyfill.js'
import t, { type Test } from 'tap'
import { once } from 'node:events'
import { createHash } from 'node:crypto'
import { createJsNode, multiaddr } from './js-peer.js'
import type { JsMuxerName } from './js-peer.js'
import { createOurNode, toJsPeerId, toOurPeerId, payload, waitFor, within } from './helpers.js'
import type { ProtocolStream } from '../../src/upgrader/index.js'
import type { Stream as JsStream } from '@libp2p/interface'

/** Our handler: reads until the stream ends or fails, and reports which. */
const SINK_PROTOCOL = '/interop/sink/1.0.0'
/** js handler: reads everything until our half-close, then writes it back, reversed. */
const JS_REPLY_AFTER_FIN = '/interop/reply-after-fin/1.0.0'
/** Our handler: the same, on our side. */
const OUR_REPLY_AFTER_FIN = '/interop/our-reply-after-fin/1.0.0'
/** js handler: reads until the stream ends or fails, and reports which. */
const JS_SINK_PROTOCOL = '/interop/js-sink/1.0.0'

/** How long the yamux hang-up test listens for a FIN that js-yamux never sends. */
const JS_SILENCE_MS = 300

/** Bytes the half-close tests send each way: several muxer frames and windows. */
const HALF_CLOSE_BYTES = 512 * 1024

interface SinkOutcome { bytes: number, error?: { code?: string, name: string, message: string } }

function reversed (data: Uint8Array): Buffer {
  return Buffer.from(data).reverse()
}

async function readAll (stream: ProtocolStream): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of stream.iterator({ destroyOnReturn: false })) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

async function jsReadAll (stream: JsStream): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(Buffer.from(chunk.subarray()))
  return Buffer.concat(chunks)
}

async function jsSendAll (stream: JsStream, data: Uint8Array): Promise<void> {
  for (let off = 0; off < data.length; off += 16 * 1024) {
    if (!stream.send(data.subarray(off, off + 16 * 1024))) await stream.onDrain()
  }
}

for (const muxer of ['yamux', 'mplex'] as JsMuxerName[]) {
  t.test(`Noise + ${muxer}`, async t => {
    const ours = await createOurNode({ muxers: [muxer] })
    const js = await createJsNode({ muxer, listen: false })
    t.teardown(async () => { await ours.node.stop(); await js.stop() })

    // our sink: each stream's outcome, in arrival order
    const sinkOutcomes: Array<Promise<SinkOutcome>> = []
    const firstBytes: Array<Promise<void>> = []
    ours.node.handle(SINK_PROTOCOL, async stream => {
      let gotFirst!: () => void
      firstBytes.push(new Promise<void>(resolve => { gotFirst = resolve }))
      sinkOutcomes.push((async () => {
        let bytes = 0
        try {
          for await (const chunk of stream) {
            bytes += (chunk as Buffer).length
            gotFirst()
          }
          return { bytes }
        } catch (err) {
          const e = err as Error & { code?: string }
          return { bytes, error: { code: e.code, name: e.name, message: e.message } }
        }
      })())
      await sinkOutcomes[sinkOutcomes.length - 1]
    })
    ours.node.handle(OUR_REPLY_AFTER_FIN, async stream => {
      const received = await readAll(stream)
      stream.end(reversed(received))
    })

    // js's handlers
    await js.handle(JS_REPLY_AFTER_FIN, async (stream: JsStream) => {
      const received = await jsReadAll(stream)
      await jsSendAll(stream, reversed(received))
      await stream.close()
    })
    const jsSinkOutcomes: Array<Promise<SinkOutcome>> = []
    await js.handle(JS_SINK_PROTOCOL, async (stream: JsStream) => {
      jsSinkOutcomes.push((async () => {
        let bytes = 0
        try {
          for await (const chunk of stream) bytes += chunk.byteLength
          return { bytes }
        } catch (err) {
          const e = err as Error
          return { bytes, error: { name: e.name, message: e.message } }
        }
      })())
    })

    await js.dial(multiaddr(ours.node.multiaddrs[0].toString()))
    const jsPeer = toOurPeerId(js.peerId)
    const ourPeerForJs = toJsPeerId(ours.node.peerId)
    await waitFor('our side to register the connection', () => ours.node.switch.getConnections(jsPeer).length === 1)
    const connection = ours.node.switch.getConnections(jsPeer)[0]

    async function connectionSurvived (t: Test): Promise<void> {
      t.equal(connection.status, 'open', 'our connection is still open')
      t.equal(ours.node.switch.getConnections().length, 1, 'still one connection on our side')
      t.equal(js.getConnections().length, 1, 'still one connection on the js side')
      const rtts = await ours.node.ping(jsPeer, { count: 1 })
      t.equal(rtts.length, 1, 'a ping still answers')
    }

    t.test('js resets a stream: our handler sees ERR_STREAM_RESET, the connection survives', async t => {
      const before = sinkOutcomes.length
      const stream = await js.dialProtocol(ourPeerForJs, SINK_PROTOCOL)
      stream.send(payload(1000))
      await waitFor('our handler to start', () => sinkOutcomes.length > before)
      await within('our handler to receive bytes', firstBytes[before])
      stream.abort(new Error('interop test resets this stream'))
      const outcome = await within('our handler to finish', sinkOutcomes[before])
      t.equal(outcome.error?.code, 'ERR_STREAM_RESET', `our handler's stream failed with ERR_STREAM_RESET (${outcome.error?.message ?? 'no error'})`)
      t.ok(outcome.bytes > 0 && outcome.bytes <= 1000, `our handler had read ${outcome.bytes} of the 1000 bytes`)
      await connectionSurvived(t)
    })

    t.test('we reset a stream: js\'s handler sees a reset, the connection survives', async t => {
      const before = jsSinkOutcomes.length
      const stream = await connection.newStream(JS_SINK_PROTOCOL, { optimistic: false })
      stream.write(payload(1000))
      await waitFor('js handler to start', () => jsSinkOutcomes.length > before)
      stream.destroy()
      const outcome = await within('js handler to finish', jsSinkOutcomes[before])
      t.equal(outcome.error?.name, 'StreamResetError', `js's stream failed with a reset (${outcome.error?.name ?? 'no error'}: ${outcome.error?.message ?? ''})`)
      await connectionSurvived(t)
    })

    t.test('we half-close: js still writes back', async t => {
      const data = payload(HALF_CLOSE_BYTES)
      const stream = await connection.newStream(JS_REPLY_AFTER_FIN)
      const reply = readAll(stream)
      stream.end(data)
      await once(stream, 'finish')
      const got = await within('js to write back after our half-close', reply)
      t.equal(got.length, data.length)
      t.equal(createHash('sha256').update(got).digest('hex'), createHash('sha256').update(reversed(data)).digest('hex'), 'js wrote back every byte after our FIN, reversed')
      await connectionSurvived(t)
    })

    t.test('a protocol the other side lacks: refused with na both ways, the connection survives', async t => {
      await t.rejects(js.dialProtocol(ourPeerForJs, '/interop/nobody-serves/1.0.0'), { name: 'UnsupportedProtocolError' }, 'js hears na from us')
      await t.rejects(connection.newStream('/interop/nobody-serves/1.0.0', { optimistic: false }), { code: 'ERR_PROTOCOL_NOT_SUPPORTED' }, 'we hear na from js')
      // optimistic: the proposal goes out unanswered; the refusal surfaces on the first read
      const lazy = await connection.newStream('/interop/nobody-serves/1.0.0')
      await t.rejects(readAll(lazy), { code: 'ERR_PROTOCOL_NOT_SUPPORTED' }, 'an optimistic stream fails on its first read')
      // with data sent right behind the refused proposal, js answers na, then
      // reads our data as its next multistream message, finds it malformed and
      // resets the stream; the reset can overtake the na (a reset discards
      // what the stream had buffered), so either error may surface
      const eager = await connection.newStream('/interop/nobody-serves/1.0.0')
      eager.end(Buffer.from('data behind a refused proposal'))
      const err = await readAll(eager).then(() => undefined, (e: { code?: string }) => e)
      t.ok(err?.code === 'ERR_PROTOCOL_NOT_SUPPORTED' || err?.code === 'ERR_STREAM_RESET', `optimistic data behind a refused proposal fails the stream (${String(err?.code)})`)
      await connectionSurvived(t)
    })

    t.test('js half-closes: we still write back', async t => {
      const data = payload(HALF_CLOSE_BYTES)
      const stream = await js.dialProtocol(ourPeerForJs, OUR_REPLY_AFTER_FIN)
      const reply = jsReadAll(stream)
      await jsSendAll(stream, data)
      await stream.close()
      const got = await within('us to write back after js\'s half-close', reply)
      t.equal(got.length, data.length)
      t.ok(got.equals(reversed(data)), 'we wrote back every byte after js\'s FIN, reversed')
      await connectionSurvived(t)
    })

    // last: it closes the shared connection
    t.test('we hang up while our (optimistic) stream is open for writing: the stream closes instead of hanging', async t => {
      const stream = await connection.newStream('/echo/1.0.0')
      const firstEcho = once(stream, 'data')
      stream.write(payload(1000))
      await within('the first echoed bytes', firstEcho)
      const closed = new Promise<void>(resolve => { stream.once('close', () => { resolve() }) })
      const hangUp = ours.node.switch.hangUp(jsPeer)
      if (muxer === 'yamux') {
        // js-yamux answers our GoAway (Normal) by dropping its streams
        // without a FIN or RST, so our graceful close would wait for its
        // close timeout (DEFAULT_CLOSE_TIMEOUT_MS, 10 s); see the report
        await waitFor('js to drop its side of the stream', () => js.getConnections()[0]?.streams.length === 0)
        await new Promise(resolve => setTimeout(resolve, JS_SILENCE_MS))
        t.notOk(stream.readableEnded, `no FIN from js within ${JS_SILENCE_MS} ms of our GoAway`)
        t.equal(connection.status, 'closing', 'our graceful close is still waiting')
        connection.abort(new Error('interop test: js-yamux went silent after our GoAway'))
      }
      await hangUp
      t.equal(connection.status, 'closed')
      await within('our stream to close after the hang-up', closed)
      t.ok(stream.destroyed, 'the stream is destroyed')
      const writeError = await new Promise<Error | null | undefined>(resolve => { stream.write(Buffer.from('late'), resolve) })
      t.ok(writeError instanceof Error, `a write after the hang-up fails (${writeError?.message ?? 'no error'})`)
    })
  })
}
