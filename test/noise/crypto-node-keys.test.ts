// X25519 keys of the node:crypto back end (src/noise/crypto-node.ts): fresh
// and given keys right to the byte (checked against the noble back end),
// through the JWK import and through its DER fallback, and made without ever
// exporting a KeyObject that generateKeyPairSync returned, which can
// deadlock Node 20 (see freshPrivateKey there).
import t from 'tap'
import crypto from 'node:crypto'
import { nobleCrypto } from '../../src/noise/crypto-noble.js'

// Every KeyObject generateKeyPairSync hands out, and every KeyObject made from
// one (createPublicKey shares the generated key and its mutex), gets an
// export() that records its use; crypto-node is loaded after the wrappers.
const exportsOfGenerated: string[] = []
function watch (value: unknown): void {
  if (!(value instanceof crypto.KeyObject)) return
  const key = value as unknown as { export: (options?: { format?: string }) => unknown }
  const original = key.export.bind(key)
  key.export = (options?: { format?: string }) => {
    exportsOfGenerated.push(String(options?.format))
    return original(options)
  }
  watched.add(value)
}
const watched = new WeakSet<crypto.KeyObject>()
const originalGenerate = crypto.generateKeyPairSync
const originalCreatePublicKey = crypto.createPublicKey
Object.assign(crypto, {
  generateKeyPairSync (...args: unknown[]) {
    const pair = (originalGenerate as (...a: unknown[]) => { publicKey: unknown, privateKey: unknown })(...args)
    watch(pair.publicKey)
    watch(pair.privateKey)
    return pair
  },
  createPublicKey (key: crypto.KeyObject) {
    const made = originalCreatePublicKey(key)
    if (watched.has(key)) watch(made)
    return made
  }
})
t.teardown(() => { Object.assign(crypto, { generateKeyPairSync: originalGenerate, createPublicKey: originalCreatePublicKey }) })

const { nodeCrypto } = await import('../../src/noise/crypto-node.js')

t.test('fresh keys: the public key and DH results agree with the noble back end', async t => {
  for (let i = 0; i < 8; i++) {
    const a = nodeCrypto.generatePrivateKey()
    const b = nodeCrypto.generatePrivateKey()
    t.equal(a.length, 32)
    t.same(nodeCrypto.publicKey(a), nobleCrypto.publicKey(a), 'public key of the generated private key')
    const shared = nodeCrypto.dh(a, nodeCrypto.publicKey(b))
    t.same(shared, nobleCrypto.dh(b, nobleCrypto.publicKey(a)), 'both sides of the DH agree, across back ends')
    t.notSame(a, b, 'every key is fresh')
  }
})

t.test('a generated key is never exported from the KeyObject generateKeyPairSync returned', async t => {
  // let the spare key (made in a setImmediate) be generated too
  nodeCrypto.generatePrivateKey()
  await new Promise(resolve => setImmediate(resolve))
  nodeCrypto.generatePrivateKey()
  t.same(exportsOfGenerated, [], 'no export() of a generated KeyObject (Node 20 can deadlock in it)')
})

t.test('a given private key (a test vector\'s) imports to the same public key and DH as noble', async t => {
  const privateKey = Uint8Array.from({ length: 32 }, (_, i) => i * 7 + 1)
  const peer = nodeCrypto.generatePrivateKey()
  t.same(nodeCrypto.publicKey(privateKey), nobleCrypto.publicKey(privateKey))
  t.same(nodeCrypto.dh(privateKey, nodeCrypto.publicKey(peer)), nobleCrypto.dh(peer, nobleCrypto.publicKey(privateKey)))
})

t.test('where Node refuses a private JWK without its public half, keys come in as PKCS#8 DER, right to the byte', async t => {
  // the other tests' spare key is made in a setImmediate: let it be made before the patch
  await new Promise(resolve => setImmediate(resolve))
  const refusedJwks: unknown[] = []
  const originalCreatePrivateKey = crypto.createPrivateKey
  Object.assign(crypto, {
    createPrivateKey (key: { format?: string }) {
      if (key.format === 'jwk') {
        refusedJwks.push(key)
        throw new TypeError('Invalid JWK OKP key')
      }
      return originalCreatePrivateKey(key as crypto.PrivateKeyInput)
    }
  })
  t.teardown(() => { Object.assign(crypto, { createPrivateKey: originalCreatePrivateKey }) })
  // a module instance of its own, so the fallback is learnt afresh
  const freshInstance = new URL('../../src/noise/crypto-node.js?der-fallback', import.meta.url).href
  const { nodeCrypto: fallback } = await import(freshInstance) as typeof import('../../src/noise/crypto-node.js')
  const a = fallback.generatePrivateKey()
  const b = Uint8Array.from({ length: 32 }, (_, i) => 255 - i)
  t.equal(refusedJwks.length, 1, 'the JWK was tried once, then not again')
  t.same(fallback.publicKey(a), nobleCrypto.publicKey(a))
  t.same(fallback.publicKey(b), nobleCrypto.publicKey(b))
  t.same(fallback.dh(a, fallback.publicKey(b)), nobleCrypto.dh(b, nobleCrypto.publicKey(a)))
})
