import t from 'tap'
import { fileURLToPath } from 'node:url'
import { run } from './fixtures/run.js'

// `npm start` runs this demo; the README promises what it prints
t.test('the demo connects two peers, identifies, pings and echoes', async t => {
  const result = await run(fileURLToPath(new URL('../../src/demo.ts', import.meta.url)), [])
  t.equal(result.code, 0, result.stderr)
  t.match(result.stdout, /B dials A\s+upgraded in [\d.]+ ms: \/noise \+ \/yamux\/1\.0\.0/)
  t.match(result.stdout, /\s+Noise_XX_25519_ChaChaPoly_SHA256 on node:crypto( \+ native ChaCha20-Poly1305)?\n/)
  t.match(result.stdout, /identify\s+A says agent "libp2p-ts-stack/)
  t.match(result.stdout, /ping\s+[\d.]+ ms, [\d.]+ ms, [\d.]+ ms/)
  t.match(result.stdout, /echo\s+5 concurrent streams .*every byte came back/)
  t.match(result.stdout, /closed\s+both peers stopped/)
})
