// Identity key files (libp2p/specs peer-ids/peer-ids.md, "Keys": "Current
// libp2p implementations store private keys on disk as a serialized
// PrivateKey protobuf message").
//
// A key file is exactly the canonical PrivateKey protobuf, nothing else, so
// files written by other libp2p implementations load here and vice versa.
//
// Theory of operation. Losing or leaking an identity key cannot be undone,
// so writing is careful:
//   1. write the bytes to a fresh temporary file beside the target, created
//      exclusively ('wx') with mode 0600 (owner read/write only), and fsync;
//   2. link(2) it to the target name — link refuses to replace an existing
//      file, so an existing identity is never overwritten, and a reader sees
//      either no file or the whole file, never a partial one;
//   3. remove the temporary name and fsync the directory so the new name
//      survives a crash.
// loadOrCreateKeyFile relies on step 2: when two processes race to create
// the same file, one wins and the other loads the winner's key.
// The API is synchronous: it runs once at start-up, before any I/O.

import { randomBytes } from 'node:crypto'
import { closeSync, fsyncSync, linkSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { P2PError } from '../util/errors.js'
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from './keys.js'
import type { KeyTypeName, PrivateKey } from './types.js'

/**
 * Largest key file we read. Why: the largest key we accept, an 8192-bit RSA
 * key, is about 4.7 KB as a PrivateKey protobuf; a bigger file is not ours,
 * and reading it whole would be wasted memory.
 */
export const MAX_KEY_FILE_BYTES = 16 * 1024

/** Owner read/write only: the file holds a secret. */
const KEY_FILE_MODE = 0o600

function fileError (code: string, path: string, message: string, cause?: unknown): P2PError {
  return new P2PError(code, `key file ${path}: ${message}`, { cause })
}

function errno (err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code
}

/**
 * Writes `key` to `path` as a PrivateKey protobuf, mode 0600. Never replaces
 * an existing file: throws ERR_KEY_FILE_EXISTS if `path` exists.
 */
export function saveKeyFile (path: string, key: PrivateKey): void {
  const bytes = privateKeyToProtobuf(key)
  const dir = dirname(path)
  const temporary = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`)
  let fd: number | undefined
  try {
    fd = openSync(temporary, 'wx', KEY_FILE_MODE)
    let written = 0
    while (written < bytes.length) written += writeSync(fd, bytes, written)
    fsyncSync(fd)
    closeSync(fd)
    fd = undefined
    try {
      linkSync(temporary, path)
    } catch (err) {
      if (errno(err) === 'EEXIST') throw fileError('ERR_KEY_FILE_EXISTS', path, 'already exists; refusing to overwrite an identity key', err)
      throw err
    }
  } catch (err) {
    if (err instanceof P2PError) throw err
    throw fileError('ERR_KEY_FILE_WRITE', path, `cannot write: ${(err as Error).message}`, err)
  } finally {
    if (fd !== undefined) closeSync(fd)
    try { unlinkSync(temporary) } catch {}
  }
  syncDirectory(dir)
}

/** fsync a directory so a new name in it is durable; not all platforms allow it. */
function syncDirectory (dir: string): void {
  let fd: number | undefined
  try {
    fd = openSync(dir, 'r')
    fsyncSync(fd)
  } catch {
    // Windows cannot open directories; the file itself is already synced
  } finally {
    if (fd !== undefined) closeSync(fd)
  }
}

/**
 * Reads a PrivateKey protobuf from `path`. Throws ERR_KEY_FILE_NOT_FOUND when
 * there is no file, ERR_INVALID_KEY_FILE (naming the path and the problem)
 * when the file is not a valid libp2p private key.
 */
export function loadKeyFile (path: string): PrivateKey {
  let bytes: Buffer
  try {
    const stat = statSync(path)
    if (!stat.isFile()) throw fileError('ERR_INVALID_KEY_FILE', path, 'is not a regular file')
    if (stat.size > MAX_KEY_FILE_BYTES) {
      throw fileError('ERR_INVALID_KEY_FILE', path, `is ${stat.size} bytes; a libp2p PrivateKey protobuf is at most ${MAX_KEY_FILE_BYTES}`)
    }
    bytes = readFileSync(path)
  } catch (err) {
    if (err instanceof P2PError) throw err
    if (errno(err) === 'ENOENT') throw fileError('ERR_KEY_FILE_NOT_FOUND', path, 'does not exist', err)
    throw fileError('ERR_KEY_FILE_READ', path, `cannot read: ${(err as Error).message}`, err)
  }
  if (bytes.length > MAX_KEY_FILE_BYTES) {
    throw fileError('ERR_INVALID_KEY_FILE', path, `is ${bytes.length} bytes; a libp2p PrivateKey protobuf is at most ${MAX_KEY_FILE_BYTES}`)
  }
  if (bytes.length === 0) throw fileError('ERR_INVALID_KEY_FILE', path, 'is empty; expected a PrivateKey protobuf')
  const text = bytes.subarray(0, 64).toString('latin1')
  if (text.startsWith('-----BEGIN')) {
    throw fileError('ERR_INVALID_KEY_FILE', path, `is a PEM file ("${text.split('\n')[0].trim()}"); expected a binary libp2p PrivateKey protobuf`)
  }
  try {
    return privateKeyFromProtobuf(new Uint8Array(bytes))
  } catch (err) {
    throw fileError('ERR_INVALID_KEY_FILE', path, `is not a libp2p PrivateKey protobuf: ${(err as Error).message}`, err)
  }
}

/**
 * Loads the key at `path`, or creates a new key of `type` there when there is
 * no file. `created` tells which happened. A malformed file is an error, never
 * silently replaced.
 */
export function loadOrCreateKeyFile (path: string, type: KeyTypeName = 'Ed25519'): { key: PrivateKey, created: boolean } {
  try {
    return { key: loadKeyFile(path), created: false }
  } catch (err) {
    if (!(err instanceof P2PError) || err.code !== 'ERR_KEY_FILE_NOT_FOUND') throw err
  }
  const key = generateKeyPair(type)
  try {
    saveKeyFile(path, key)
    return { key, created: true }
  } catch (err) {
    // another process created it between our load and our save: use theirs
    if (err instanceof P2PError && err.code === 'ERR_KEY_FILE_EXISTS') return { key: loadKeyFile(path), created: false }
    throw err
  }
}
