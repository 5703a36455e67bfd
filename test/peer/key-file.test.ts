// Key files: the PrivateKey protobuf on disk, mode 0600, never overwritten,
// malformed or foreign files refused with ERR_INVALID_KEY_FILE.

import t from 'tap'
import { chmodSync, mkdirSync, readFileSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import {
  PeerId, generateKeyPair, loadKeyFile, loadOrCreateKeyFile, privateKeyToProtobuf, saveKeyFile, MAX_KEY_FILE_BYTES
} from '../../src/peer/index.js'

const hex = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'hex'))
const toHex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex')
// the spec's Ed25519 private key vector (spec-vectors/peer/keys.json)
const ED_PRIV = '080112407e0830617c4a7de83925dfb2694556b12936c477a0e1feb2e148ec9da60fee7d1ed1e8fae2c4a144b8be8fd4b47bf3d3b34b871c3cacf6010f0e42d474fce27e'

t.test('save writes the PrivateKey protobuf with mode 0600; load reads it back', async t => {
  const dir = t.testdir()
  const path = join(dir, 'identity.key')
  const key = generateKeyPair()
  saveKeyFile(path, key)
  t.equal(toHex(readFileSync(path)), toHex(privateKeyToProtobuf(key)), 'file is exactly the protobuf')
  if (process.platform !== 'win32') t.equal(statSync(path).mode & 0o777, 0o600, 'owner read/write only')
  t.same(readdirSync(dir), ['identity.key'], 'no temporary file left behind')
  const loaded = loadKeyFile(path)
  t.equal(toHex(loaded.raw), toHex(key.raw))
  t.ok(loaded.publicKey.equals(key.publicKey))
})

t.test('a key file written by another implementation loads (spec vector)', async t => {
  const path = join(t.testdir({ 'spec.key': Buffer.from(hex(ED_PRIV)) }), 'spec.key')
  const key = loadKeyFile(path)
  t.equal(key.type, 'Ed25519')
  t.equal(toHex(key.publicKey.raw), '1ed1e8fae2c4a144b8be8fd4b47bf3d3b34b871c3cacf6010f0e42d474fce27e')
})

t.test('save never overwrites an existing identity', async t => {
  const dir = t.testdir({ 'identity.key': Buffer.from(hex(ED_PRIV)) })
  const path = join(dir, 'identity.key')
  t.throws(() => saveKeyFile(path, generateKeyPair()), { code: 'ERR_KEY_FILE_EXISTS', message: new RegExp(path) })
  t.equal(toHex(readFileSync(path)), ED_PRIV, 'old key untouched')
  t.same(readdirSync(dir), ['identity.key'], 'no temporary file left behind')
  t.throws(() => saveKeyFile(join(dir, 'missing-dir', 'k.key'), generateKeyPair()), { code: 'ERR_KEY_FILE_WRITE' })
})

t.test('loadOrCreateKeyFile creates once, then loads', async t => {
  const path = join(t.testdir(), 'node.key')
  const first = loadOrCreateKeyFile(path)
  t.equal(first.created, true)
  t.equal(first.key.type, 'Ed25519')
  const second = loadOrCreateKeyFile(path)
  t.equal(second.created, false)
  t.ok(PeerId.fromPublicKey(second.key.publicKey).equals(PeerId.fromPublicKey(first.key.publicKey)))
  const secp = loadOrCreateKeyFile(join(t.testdir(), 'secp.key'), 'Secp256k1')
  t.equal(secp.key.type, 'Secp256k1')
  t.equal(loadKeyFile(join(t.testdirName, 'secp.key')).type, 'Secp256k1')
})

t.test('loadOrCreateKeyFile never replaces a broken file', async t => {
  const dir = t.testdir({ 'broken.key': 'garbage' })
  t.throws(() => loadOrCreateKeyFile(join(dir, 'broken.key')), { code: 'ERR_INVALID_KEY_FILE' })
  t.equal(readFileSync(join(dir, 'broken.key'), 'utf8'), 'garbage')
})

t.test('malformed and foreign files are refused, naming the path and the problem', async t => {
  const validPublic = '080112201ed1e8fae2c4a144b8be8fd4b47bf3d3b34b871c3cacf6010f0e42d474fce27e'
  const dir = t.testdir({
    'empty.key': '',
    'text.key': 'hello world\n',
    'pem.key': '-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g\n-----END PRIVATE KEY-----\n',
    'truncated.key': Buffer.from(hex(ED_PRIV.slice(0, 100))),
    'trailing.key': Buffer.from(hex(ED_PRIV + '00')),
    'public.key': Buffer.from(hex(validPublic)),
    'unknown-type.key': Buffer.from(hex('08091200')),
    'huge.key': Buffer.alloc(MAX_KEY_FILE_BYTES + 1),
    'a-directory': {}
  })
  const cases: Array<[string, RegExp]> = [
    ['empty.key', /is empty/],
    ['text.key', /not a libp2p PrivateKey protobuf/],
    ['pem.key', /is a PEM file \("-----BEGIN PRIVATE KEY-----"\)/],
    ['truncated.key', /truncated/],
    ['trailing.key', /unexpected bytes after field 2/],
    ['public.key', /private key Data must be 64 bytes/],
    ['unknown-type.key', /unknown PrivateKey Type 9/],
    ['huge.key', /16385 bytes/],
    ['a-directory', /not a regular file/]
  ]
  for (const [name, detail] of cases) {
    const path = join(dir, name)
    t.throws(() => loadKeyFile(path), { code: 'ERR_INVALID_KEY_FILE', message: new RegExp(`^key file ${path}: .*${detail.source}`) }, name)
  }
  t.throws(() => loadKeyFile(join(dir, 'nope.key')), { code: 'ERR_KEY_FILE_NOT_FOUND', message: /nope\.key: does not exist/ })
})

t.test('unreadable file is ERR_KEY_FILE_READ', { skip: process.platform === 'win32' || process.getuid?.() === 0 ? 'root reads everything' : false }, async t => {
  const dir = t.testdir({ 'locked.key': Buffer.from(hex(ED_PRIV)) })
  chmodSync(join(dir, 'locked.key'), 0o000)
  t.throws(() => loadKeyFile(join(dir, 'locked.key')), { code: 'ERR_KEY_FILE_READ' })
})

t.test('save into a nested directory that exists', async t => {
  const dir = t.testdir()
  mkdirSync(join(dir, 'a', 'b'), { recursive: true })
  const path = join(dir, 'a', 'b', 'k.key')
  saveKeyFile(path, generateKeyPair('ECDSA'))
  t.equal(loadKeyFile(path).type, 'ECDSA')
})

t.test('loadOrCreateKeyFile: losing a creation race loads the winner\'s key', async t => {
  const path = join(t.testdir(), 'raced.key')
  const winner = generateKeyPair()
  const keys = await import('../../src/peer/keys.js')
  // generateKeyPair runs between our "no file" and our save: another process
  // saves its key right then
  const { loadOrCreateKeyFile: raced } = await t.mockImport<typeof import('../../src/peer/key-file.js')>('../../src/peer/key-file.js', {
    '../../src/peer/keys.js': {
      ...keys,
      generateKeyPair: () => {
        saveKeyFile(path, winner)
        return keys.generateKeyPair()
      }
    }
  })
  const result = raced(path)
  t.equal(result.created, false)
  t.equal(toHex(result.key.raw), toHex(winner.raw), 'the key on disk, not ours')
})
