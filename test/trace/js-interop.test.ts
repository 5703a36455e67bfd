// The trace of a connection to a real js-libp2p listener: what an
// independent implementation sends reads the same way as our own peer.
import t from 'tap'
import { Libp2pNode } from '../../src/node/index.js'
import { yamux } from '../../src/yamux/index.js'
import { mplex } from '../../src/mplex/index.js'
import { createWireTracer, memorySink, formatText } from '../../src/trace/index.js'
import type { TraceEvent } from '../../src/trace/index.js'
import { createJsNode } from '../interop/js-peer.js'

for (const [name, muxer] of [['yamux', yamux], ['mplex', mplex]] as const) {
  t.test(`tracing a ping to js-libp2p over ${name}`, async t => {
    const js = await createJsNode({ muxer: name })
    t.teardown(async () => { await js.stop() })
    const events: TraceEvent[] = []
    const node = new Libp2pNode({ muxers: [muxer], identifyOnConnect: false, trace: createWireTracer({ sink: memorySink(events) }) })
    await node.start()
    await node.ping(js.getMultiaddrs()[0].toString(), { count: 1 })
    await node.stop()
    for (let i = 0; i < 200 && !events.some(e => e.type === 'tcp:close'); i++) await new Promise(resolve => setTimeout(resolve, 10))

    const text = events.map(e => formatText(e))
    const steps: RegExp[] = [
      / tcp +connected /,
      / multistream -> \/multistream\/1\.0\.0 /,
      / multistream -> \/noise /,
      / noise +-> message 1 \[-> e\] 34 bytes/,
      / multistream <- \/noise /,
      / noise +<- message 2 \[<- e, ee, s, es\]/,
      / noise +-> message 3 \[-> s, se\]/,
      new RegExp(` noise +remote identity: Ed25519 key, peer ${js.peerId.toString()}, signature over its Noise static key verified`),
      new RegExp(` muxer +muxer ${muxer.protocol} `),
      name === 'yamux' ? / yamux +-> Window Update flags=SYN stream=1 / : / mplex +-> NewStream stream=\d+ \(ours\)/,
      / multistream -> stream \d+: \/ipfs\/ping\/1\.0\.0 /,
      / app +-> stream \d+ \/ipfs\/ping\/1\.0\.0: 32 bytes /,
      / multistream <- stream \d+: \/ipfs\/ping\/1\.0\.0 /,
      / app +<- stream \d+ \/ipfs\/ping\/1\.0\.0: 32 bytes /
    ]
    let from = 0
    for (const re of steps) {
      const at = text.findIndex((l, i) => i >= from && re.test(l))
      t.ok(at >= 0, re.source)
      if (at < 0) {
        t.comment(text.slice(from).join('\n'))
        break
      }
      from = at + 1
    }
    t.notOk(events.some(e => e.type === 'trace:undecodable'), 'every byte js-libp2p sent was understood')
  })
}
