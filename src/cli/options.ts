// Options shared by several `p2p` subcommands.

import { P2PError } from '../util/errors.js'
import type { StreamMuxerFactory } from '../muxer/types.js'
import { yamux } from '../yamux/index.js'
import { mplex } from '../mplex/index.js'
import { generateKeyPair, loadOrCreateKeyFile } from '../peer/index.js'
import type { PrivateKey } from '../peer/index.js'
import { Libp2pNode } from '../node/index.js'
import { parseByteSize } from '../util/byte-size.js'
import { MAX_TIMER_MS } from '../util/deadline.js'

const MUXERS: Record<string, StreamMuxerFactory> = { yamux, mplex }

/** `--muxer yamux,mplex` → factories in that order of preference. */
export function parseMuxers (value: string | undefined): StreamMuxerFactory[] {
  if (value === undefined) return [yamux, mplex]
  return value.split(',').map(name => {
    const factory = MUXERS[name.trim()]
    if (factory === undefined) {
      throw new P2PError('ERR_INVALID_PARAMETERS', `unknown muxer "${name}" (expected yamux or mplex)`)
    }
    return factory
  })
}

/** The key from `--identity FILE` (created when missing), or a fresh one. */
export function loadIdentity (file: string | undefined): PrivateKey {
  if (file === undefined) return generateKeyPair('Ed25519')
  return loadOrCreateKeyFile(file).key
}

/** A whole number written in decimal digits (not '', 0x10 or 1e3, which Number() would take), at least `min` and at most `max`. */
export function parseCount (value: string | undefined, name: string, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return fallback
  const n = /^\d+$/.test(value) ? Number(value) : NaN
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? (min === 0 ? 'a non-negative integer' : `an integer of at least ${min}`) : `an integer in ${min}..${max}`
    throw new P2PError('ERR_INVALID_PARAMETERS', `${name} must be ${range}, got "${value}"`)
  }
  return n
}

/** A time limit in ms: 1 up to `max` (a timer's longest, or less where a caller multiplies it). */
export function parseTimeoutMs (value: string | undefined, name: string, fallback: number, max = MAX_TIMER_MS): number {
  return parseCount(value, name, fallback, 1, max)
}

/** A byte count: a whole number, or one with a binary unit (64KiB, 10MiB, 1GiB; ../util/byte-size.ts). */
export function parseByteCount (value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback
  const bytes = parseByteSize(value)
  if (bytes === undefined) {
    throw new P2PError('ERR_INVALID_PARAMETERS', `${name} must be a byte count such as 65536, 64KiB or 10MiB, got "${value}"`)
  }
  return bytes
}

/** The target multiaddr of a dialling command, or a usage error. */
export function requireTarget (positionals: string[], usage: string): string {
  const [target, ...extra] = positionals
  if (target === undefined) throw new P2PError('ERR_INVALID_PARAMETERS', `usage: ${usage}`)
  // a second address would be silently ignored: say so instead
  if (extra.length > 0) throw new P2PError('ERR_INVALID_PARAMETERS', `expected one MULTIADDR, got ${positionals.length} (${positionals.join(' ')}); usage: ${usage}`)
  return target
}

/**
 * Runs `run` with a started, dial-only node (`--identity`, `--muxer`; no
 * identify on connect: the command asks for what it wants) and stops the
 * node afterwards, whatever happens.
 */
export async function withDialingNode<T> (values: { identity?: string, muxer?: string }, run: (node: Libp2pNode) => Promise<T>): Promise<T> {
  const node = new Libp2pNode({ privateKey: loadIdentity(values.identity), muxers: parseMuxers(values.muxer), identifyOnConnect: false })
  await node.start()
  try {
    return await run(node)
  } finally {
    await node.stop()
  }
}
