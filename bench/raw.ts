// The ceilings: what plain Node does on this machine without libp2p. Raw TCP
// loopback throughput between two processes (the same shape as a one-stream
// perf run: one socket, 64 KiB writes with backpressure; plain node:net, a
// new Buffer per read, as issue 8's "raw Node TCP loopback"); raw TCP written
// and read as our stack writes and reads its socket (sixteen 64 KiB writes to
// a corked writev, reads lent from the shared 1 MiB buffer), since a ceiling
// that used a plainer socket than the stack it bounds would flatter it; the same with
// every record sealed and opened as a Noise transport message (our
// CipherState over nodeCrypto, sealed into reused buffers when the native
// AEAD is built, our GC ballast and our writev batches, a
// fixed key, no handshake, no multiplexer, no streams: the least any Noise
// stack in Node pays per byte); and the rates of the native crypto a Noise
// connection costs (ChaCha20-Poly1305 seal and open of 64 KiB records, through
// our back end and through node:crypto's Cipheriv; X25519, Ed25519 sign).

import net from 'node:net'
import crypto from 'node:crypto'
import { CipherState } from '../src/noise/cipher-state.js'
import { nodeCrypto, nodeCryptoCipheriv } from '../src/noise/crypto-node.js'
import type { NoiseCrypto } from '../src/noise/crypto.js'
import { FrameDecoder } from '../src/noise/frame.js'
import { layGcBallast } from '../src/noise/gc-ballast.js'
import { LENGTH_PREFIX_BYTES, MAX_PLAINTEXT_LENGTH, TAGLEN } from '../src/noise/constants.js'
import { SEAL_BATCH_MESSAGES } from '../src/noise/secure-stream.js'
import { writeSealedMessage } from '../src/noise/sealed-buffers.js'
import { SHARED_READS_ENABLED, useSharedReads } from '../src/tcp/shared-reads.js'
import { readLenderOf } from '../src/util/lent-reads.js'

/** The write size of the raw sender: the same as perf's. */
const RAW_WRITE_CHUNK = 64 * 1024
/** How long each crypto rate is measured. */
const CRYPTO_SAMPLE_MS = 300

/** The key of the Noise ceiling's channel: a handshake is not what it measures. */
const NOISE_CEILING_KEY = new Uint8Array(32).fill(7)
const EMPTY = new Uint8Array(0)

/**
 * Opens every Noise message that arrives on `socket` (a bad tag throws: the
 * ceiling must do the real work), read as our transport reads: from lent
 * reads in the shared buffer (src/tcp/shared-reads.ts), or one Buffer per
 * read when P2P_SHARED_READS=0 turns that off.
 */
function openNoiseMessages (socket: net.Socket): void {
  const decoder = new FrameDecoder(TAGLEN)
  const receive = new CipherState(nodeCrypto, NOISE_CEILING_KEY)
  const open = (message: Uint8Array): void => { receive.decryptWithAd(EMPTY, message) }
  readAsTransport(socket, bytes => {
    decoder.push(bytes, open)
    return true
  })
}

/**
 * How a ceiling moves its bytes: `plain` node:net (64 KiB writes, a Buffer
 * per read), `batched` as our transport (corked writevs of sixteen writes,
 * lent reads), `noise` batched and every record sealed and opened.
 */
export type RawKind = 'plain' | 'batched' | 'noise'

/**
 * Hands what arrives on `socket` to `receive`, read as our transport reads:
 * lent from the shared buffer (src/tcp/shared-reads.ts), or one Buffer per
 * read when P2P_SHARED_READS=0 turns that off.
 */
function readAsTransport (socket: net.Socket, receive: (bytes: Uint8Array) => boolean): void {
  const lender = SHARED_READS_ENABLED && useSharedReads(socket) ? readLenderOf(socket) : undefined
  if (lender !== undefined) lender.lend(receive)
  else socket.on('data', receive)
  socket.resume()
}

/**
 * Drains every accepted socket (opening Noise messages for `noise`) and
 * closes it after the sender's end.
 */
