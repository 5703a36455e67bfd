// The ceilings: what plain Node does on this machine without libp2p. Raw TCP
// loopback throughput between two processes (the same shape as a one-stream
// perf run: one socket, 64 KiB writes with backpressure), and the rates of
// the native crypto a Noise connection costs (node:crypto
// ChaCha20-Poly1305 seal of 64 KiB records, X25519, Ed25519 sign).

import net from 'node:net'
import crypto from 'node:crypto'

/** The write size of the raw sender: the same as perf's. */
const RAW_WRITE_CHUNK = 64 * 1024
/** How long each crypto rate is measured. */
const CRYPTO_SAMPLE_MS = 300

/** Counts bytes on every accepted socket and closes it after the sender's end. */
export async function rawTcpListen (): Promise<{ port: number, close: () => Promise<void> }> {
  const server = net.createServer({ allowHalfOpen: true }, socket => {
    socket.on('data', () => {})
    socket.on('end', () => { socket.end() })
    socket.on('error', () => { socket.destroy() })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('raw TCP: no address')
  return { port: address.port, close: async () => { await new Promise<void>(resolve => { server.close(() => { resolve() }) }) } }
}

/** Sends `bytes` to the raw listener; seconds from connect to the listener's close. */
export async function rawTcpSend (port: number, bytes: number): Promise<number> {
  const start = performance.now()
  const socket = net.connect({ host: '127.0.0.1', port, allowHalfOpen: true })
  const chunk = new Uint8Array(RAW_WRITE_CHUNK)
  const done = new Promise<void>((resolve, reject) => {
    socket.on('error', reject)
    socket.on('end', () => { resolve() })
    socket.resume()
  })
  await new Promise<void>((resolve, reject) => { socket.once('connect', resolve); socket.once('error', reject) })
  for (let left = bytes; left > 0; left -= RAW_WRITE_CHUNK) {
    const piece = left >= RAW_WRITE_CHUNK ? chunk : chunk.subarray(0, left)
    if (!socket.write(piece)) await new Promise(resolve => socket.once('drain', resolve))
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
  /** ChaCha20-Poly1305 seal of 64 KiB records, bytes per second on one core. */
  chachaSealBytesPerSecond: number
  x25519PerSecond: number
  ed25519SignPerSecond: number
}

export function cryptoRates (): CryptoRates {
  const key = crypto.randomBytes(32)
  const nonce = Buffer.alloc(12)
  const record = Buffer.alloc(RAW_WRITE_CHUNK - 16)
  const seals = rate(() => {
    const cipher = crypto.createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 })
    cipher.update(record)
    cipher.final()
    cipher.getAuthTag()
  })
  const a = crypto.generateKeyPairSync('x25519')
  const b = crypto.generateKeyPairSync('x25519')
  const dh = rate(() => { crypto.diffieHellman({ privateKey: a.privateKey, publicKey: b.publicKey }) })
  const ed = crypto.generateKeyPairSync('ed25519')
  const message = Buffer.alloc(100)
  const sign = rate(() => { crypto.sign(null, message, ed.privateKey) })
  return { chachaSealBytesPerSecond: seals * record.length, x25519PerSecond: dh, ed25519SignPerSecond: sign }
}
