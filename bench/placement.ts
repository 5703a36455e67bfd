// Where the benchmark's two processes run: the CPUs of their main threads.
//
// Why: the connect benchmark is a strict exchange between two processes,
// and whether the OS scheduler puts their main threads on one CPU or on two
// changed js-libp2p's connections/s by a fifth to two fifths on this 2-vCPU
// machine (bench/NOTES.md, "Where the scheduler puts the two processes").
// `--placement` fixes it, for both stacks alike: `same` pins both main
// threads to one CPU, `split` the listener's to one and the dialer's (or
// sender's) to another; `free`, the default, leaves it to the scheduler.
// Only the main thread is pinned (`taskset -p` without `-a`): the threads
// Node started with the process (V8's compiler and GC helpers) stay free,
// while threads the main thread starts later (libuv's pool) inherit its CPU.

import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'

export const PLACEMENTS = ['free', 'same', 'split'] as const
export type Placement = typeof PLACEMENTS[number]

export function parsePlacement (text: string): Placement {
  const placement = PLACEMENTS.find(p => p === text)
  if (placement === undefined) throw new Error(`unknown placement "${text}"; known: ${PLACEMENTS.join(', ')}`)
  return placement
}

/** For each placement, which of the runner's own CPUs (by position in its list) each main thread gets: listener, then dialer. */
const CPU_POSITIONS: Record<Placement, [number, number] | undefined> = {
  free: undefined,
  same: [0, 0],
  split: [0, 1]
}

const DESCRIPTIONS: Record<Placement, string> = {
  free: 'main threads placed by the OS scheduler',
  same: 'both main threads pinned to one CPU',
  split: 'listener\'s and dialer\'s main threads pinned to two CPUs'
}

/** How a report names the placement. */
export function describePlacement (placement: Placement): string {
  return DESCRIPTIONS[placement]
}

/** The CPUs this process may run on, from /proc (Linux), e.g. "0-1,4" → [0, 1, 4]. */
export function allowedCpus (): number[] {
  const status = fs.readFileSync('/proc/self/status', 'utf8')
  const list = /^Cpus_allowed_list:\s*(\S+)$/m.exec(status)?.[1]
  if (list === undefined) throw new Error('/proc/self/status has no Cpus_allowed_list')
  return list.split(',').flatMap(range => {
    const [first, last = first] = range.split('-').map(Number)
    return Array.from({ length: last - first + 1 }, (_, i) => first + i)
  })
}

/**
 * The CPU of each of a benchmark's first two workers' main threads (the
 * listener, then the dialer or sender), chosen among the CPUs the runner
 * may use; undefined when they are left free. Checked once, before any
 * worker starts: Linux, enough CPUs, and a taskset that runs.
 */
export function resolvePlacement (placement: Placement): [number, number] | undefined {
  const positions = CPU_POSITIONS[placement]
  if (positions === undefined) return undefined
  if (os.platform() !== 'linux') throw new Error(`--placement ${placement} pins threads with taskset, which needs Linux`)
  const cpus = allowedCpus()
  const needed = Math.max(...positions) + 1
  if (cpus.length < needed) throw new Error(`--placement ${placement} needs ${needed} CPUs; this process may use ${cpus.length}`)
  try {
    execFileSync('taskset', ['--version'], { stdio: 'ignore' })
  } catch {
    throw new Error(`--placement ${placement} needs taskset (util-linux) on the PATH`)
  }
  return [cpus[positions[0]], cpus[positions[1]]]
}

/** Pins the main thread of process `pid` (its thread ID is the pid) to `cpu`. */
export function pinMainThread (pid: number, cpu: number): void {
  try {
    execFileSync('taskset', ['-p', '-c', String(cpu), String(pid)], { stdio: ['ignore', 'ignore', 'pipe'] })
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString().trim() ?? ''
    throw new Error(`could not pin process ${pid} to CPU ${cpu} with taskset: ${stderr === '' ? String(err) : stderr}`)
  }
}
