// Buffers for sealed transport messages (libp2p/specs noise "Wire Format":
// a 2-byte length prefix, then at most 65535 bytes of ciphertext and tag),
// given back once a socket has written them and reused by the next message.
//
// Why: a new 64 KiB Buffer per message is memory the cache has not seen, so
// the cipher's writes into it and the kernel's reads from it both miss; the
// same few buffers in turn stay warm. Measured on the bench's perf stack with
// the native AEAD, the sender's user CPU per MiB fell by a fifth.
//
// Who may give a buffer back: only a writer that knows its sink keeps no
// reference once the write's callback has run. A net.Socket is such a sink
// (the kernel has the bytes by then); a stream that hands its chunks on to a
// reader is not. ./secure-stream.ts decides, and writeSealedMessage() below
// seals and writes.

import type { Writable } from 'node:stream'
import type { CipherState } from './cipher-state.js'
import { LENGTH_PREFIX_BYTES, MAX_NOISE_MESSAGE_LENGTH, TAGLEN } from './constants.js'

/** One whole message of the largest size, prefix included. */
export const SEALED_BUFFER_BYTES = LENGTH_PREFIX_BYTES + MAX_NOISE_MESSAGE_LENGTH

/**
 * Spare buffers kept for the whole process: two full seal batches of
 * ./secure-stream.ts (SEAL_BATCH_MESSAGES + 1 messages each; ~2.1 MiB),
 * enough for two busy connections writing at once. More are allocated when
 * needed and left to the GC when given back past this.
 */
export const MAX_SPARE_SEALED_BUFFERS = 34

const spare: Buffer[] = []
const EMPTY = new Uint8Array(0)

/** A buffer of SEALED_BUFFER_BYTES (uninitialised: the caller writes what it sends). */
export function takeSealedBuffer (): Buffer {
  return spare.pop() ?? Buffer.allocUnsafeSlow(SEALED_BUFFER_BYTES)
}

/** Gives back a buffer no one refers to any more. */
export function giveBackSealedBuffer (buffer: Buffer): void {
  if (spare.length < MAX_SPARE_SEALED_BUFFERS) spare.push(buffer)
}

/**
 * Seals `plaintexts` (`length` bytes in all, at most MAX_PLAINTEXT_LENGTH)
 * as one transport message, length prefix and all, into a reused buffer,
 * and writes it to `socket`. The buffer comes back when the socket has
 * written it; after an error it is left to the GC, as the socket may not be
 * done with it. Only for a plain net.Socket and a CipherState that
 * sealsInto. Returns write()'s answer.
 */
export function writeSealedMessage (socket: Writable, send: CipherState, plaintexts: readonly Uint8Array[], length: number): boolean {
  const buffer = takeSealedBuffer()
  const messageLength = length + TAGLEN
  buffer[0] = messageLength >>> 8
  buffer[1] = messageLength & 0xff
  const message = buffer.subarray(0, LENGTH_PREFIX_BYTES + messageLength)
  send.encryptWithAdvInto(EMPTY, plaintexts, message.subarray(LENGTH_PREFIX_BYTES))
  return socket.write(message, (err?: Error | null) => {
    if (err == null) giveBackSealedBuffer(buffer)
  })
}

/** How many spare buffers wait (for tests). */
export function spareSealedBuffers (): number {
  return spare.length
}
