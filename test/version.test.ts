import t from 'tap'
import { readFileSync } from 'node:fs'
import { IMPLEMENTATION_NAME, VERSION } from '../src/version.js'
import { AGENT_VERSION } from '../src/node/index.js'

t.test('the version is package.json\'s, and the agent version carries it', async t => {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { name: string, version: string }
  t.equal(VERSION, pkg.version)
  t.equal(IMPLEMENTATION_NAME, pkg.name)
  t.equal(AGENT_VERSION, `${pkg.name}/${pkg.version} node/${process.versions.node}`)
})
