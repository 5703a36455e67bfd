// The example in src/multistream/README.md, run. The README's code block must
// equal the region below, so the document cannot drift from working code.

import t from 'tap'
import { readFileSync } from 'node:fs'
import { duplexPair } from '../helpers/duplex-pair.js'
import { handleProtocols, selectProtocol } from '../../src/multistream/index.js'

t.test('README example', async t => {
  const trace: string[] = []
  // #region readme
  const [dialerSide, listenerSide] = duplexPair()

  const [dialed, handled] = await Promise.all([
    // the dialer prefers TLS but settles for Noise
    selectProtocol(dialerSide, ['/tls/1.0.0', '/noise'], {
      onMessage: (direction, message) => trace.push(`dialer ${direction} ${message}`)
    }),
    // the listener only speaks Noise: it answers "na" to TLS
    handleProtocols(listenerSide, ['/noise'], { timeoutMs: 5_000 })
  ])
  // dialed === handled === '/noise'; the next bytes on both streams are Noise's
  // #endregion
  t.equal(dialed, '/noise')
  t.equal(handled, '/noise')
  t.same(trace, [
    'dialer out /multistream/1.0.0',
    'dialer out /tls/1.0.0',
    'dialer in /multistream/1.0.0',
    'dialer in na',
    'dialer out /noise',
    'dialer in /noise'
  ])
})

t.test('the README shows exactly this example', async t => {
  const source = readFileSync(new URL(import.meta.url), 'utf8')
  const region = source.split('// #region readme\n')[1].split('  // #endregion')[0]
  const unindented = region.split('\n').map(line => line.replace(/^ {2}/, '')).join('\n').trimEnd()
  const readme = readFileSync(new URL('../../src/multistream/README.md', import.meta.url), 'utf8')
  const block = readme.split('```ts\n')[1].split('```')[0].trimEnd()
  t.equal(block, unindented)
})