export async function rawTcpListen (kind: RawKind = 'plain'): Promise<{ port: number, close: () => Promise<void> }> {
  const server = net.createServer({ allowHalfOpen: true }, socket => {
    if (kind === 'noise') {
      // as a Noise channel of ours lays it once it carries bulk data (src/noise/gc-ballast.ts)
      layGcBallast()
      openNoiseMessages(socket)
    } else if (kind === 'batched') readAsTransport(socket, () => true)
    else socket.on('data', () => {})
    socket.on('end', () => { socket.end() })
    socket.on('error', () => { socket.destroy() })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('raw TCP: no address')
  return { port: address.port, close: async () => { await new Promise<void>(resolve => { server.close(() => { resolve() }) }) } }
}

/**
 * Sends `bytes` to the raw listener: in 64 KiB writes (`plain`), or
 * SEAL_BATCH_MESSAGES of them per corked socket writev (`batched`), or as
 * sealed Noise messages of the largest plaintext, as many per writev, as our
 * secure channel sends them (`noise`); seconds from connect to the
 * listener's close.
 */
export async function rawTcpSend (port: number, bytes: number, kind: RawKind = 'plain'): Promise<number> {
  const noise = kind === 'noise'
  const corked = kind !== 'plain'
  const start = performance.now()
  const socket = net.connect({ host: '127.0.0.1', port, allowHalfOpen: true })
  const chunk = new Uint8Array(noise ? MAX_PLAINTEXT_LENGTH : RAW_WRITE_CHUNK)
  if (noise) layGcBallast()
  const send = new CipherState(nodeCrypto, NOISE_CEILING_KEY)
  const seal = (piece: Uint8Array): boolean => {
    // as our channel does with the native AEAD: into a reused buffer
    if (send.sealsInto) return writeSealedMessage(socket, send, [piece], piece.length)
    const { ciphertext, tag } = send.encryptWithAdParts(EMPTY, piece)
    const prefix = Buffer.allocUnsafe(LENGTH_PREFIX_BYTES)
    prefix.writeUInt16BE(piece.length + TAGLEN)
    socket.write(prefix)
    socket.write(ciphertext)
    return socket.write(tag)
  }
  const done = new Promise<void>((resolve, reject) => {
    socket.on('error', reject)
    socket.on('end', () => { resolve() })
    socket.resume()
  })
  await new Promise<void>((resolve, reject) => { socket.once('connect', resolve); socket.once('error', reject) })
  // plain TCP writes each 64 KiB on its own, as a perf stream over node:net would
  const batch = corked ? SEAL_BATCH_MESSAGES : 1
  let left = bytes
  while (left > 0) {
    let ok = true
    if (corked) socket.cork()
    for (let i = 0; i < batch && left > 0; i++) {
      const piece = left >= chunk.length ? chunk : chunk.subarray(0, left)
      ok = noise ? seal(piece) : socket.write(piece)
      left -= piece.length
    }
    if (corked) socket.uncork()
    if (!ok) await new Promise(resolve => socket.once('drain', resolve))
  }
  socket.end()
  await done
  socket.destroy()
  return (performance.now() - start) / 1000
}

function rate (op: () => void): number {
  for (let i = 0; i < 50; i++) op()
  let n = 0
  const start = performance.now()
  let now = start
  while (now - start < CRYPTO_SAMPLE_MS) {
    for (let i = 0; i < 20; i++) op()
    n += 20
    now = performance.now()
  }
  return n / ((now - start) / 1000)
}

export interface CryptoRates {
  /** ChaCha20-Poly1305 seal of 64 KiB records through our back end (nodeCrypto), bytes per second on one core. */
  chachaSealBytesPerSecond: number
  /** ChaCha20-Poly1305 open (tag checked) of the same records through our back end, bytes per second on one core. */
  chachaOpenBytesPerSecond: number
  /** The same through node:crypto's createCipheriv (what nodeCrypto does without the native addon). */
  cipherivSealBytesPerSecond: number
  cipherivOpenBytesPerSecond: number
  x25519PerSecond: number
  ed25519SignPerSecond: number
}

/** Seals and opens of 64 KiB records per second through one back end's AEAD, as a Noise channel calls it. */
function aeadRates (backend: NoiseCrypto, record: Uint8Array): { seals: number, opens: number } {
  const key = crypto.randomBytes(32)
  const nonce = new Uint8Array(12)
  const seals = rate(() => { backend.encryptv(key, nonce, EMPTY, [record]) })
  const { ciphertexts, tag } = backend.encryptv(key, nonce, EMPTY, [record])
  const sealed = Buffer.concat([...ciphertexts, tag])
  const opens = rate(() => {
    if (backend.decrypt(key, nonce, EMPTY, sealed) === undefined) throw new Error(`${backend.name}: a record failed its own tag`)
  })
  return { seals, opens }
}

export function cryptoRates (): CryptoRates {
  const record = Buffer.alloc(RAW_WRITE_CHUNK - 16)
  const ours = aeadRates(nodeCrypto, record)
  // without the native addon they are the same back end: measured once
  const cipheriv = nodeCrypto === nodeCryptoCipheriv ? ours : aeadRates(nodeCryptoCipheriv, record)
  const a = crypto.generateKeyPairSync('x25519')
  const b = crypto.generateKeyPairSync('x25519')
  const dh = rate(() => { crypto.diffieHellman({ privateKey: a.privateKey, publicKey: b.publicKey }) })
  const ed = crypto.generateKeyPairSync('ed25519')
  const message = Buffer.alloc(100)
  const sign = rate(() => { crypto.sign(null, message, ed.privateKey) })
  return {
    chachaSealBytesPerSecond: ours.seals * record.length,
    chachaOpenBytesPerSecond: ours.opens * record.length,
    cipherivSealBytesPerSecond: cipheriv.seals * record.length,
    cipherivOpenBytesPerSecond: cipheriv.opens * record.length,
    x25519PerSecond: dh,
    ed25519SignPerSecond: sign
  }
}
