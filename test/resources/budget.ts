// A MemoryBudget for muxer tests that keeps the books: what is reserved now,
// all ever reserved and released, each refusal, and every release that gave
// back more than was held (a double release shows up there).

import type { MemoryBudget } from '../../src/muxer/types.js'

export class CountingBudget implements MemoryBudget {
  reserved = 0
  reservedTotal = 0
  releasedTotal = 0
  refusals = 0
  /** Releases of more than was reserved at the time. */
  readonly overReleases: string[] = []

  constructor (readonly capacity: number) {}

  reserve (bytes: number): boolean {
    if (this.reserved + bytes > this.capacity) {
      this.refusals++
      return false
    }
    this.reserved += bytes
    this.reservedTotal += bytes
    return true
  }

  release (bytes: number): void {
    if (bytes > this.reserved) this.overReleases.push(`released ${bytes} with ${this.reserved} reserved`)
    this.reserved -= bytes
    this.releasedTotal += bytes
  }
}
