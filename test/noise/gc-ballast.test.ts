// The GC ballast (src/noise/gc-ballast.ts): laid once one channel has moved
// bulk data, never by a little traffic, really in V8's heap, and switched off
// on request. The ballast is process-wide state, and tap runs each test file
// in its own process, so the tests below run in order on one module.

import t from 'tap'
import v8 from 'node:v8'
import vm from 'node:vm'
import {
  BULK_CHANNEL_BYTES, CipherState, DEFAULT_GC_BALLAST_BYTES, NoiseSecureStream, gcBallastBytes, nodeCrypto, setGcBallastBytes
} from '../../src/noise/index.js'
import { duplexPair } from '../helpers/duplex-pair.js'

v8.setFlagsFromString('--expose-gc')
const gc = vm.runInNewContext('gc') as () => void

/** Two Noise channels joined back to back (a's sends are b's receives), with the same keys each way. */
function channelPair (): { a: NoiseSecureStream, b: NoiseSecureStream } {
  const [x, y] = duplexPair()
  const key = new Uint8Array(32).fill(3)
  const a = new NoiseSecureStream(x, new CipherState(nodeCrypto, key), new CipherState(nodeCrypto, key))
  const b = new NoiseSecureStream(y, new CipherState(nodeCrypto, key), new CipherState(nodeCrypto, key))
  return { a, b }
}

/** Sends `bytes` from a to b and waits until b has read them all. */
async function move (a: NoiseSecureStream, b: NoiseSecureStream, bytes: number): Promise<void> {
  let received = 0
  const done = new Promise<void>(resolve => {
    const onData = (chunk: Buffer): void => {
      received += chunk.length
      if (received < bytes) return
      b.off('data', onData)
      resolve()
    }
    b.on('data', onData)
  })
  const chunk = new Uint8Array(64 * 1024)
  for (let sent = 0; sent < bytes; sent += chunk.length) {
    if (!a.write(chunk.subarray(0, Math.min(chunk.length, bytes - sent)))) await new Promise(resolve => a.once('drain', resolve))
  }
  await done
}

t.test('a channel that moves bulk data lays the ballast in the V8 heap; a little traffic does not', async t => {
  gc()
  const before = v8.getHeapStatistics().used_heap_size
  const { a, b } = channelPair()
  // a channel counts what it seals and what it opens: a sends, b opens the same bytes
  await move(a, b, BULK_CHANNEL_BYTES / 4)
  t.equal(gcBallastBytes(), 0, 'a quarter of the bulk threshold each way: no ballast')
  const { a: c, b: d } = channelPair()
  await move(c, d, BULK_CHANNEL_BYTES / 4)
  t.equal(gcBallastBytes(), 0, 'the count is per channel: a second small channel lays none either')
  await move(a, b, BULK_CHANNEL_BYTES)
  t.equal(gcBallastBytes(), DEFAULT_GC_BALLAST_BYTES, 'once one channel has moved the threshold, the ballast is laid')
  gc()
  const grown = v8.getHeapStatistics().used_heap_size - before
  t.ok(grown >= DEFAULT_GC_BALLAST_BYTES * 0.95, `the live V8 heap grew by ${(grown / 2 ** 20).toFixed(1)} MiB: one flat string, not a few cons cells`)
  await move(a, b, BULK_CHANNEL_BYTES)
  t.equal(gcBallastBytes(), DEFAULT_GC_BALLAST_BYTES, 'laid once: more bulk data lays no second one')
  for (const s of [a, b, c, d]) s.destroy()
})

t.test('setGcBallastBytes(0) drops the ballast and stops channels laying one', async t => {
  setGcBallastBytes(0)
  t.equal(gcBallastBytes(), 0)
  const { a, b } = channelPair()
  await move(a, b, BULK_CHANNEL_BYTES * 2)
  t.equal(gcBallastBytes(), 0, 'bulk data moved, no ballast')
  setGcBallastBytes(1024 * 1024)
  await move(a, b, BULK_CHANNEL_BYTES)
  t.equal(gcBallastBytes(), 1024 * 1024, 'a new size is laid when bulk data moves again (a channel past the threshold lays it on its next message)')
  a.destroy()
  b.destroy()
})

t.test('the count stops at the threshold, so a channel moving gigabytes keeps a small-integer count', async t => {
  // V8's small integers end at 2^30 - 1: a count past it changes the
  // field's representation, and with it the hidden class that every
  // optimized stream function was compiled for (--trace-deopt showed the
  // whole process's stream code deoptimized at 1 GiB into a transfer).
  // Moving 2^30 bytes in a test would take seconds, so the count starts
  // just below the edge.
  const { a, b } = channelPair()
  const count = a as unknown as { moved: number }
  count.moved = 2 ** 30 - 1000
  await move(a, b, 4 * 65536)
  t.equal(count.moved, 2 ** 30 - 1000, 'a count past the threshold does not grow')
  const { a: c, b: d } = channelPair()
  const fresh = c as unknown as { moved: number }
  await move(c, d, BULK_CHANNEL_BYTES / 2)
  t.equal(fresh.moved, BULK_CHANNEL_BYTES / 2, 'below the threshold every byte sealed is counted')
  await move(c, d, BULK_CHANNEL_BYTES)
  t.ok(fresh.moved >= BULK_CHANNEL_BYTES && fresh.moved < BULK_CHANNEL_BYTES + 65536, `it stops within one message past the threshold (${fresh.moved})`)
  for (const s of [a, b, c, d]) s.destroy()
})

t.test('bad sizes are refused with a typed error', async t => {
  for (const bytes of [-1, 1.5, Number.NaN, 512 * 1024 * 1024]) {
    t.throws(() => { setGcBallastBytes(bytes) }, { code: 'ERR_INVALID_PARAMETERS' }, String(bytes))
  }
})

t.test('P2P_GC_BALLAST=0 in the environment turns it off', async t => {
  process.env.P2P_GC_BALLAST = '0'
  // a second instance of the module, which reads the environment afresh
  const url = new URL('../../src/noise/gc-ballast.js?environment', import.meta.url).href
  const fresh = await import(url) as typeof import('../../src/noise/gc-ballast.js')
  delete process.env.P2P_GC_BALLAST
  fresh.layGcBallast()
  t.equal(fresh.gcBallastBytes(), 0)
})
