// Forks worker processes and talks to them (protocol.ts), and pins the
// first two's main threads where the run's placement asks (placement.ts).
// Under the compiled build the worker is dist/bench/worker.js run by plain
// node; under tap (the smoke test imports bench/*.ts directly) it is
// worker.ts run with the same TypeScript loader as the parent
// (process.execArgv).

import { fork } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { Envelope, Reply, Request } from './protocol.js'
import { pinMainThread } from './placement.js'

/** A request that takes longer than this means a hung benchmark, not a slow one. */
const REQUEST_TIMEOUT_MS = 180_000

/**
 * BENCH_CPU_PROF=<dir> writes a V8 CPU profile of every worker there (open it
 * in Chrome DevTools); BENCH_NODE_ARGS adds Node options to every worker
 * (e.g. '--trace-gc' or '--cpu-prof-interval 100').
 */
function profileArgs (): string[] {
  const dir = process.env.BENCH_CPU_PROF
  const extra = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(arg => arg !== '')
  return dir === undefined || dir === '' ? extra : [...extra, '--cpu-prof', `--cpu-prof-dir=${dir}`]
}

export class Worker {
  private nextId = 1
  private readonly pending = new Map<number, { resolve: (v: unknown) => void, reject: (e: Error) => void, timer: NodeJS.Timeout }>()
  private exited = false

  private constructor (private readonly child: ChildProcess) {
    child.on('message', (reply: Reply) => {
      const waiter = this.pending.get(reply.id)
      if (waiter === undefined) return
      this.pending.delete(reply.id)
      clearTimeout(waiter.timer)
      if (reply.ok) waiter.resolve(reply.result)
      else waiter.reject(new Error(reply.error))
    })
    child.on('exit', code => {
      this.exited = true
      for (const waiter of this.pending.values()) {
        clearTimeout(waiter.timer)
        waiter.reject(new Error(`worker exited (code ${String(code)}) before answering`))
      }
      this.pending.clear()
    })
  }

  static start (): Worker {
    const here = fileURLToPath(import.meta.url)
    const typescript = here.endsWith('.ts')
    const entry = here.replace(/launch\.(ts|js)$/, typescript ? 'worker.ts' : 'worker.js')
    const execArgv = [...(typescript ? process.execArgv : []), '--expose-gc', ...profileArgs()]
    // the parent (tap) has type-checked already; the workers only need to run
    const env = typescript ? { ...process.env, TS_NODE_TRANSPILE_ONLY: '1' } : process.env
    const child = fork(entry, [], { execArgv, env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
    return new Worker(child)
  }

  /** The worker's process ID (its main thread's ID too). */
  get pid (): number {
    if (this.child.pid === undefined) throw new Error('worker process has no pid (it failed to start)')
    return this.child.pid
  }

  async call<T> (request: Request): Promise<T> {
    if (this.exited) throw new Error(`worker already exited; cannot run ${request.op}`)
    const id = this.nextId++
    return await new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id)
        reject(new Error(`worker did not answer ${request.op} within ${REQUEST_TIMEOUT_MS} ms`))
      }, REQUEST_TIMEOUT_MS)
      this.pending.set(id, { resolve: v => { resolve(v as T) }, reject, timer })
      this.child.send({ id, request } satisfies Envelope)
    })
  }

  /** Asks the worker to close what it opened and exit; kills it if it does not. */
  async stop (): Promise<void> {
    if (this.exited) return
    const exited = new Promise<void>(resolve => { this.child.once('exit', () => { resolve() }) })
    this.call({ op: 'exit' }).catch(() => {})
    const timer = setTimeout(() => { this.child.kill('SIGKILL') }, 5_000)
    await exited
    clearTimeout(timer)
  }
}

/** Workers kept between benchmarks when reuse is on (see reuseWorkers). */
let pool: Worker[] | undefined

/**
 * Keeps worker processes between benchmarks, resetting them instead of
 * starting new ones; returns the function that stops them. For the smoke
 * test only: under the TypeScript loader each fresh process spends seconds
 * compiling, while a real run wants fresh processes (clean heaps, own peaks).
 * A pooled worker keeps the CPU a placement pinned it to.
 */
export function reuseWorkers (): () => Promise<void> {
  pool = []
  return async () => {
    const workers = pool ?? []
    pool = undefined
    await Promise.all(workers.map(async w => { await w.stop() }))
  }
}

/**
 * The CPUs of the first two workers' main threads (listener, dialer) for
 * every benchmark of the current run, or undefined to leave them free
 * (./placement.ts resolvePlacement); set by the runner for one run.
 */
let mainThreadCpus: [number, number] | undefined

export function setMainThreadCpus (cpus: [number, number] | undefined): void {
  mainThreadCpus = cpus
}

/**
 * Pins the first two workers' main threads to mainThreadCpus. A worker is
 * pinned only once it has answered a request (any will do: 'cpu' has no
 * side effects): by then Node has started V8's own threads, which must
 * not inherit the main thread's CPU.
 */
async function place (workers: Worker[]): Promise<void> {
  const cpus = mainThreadCpus
  if (cpus === undefined) return
  await Promise.all(workers.slice(0, 2).map(async (worker, i) => {
    await worker.call({ op: 'cpu' })
    pinMainThread(worker.pid, cpus[i])
  }))
}

/** Runs `body` with fresh workers (or reset pooled ones), stopping them afterwards whatever happens. */
export async function withWorkers<T> (count: number, body: (workers: Worker[]) => Promise<T>): Promise<T> {
  if (pool !== undefined) {
    while (pool.length < count) pool.push(Worker.start())
    const workers = pool.slice(0, count)
    try {
      await place(workers)
      return await body(workers)
    } finally {
      await Promise.all(workers.map(async w => { await w.call({ op: 'reset' }) }))
    }
  }
  const workers = Array.from({ length: count }, () => Worker.start())
  try {
    await place(workers)
    return await body(workers)
  } finally {
    await Promise.all(workers.map(async w => { await w.stop() }))
  }
}
