// Where the benchmark's two processes run: the CPUs of their main threads.
//
// Why it matters: in a sequential dial-and-ping loop the dialer and the
// listener take turns, each waiting for the other's message. With both main
// threads on one CPU a turn hands over on that CPU; on two CPUs every
// message has to wake the other one, which in this VM halts when idle. Ours
// (short turns, strictly alternating) and js-libp2p (longer turns, more of
// its work in parallel) gain from opposite placements, so the ratio of
// their connections/s moves with where the OS scheduler happened to put
// them (bench/NOTES.md, "Where the scheduler puts the two processes").
// `--placement` fixes it for both stacks alike: `same` pins both main
// threads to CPU 0, `split` the listener's to CPU 0 and the dialer's to
// CPU 1. Only the main thread is pinned (`taskset -p` without `-a`): V8's
// compiler and GC threads, started with the process, stay free; threads the
// main thread starts later inherit its CPU. `free` (the default) leaves it
// all to the scheduler.

import { execFileSync } from 'node:child_process'
import os from 'node:os'

export const PLACEMENTS = ['free', 'same', 'split'] as const
export type Placement = typeof PLACEMENTS[number]

export function parsePlacement (text: string): Placement {
  const placement = PLACEMENTS.find(p => p === text)
  if (placement === undefined) throw new Error(`unknown placement "${text}"; known: ${PLACEMENTS.join(', ')}`)
  if (placement !== 'free' && os.platform() !== 'linux') throw new Error(`--placement ${placement} pins threads with taskset, which needs Linux`)
  if (placement === 'split' && os.availableParallelism() < 2) throw new Error('--placement split needs two CPUs')
  return placement
}

/**
 * The CPU of each of a benchmark's first two workers' main threads (the
 * listener, then the dialer or sender); undefined when they are left free.
 */
export function mainThreadCpus (placement: Placement): [number, number] | undefined {
  switch (placement) {
    case 'free': return undefined
    case 'same': return [0, 0]
    case 'split': return [0, 1]
  }
}

/** Pins the main thread of process `pid` (its thread ID is the pid) to `cpu`. */
export function pinMainThread (pid: number, cpu: number): void {
  try {
    execFileSync('taskset', ['-p', '-c', String(cpu), String(pid)], { stdio: 'ignore' })
  } catch (err) {
    throw new Error(`could not pin process ${pid} to CPU ${cpu} with taskset (util-linux): ${err instanceof Error ? err.message : String(err)}`)
  }
}

/** How a report names the placement. */
export function describePlacement (placement: Placement): string {
  switch (placement) {
    case 'free': return 'main threads placed by the OS scheduler'
    case 'same': return 'both main threads pinned to CPU 0'
    case 'split': return 'listener\'s main thread pinned to CPU 0, dialer\'s to CPU 1'
  }
}
