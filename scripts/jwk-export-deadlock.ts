// Checks whether this Node still deadlocks in KeyObject.export({ format:
// 'jwk' }) on a key fresh from generateKeyPairSync (README, "A deadlock in
// Node, found through a stall"; the reason src/noise/crypto-node.ts never
// exports a key generateKeyPairSync made):
//
//     node --import @tapjs/typescript/import scripts/jwk-export-deadlock.ts
//     node --import @tapjs/typescript/import scripts/jwk-export-deadlock.ts --imported
//
// With --imported the loop makes its keys with crypto-node.ts itself
// (random bytes imported as a JWK, whose public half is exported from the
// imported key), and should never hang.
//
// It forks a child that generates and exports X25519 keys in a loop, with
// V8 collecting garbage every few allocations (--gc-interval) so that a GC
// soon lands inside export(). The child reports its progress over IPC; a
// child that stops reporting while its process is alive has deadlocked (its
// main thread waits on a mutex it holds), and is killed. Exit code 1 when
// the deadlock is there, 0 when the loop ran its course, 2 when the child
// failed otherwise.

import { fork } from 'node:child_process'
import crypto from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { nodeCrypto } from '../src/noise/crypto-node.js'

/** The child's whole run; Node 20.20.2 here hangs within a few seconds. */
const RUN_MS = 15_000
/** No report for this long: the child is stuck. */
const SILENCE_MS = 3_000
/** A GC every this many allocations (any of 13, 31 hung here). */
const GC_INTERVAL = 13

/** One fresh key: our Noise key generation, or a generated KeyObject exported as a JWK. */
function freshKey (imported: boolean): void {
  if (imported) {
    nodeCrypto.generatePrivateKey()
  } else {
    const { privateKey } = crypto.generateKeyPairSync('x25519')
    privateKey.export({ format: 'jwk' })
  }
}

if (process.argv[2] === 'child') {
  const imported = process.argv[3] === '--imported'
  // started: from now on silence means a stuck loop, not a slow start
  process.send?.(0)
  const start = Date.now()
  let keys = 0
  let lastReport = start
  const spacers: object[] = []
  while (Date.now() - start < RUN_MS) {
    freshKey(imported)
    keys++
    // a varying number of small allocations, so that the every-Nth-allocation
    // GC does not fall on the same point of every iteration
    for (let i = 0; i < keys % 5; i++) spacers.push({})
    if (spacers.length > 100) spacers.length = 0
    if (Date.now() - lastReport > 200) {
      lastReport = Date.now()
      process.send?.(keys)
    }
  }
  process.send?.(keys)
  process.disconnect()
} else {
  const mode = process.argv[2] === '--imported' ? 'from random bytes imported as JWKs' : 'exported as JWKs'
  const child = fork(fileURLToPath(import.meta.url), ['child', ...process.argv.slice(2, 3)], {
    execArgv: [...process.execArgv, `--gc-interval=${GC_INTERVAL}`]
  })
  let keys = 0
  // the clock starts with the child's first message (loading the TypeScript
  // loader under --gc-interval takes a while)
  let lastHeard = Infinity
  child.on('message', (count: number) => {
    keys = count
    lastHeard = Date.now()
  })
  const watchdog = setInterval(() => {
    if (Date.now() - lastHeard < SILENCE_MS) return
    clearInterval(watchdog)
    console.log(`${process.version}, keys ${mode}: deadlocked after ${keys} keys (no progress for ${SILENCE_MS / 1000} s; the child is killed)`)
    child.kill('SIGKILL')
    process.exitCode = 1
  }, 500)
  child.on('exit', code => {
    clearInterval(watchdog)
    if (process.exitCode === 1) return
    if (code === 0) {
      console.log(`${process.version}, keys ${mode}: no deadlock in ${keys} keys`)
    } else {
      console.log(`${process.version}, keys ${mode}: the child failed (exit code ${String(code)}) after ${keys} keys`)
      process.exitCode = 2
    }
  })
}
