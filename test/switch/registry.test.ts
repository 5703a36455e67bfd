// The switch's handler registry (src/switch/registry.ts) as the multistream
// listener's matcher: IDs checked when handled, the sorted listing an `ls`
// answers with, kept up to date through handle and unhandle.
import t from 'tap'
import { ProtocolRegistry } from '../../src/switch/registry.js'
import { handleProtocols, listProtocols, selectProtocol } from '../../src/multistream/index.js'
import { duplexPair } from '../helpers/duplex-pair.js'

async function listed (registry: ProtocolRegistry): Promise<string[]> {
  const [dialer, listener] = duplexPair()
  handleProtocols(listener, registry).catch(() => {})
  try {
    return await listProtocols(dialer)
  } finally {
    dialer.destroy()
    listener.destroy()
  }
}

t.test('an ID multistream-select cannot carry is refused when handled', async t => {
  const registry = new ProtocolRegistry()
  t.throws(() => { registry.handle('/two\nlines/1.0.0', () => {}) }, { code: 'ERR_INVALID_PROTOCOL_ID' }, 'a newline would end the message')
  t.throws(() => { registry.handle('no-slash/1.0.0', () => {}) }, { code: 'ERR_INVALID_PROTOCOL_ID' })
  t.throws(() => { registry.handle(`/${'x'.repeat(2000)}`, () => {}) }, { code: 'ERR_INVALID_PROTOCOL_ID' }, 'longer than one message')
  t.same(registry.protocols, [])
})

t.test('a stream limit that is not a whole number of at least 1 is refused when handled', async t => {
  const registry = new ProtocolRegistry()
  for (const bad of [Number.NaN, 0, -1, 1.5, Infinity]) {
    t.throws(() => { registry.handle('/x/1.0.0', () => {}, { maxInboundStreams: bad }) }, { code: 'ERR_INVALID_PARAMETERS' }, String(bad))
  }
  t.same(registry.protocols, [], 'nothing registered')
  registry.handle('/x/1.0.0', () => {}, { maxInboundStreams: 1 })
  t.equal(registry.get('/x/1.0.0')?.maxInboundStreams, 1)
})

t.test('ls lists the handled IDs sorted, following handle and unhandle', async t => {
  const registry = new ProtocolRegistry()
  registry.handle('/zeta/1.0.0', () => {})
  registry.handle('/alpha/1.0.0', () => {})
  const returned = registry.protocols
  returned.push('/not/handled')
  t.same(registry.protocols, ['/alpha/1.0.0', '/zeta/1.0.0'], 'changing a returned list changes nothing')
  t.same(await listed(registry), ['/alpha/1.0.0', '/zeta/1.0.0'])
  registry.handle('/beta/1.0.0', () => {})
  t.equal(registry.unhandle('/zeta/1.0.0'), true)
  t.equal(registry.unhandle('/zeta/1.0.0'), false, 'nothing left to remove')
  t.same(await listed(registry), ['/alpha/1.0.0', '/beta/1.0.0'])
})

t.test('a proposal is accepted exactly when a handler is registered for it', async t => {
  const registry = new ProtocolRegistry()
  registry.handle('/echo/1.0.0', () => {})
  const [dialer, listener] = duplexPair()
  const agreed = handleProtocols(listener, registry)
  t.equal(await selectProtocol(dialer, ['/other/1.0.0', '/echo/1.0.0']), '/echo/1.0.0', 'na for the unhandled one, then the echo')
  t.equal(await agreed, '/echo/1.0.0')
  dialer.destroy()
  listener.destroy()
})
