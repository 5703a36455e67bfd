// The example in src/peer/README.md runs and prints what its comments say.

import t from 'tap'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'

t.test('README example', async t => {
  const readme = readFileSync(new URL('../../src/peer/README.md', import.meta.url), 'utf8')
  const code = /```ts\n([\s\S]*?)```/.exec(readme)?.[1]
  if (code === undefined) throw new Error('no ts block in README')
  const index = pathToFileURL(new URL('../../src/peer/index.ts', import.meta.url).pathname).href
  const file = join(t.testdir(), 'example.ts')
  writeFileSync(file, code.replace("'./index.js'", `'${index}'`))
  const printed: unknown[] = []
  t.intercept(console, 'log', { value: (...args: unknown[]) => { printed.push(args.join(' ')) } })
  await import(pathToFileURL(file).href)
  t.equal(printed.length, 4)
  t.match(printed[0], /^12D3KooW/)
  t.match(printed[1], /^bafzaa/)
  t.same(printed.slice(2), ['true', 'true'])
})
