// Options shared by several `p2p` subcommands.

import { P2PError } from '../util/errors.js'
import type { StreamMuxerFactory } from '../muxer/types.js'
import { yamux } from '../yamux/index.js'
import { mplex } from '../mplex/index.js'
import { generateKeyPair, loadOrCreateKeyFile } from '../peer/index.js'
import type { PrivateKey } from '../peer/index.js'

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

export function parseCount (value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback
  const n = Number(value)
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new P2PError('ERR_INVALID_PARAMETERS', `${name} must be a non-negative integer, got "${value}"`)
  }
  return n
}
