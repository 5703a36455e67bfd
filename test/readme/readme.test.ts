// The README's library example is real code: this test extracts it, points
// its import at the source tree and runs it.

import t from 'tap'
import { readFileSync, writeFileSync, rmSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { run } from '../cli/fixtures/run.js'

const root = fileURLToPath(new URL('../../', import.meta.url))

t.test('the README library example runs and prints what it promises', async t => {
  const readme = readFileSync(`${root}README.md`, 'utf8')
  const section = readme.slice(readme.indexOf('## Use it as a library'))
  const code = section.slice(section.indexOf('```ts') + 5, section.indexOf('```', section.indexOf('```ts') + 5))
  t.match(code, /new Libp2pNode/)
  const file = `${root}test/readme/example.generated.ts`
  writeFileSync(file, `// @ts-nocheck\n${code.replace("from 'libp2p-ts-stack'", "from '../../src/index.js'")}`)
  t.teardown(() => { rmSync(file, { force: true }) })
  const result = await run(file, [])
  t.equal(result.code, 0, result.stderr)
  const lines = result.stdout.trim().split('\n')
  t.equal(lines[0], 'true', 'the remote peer was verified')
  t.equal(lines[1], 'HELLO', 'the handler answered on the stream')
  t.match(lines[2], /^\[ [\d.]+, [\d.]+ \]$/, 'two ping RTTs')
  t.equal(lines[3], 'true', 'identify lists the handler\'s protocol')
  t.equal(lines[4], 'true', 'and the peer store kept it')
})
