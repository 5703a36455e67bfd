// The Noise key log: what `--keylog FILE` writes so that a recorded capture
// of a connection can be decrypted offline. Never on by default; the keys go
// only to this file, never to the trace, a log or any other output.
//
// Format (one connection = one comment line and one key line, appended):
//
//   # 2026-01-01T00:00:00.000Z initiator local=/ip4/127.0.0.1/tcp/50000 remote=/ip4/127.0.0.1/tcp/4001
//   NOISE_XX <handshake hash> <initiator-to-responder key> <responder-to-initiator key>
//
// All three values are lowercase hex, 32 bytes each: the handshake hash `h`
// after the last handshake message, and the two ChaChaPoly keys from Split()
// (noise.md rev 34 §5.2: "the first for encrypting transport messages from
// initiator to responder, the second for ... responder to initiator").
// Each key starts with nonce 0 and counts up by one per transport message
// (libp2p/specs noise "Encryption and I/O"); a transport message on the wire
// is a 2-byte big-endian length, then ciphertext with its 16-byte tag, with
// empty associated data. The comment line names the TCP endpoints so the key
// line can be matched to a flow in the capture. The file is created 0600.

import fs from 'node:fs'
import { P2PError } from '../util/errors.js'

export interface KeyLogKeys {
  handshakeHash: Uint8Array
  initiatorToResponder: Uint8Array
  responderToInitiator: Uint8Array
}

export interface KeyLogContext {
  role: 'initiator' | 'responder'
  localAddr?: string
  remoteAddr: string
  date?: Date
}

/** The key log's label for libp2p's Noise_XX_25519_ChaChaPoly_SHA256. */
export const KEYLOG_LABEL = 'NOISE_XX'

/** The two lines for one connection (each ending in \n). */
export function formatKeyLogEntry (keys: KeyLogKeys, context: KeyLogContext): string {
  const date = (context.date ?? new Date()).toISOString()
  const comment = `# ${date} ${context.role} local=${context.localAddr ?? '?'} remote=${context.remoteAddr}`
  const line = [KEYLOG_LABEL, hex(keys.handshakeHash), hex(keys.initiatorToResponder), hex(keys.responderToInitiator)].join(' ')
  return `${comment}\n${line}\n`
}

export interface KeyLogEntry {
  handshakeHash: string
  initiatorToResponder: string
  responderToInitiator: string
}

/** Reads the key lines back (comments and blank lines skipped). */
export function parseKeyLog (text: string): KeyLogEntry[] {
  const entries: KeyLogEntry[] = []
  for (const line of text.split('\n')) {
    const fields = line.trim().split(' ')
    if (fields[0] !== KEYLOG_LABEL || fields.length !== 4) continue
    entries.push({ handshakeHash: fields[1], initiatorToResponder: fields[2], responderToInitiator: fields[3] })
  }
  return entries
}

export type KeyLog = (keys: KeyLogKeys, context: KeyLogContext) => void

/**
 * Appends to `path` synchronously, so the keys are on disk before the first
 * transport message is sent (and survive a crash right after).
 */
export function fileKeyLog (path: string): KeyLog {
  // Opened once now, so that a path we cannot write fails the command that
  // asked for it, not each handshake later (where a listener would drop
  // every connection without a word).
  try {
    fs.closeSync(fs.openSync(path, 'a', 0o600))
  } catch (err) {
    throw new P2PError('ERR_KEYLOG_UNWRITABLE', `cannot write the key log "${path}": ${(err as Error).message}`, { cause: err })
  }
  return (keys, context) => {
    const fd = fs.openSync(path, 'a', 0o600)
    try {
      fs.writeSync(fd, formatKeyLogEntry(keys, context))
    } finally {
      fs.closeSync(fd)
    }
  }
}

function hex (bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')
}
