// The memory budget of a session nobody gave one (a muxer used on its own,
// outside a node): the share a node gives each connection by default
// (../resources/limits.ts maxConnectionBufferBytes, 256 MiB), so that what
// a remote can make a bare session buffer is bounded as in a node, instead
// of 1024 streams × a 16 MiB yamux window (or unread mplex data) each.

import { DEFAULT_RESOURCE_LIMITS } from '../resources/limits.js'
import { MemoryTotal } from '../resources/memory.js'
import type { MemoryBudget } from './types.js'

/** `given`, or a budget of the default connection share for this session alone. */
export function sessionBudget (given: MemoryBudget | undefined): MemoryBudget {
  if (given !== undefined) return given
  const limit = DEFAULT_RESOURCE_LIMITS.maxConnectionBufferBytes
  // its refusals are the session's own to report (a reset stream, a window not grown)
  return new MemoryTotal(limit, () => {}).openAccount(limit)
}
