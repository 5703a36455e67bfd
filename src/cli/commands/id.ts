// `p2p id [--identity FILE]`: prints the peer ID, creating the key file
// (Ed25519) when it does not exist yet.

import { parseArgs } from 'node:util'
import { loadOrCreateKeyFile, generateKeyPair, PeerId } from '../../peer/index.js'
import type { Output } from '../output.js'

export async function idCommand (args: string[], out: Output): Promise<number> {
  const { values } = parseArgs({ args, options: { identity: { type: 'string' }, json: { type: 'boolean' } } })
  let created = true
  let key = generateKeyPair('Ed25519')
  if (values.identity !== undefined) ({ key, created } = loadOrCreateKeyFile(values.identity))
  const peerId = PeerId.fromPublicKey(key.publicKey)
  out.record({ peerId: peerId.toString(), keyType: key.type, identity: values.identity ?? null, created })
  out.line(peerId.toString())
  return 0
}
