import t from 'tap'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { formatKeyLogEntry, parseKeyLog, fileKeyLog, debugTracer } from '../../src/trace/index.js'
import { debug, isDebugEnabled } from '../../src/util/debug.js'

const keys = {
  handshakeHash: Uint8Array.from({ length: 32 }, (_, i) => i),
  initiatorToResponder: Uint8Array.from({ length: 32 }, (_, i) => 0x40 + i),
  responderToInitiator: Uint8Array.from({ length: 32 }, (_, i) => 0x80 + i)
}

t.test('key log: one comment and one NOISE_XX line per connection', async t => {
  const text = formatKeyLogEntry(keys, { role: 'initiator', localAddr: '/ip4/127.0.0.1/tcp/5000', remoteAddr: '/ip4/127.0.0.1/tcp/4001', date: new Date(0) })
  t.equal(text,
    '# 1970-01-01T00:00:00.000Z initiator local=/ip4/127.0.0.1/tcp/5000 remote=/ip4/127.0.0.1/tcp/4001\n' +
    'NOISE_XX 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f ' +
    '404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f ' +
    '808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f\n')
  t.same(parseKeyLog(text + '\n# comment\n'), [{
    handshakeHash: Buffer.from(keys.handshakeHash).toString('hex'),
    initiatorToResponder: Buffer.from(keys.initiatorToResponder).toString('hex'),
    responderToInitiator: Buffer.from(keys.responderToInitiator).toString('hex')
  }])
})

t.test('key log file: appended, readable by its owner only', async t => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keylog-'))
  t.teardown(() => { fs.rmSync(dir, { recursive: true, force: true }) })
  const file = path.join(dir, 'keys.log')
  const log = fileKeyLog(file)
  log(keys, { role: 'initiator', remoteAddr: '/ip4/127.0.0.1/tcp/1' })
  log(keys, { role: 'responder', remoteAddr: '/ip4/127.0.0.1/tcp/2' })
  t.equal(parseKeyLog(fs.readFileSync(file, 'utf8')).length, 2)
  if (process.platform !== 'win32') t.equal(fs.statSync(file).mode & 0o777, 0o600)
})

t.test('DEBUG patterns: namespaces, wildcards, exclusions; off by default', async t => {
  t.notOk(isDebugEnabled('p2p:noise', undefined))
  t.notOk(isDebugEnabled('p2p:noise', ''))
  t.ok(isDebugEnabled('p2p:noise', 'p2p:*'))
  t.ok(isDebugEnabled('p2p:noise', 'other, p2p:noise'))
  t.notOk(isDebugEnabled('p2p:app', 'p2p:*,-p2p:app'))
  t.notOk(isDebugEnabled('p2pXnoise', 'p2p.noise'), 'dots are literal')
  t.ok(isDebugEnabled('anything', '*'))
  const lines: string[] = []
  let clock = 1000
  const log = debug('p2p:noise', { env: 'p2p:*', write: l => { lines.push(l) }, now: () => clock })
  t.ok(log.enabled)
  log('first')
  clock += 7
  log('second')
  t.same(lines, ['p2p:noise first +0ms\n', 'p2p:noise second +7ms\n'])
  const off = debug('p2p:noise', { env: undefined, write: l => { lines.push(l) } })
  t.notOk(off.enabled)
  off('never')
  t.equal(lines.length, 2, 'a disabled logger writes nothing')
  t.equal(debugTracer(undefined), undefined, 'no tracer without DEBUG')
  t.equal(debugTracer('other:*'), undefined, 'no tracer when no p2p layer is enabled')
  t.type(debugTracer('p2p:yamux')?.forConnection, 'function')
})
