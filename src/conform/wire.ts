// The prober's raw connection: a TCP socket whose bytes the prober reads and
// writes itself, frame by frame, so it can send what a well-behaved stack
// never would (a bad signature, a frame beyond the window, ...).
//
// Theory of operation. Every received chunk goes into a ByteQueue. Before the
// Noise handshake completes, the cases parse that queue directly
// (multistream-select, handshake messages). Once `encrypt(send, receive)` is
// called, each whole Noise transport message (libp2p/specs noise "Wire
// Format") is opened and its plaintext queued instead, so the layers above
// (multistream, yamux, mplex frames) parse plaintext the same way.
// `next(parse, what)` waits until `parse` finds a whole item in the queue, and
// rejects when the remote closes, the bytes break the protocol, or the
// deadline passes: a silent peer can never hang a case.

import net from 'node:net'
import { ByteQueue } from '../util/byte-queue.js'
import { P2PError } from '../util/errors.js'
import type { CipherState } from '../noise/index.js'
import { FrameDecoder, encodeFrame as encodeNoiseFrame, MAX_PLAINTEXT_LENGTH, TAGLEN } from '../noise/index.js'

const EMPTY = new Uint8Array(0)

/** How long a connect may take before the case fails: loopback and LAN peers answer in milliseconds. */
export const CONNECT_TIMEOUT_MS = 5000

export class Wire {
  readonly socket: net.Socket
  /** Plaintext (or raw bytes before encryption) not yet parsed. */
  readonly queue = new ByteQueue()
  /** Set when the remote ended, the socket closed or failed. */
  closedReason: string | undefined
  private noise: { send: CipherState, receive: CipherState, decoder: FrameDecoder } | undefined
  private readonly waiters = new Set<() => void>()
  /** Called after each input, before waiters: a frame layer parses the queue here. */
  onInput: (() => void) | undefined
  /** Bytes received in total (raw), for reports. */
  receivedBytes = 0

  private constructor (socket: net.Socket) {
    this.socket = socket
    socket.on('data', (chunk: Buffer) => {
      this.receivedBytes += chunk.length
      if (this.noise === undefined) this.queue.push(chunk)
      else this.decrypt(chunk)
      this.input()
    })
    socket.on('end', () => { this.close('the remote closed the connection (EOF)') })
    socket.on('error', (err) => { this.close(`socket error: ${err.message}`) })
    socket.on('close', () => { this.close('the connection closed') })
  }

  static async connect (host: string, port: number, signal: AbortSignal): Promise<Wire> {
    // an abort before the connect would never be heard: its event has fired
    signal.throwIfAborted()
    const socket = net.connect({ host, port })
    socket.setNoDelay(true)
    const wire = new Wire(socket)
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => { fail(new P2PError('ERR_CONFORM_TIMEOUT', `no TCP connection to ${host}:${port} within ${CONNECT_TIMEOUT_MS} ms`)) }, CONNECT_TIMEOUT_MS)
      const onAbort = (): void => { fail(signal.reason as Error) }
      const fail = (err: Error): void => { cleanup(); socket.destroy(); reject(err) }
      const ok = (): void => { cleanup(); resolve() }
      const onError = (err: Error): void => { fail(new P2PError('ERR_CONFORM_CONNECT', `cannot connect to ${host}:${port}: ${err.message}`, { cause: err })) }
      const cleanup = (): void => { clearTimeout(timer); signal.removeEventListener('abort', onAbort); socket.off('connect', ok); socket.off('error', onError) }
      socket.once('connect', ok)
      socket.once('error', onError)
      signal.addEventListener('abort', onAbort)
    })
    signal.addEventListener('abort', () => { wire.destroy() })
    return wire
  }

  /** From now on bytes are Noise transport messages: seal what we write, open what arrives. */
  encrypt (send: CipherState, receive: CipherState): void {
    this.noise = { send, receive, decoder: new FrameDecoder(TAGLEN) }
    // bytes that arrived after the last handshake message are already transport messages
    if (this.queue.length > 0) this.decrypt(this.queue.takeAll())
  }

  /** Runs the frame layer on what is queued, then wakes the waiters. */
  input (): void {
    try {
      this.onInput?.()
    } catch (err) {
      this.close(`the remote broke the framing: ${(err as Error).message}`)
      this.socket.destroy()
    }
    this.wake()
  }

  get encrypted (): boolean {
    return this.noise !== undefined
  }

  /** Writes bytes (sealed into transport messages once encrypted). */
  write (bytes: Uint8Array): void {
    if (this.socket.destroyed) return
    if (this.noise === undefined) {
      this.socket.write(bytes)
      return
    }
    let offset = 0
    do {
      const plaintext = bytes.subarray(offset, offset + MAX_PLAINTEXT_LENGTH)
      this.socket.write(encodeNoiseFrame(this.noise.send.encryptWithAd(EMPTY, plaintext)))
      offset += MAX_PLAINTEXT_LENGTH
    } while (offset < bytes.length)
  }

  /**
   * Waits until `parse` returns an item from the queue (it must consume what
   * it returns and nothing when it returns undefined). Rejects with
   * ERR_CONFORM_CLOSED when the connection ends first, with the parser's
   * error when the bytes break the protocol, and with ERR_CONFORM_TIMEOUT at
   * the deadline.
   */
  async next<T> (parse: (queue: ByteQueue) => T | undefined, what: string, timeoutMs: number): Promise<T> {
    return await this.until(() => parse(this.queue), what, timeoutMs)
  }

  /** Waits until `probe` returns a value (it is called after every input); same rejections as next(). */
  async until<T> (probe: () => T | undefined, what: string, timeoutMs: number): Promise<T> {
    const parse = (_queue: ByteQueue): T | undefined => probe()
    const first = parse(this.queue)
    if (first !== undefined) return first
    return await new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        done()
        reject(new P2PError('ERR_CONFORM_TIMEOUT', `expected ${what}, nothing arrived within ${timeoutMs} ms`))
      }, timeoutMs)
      const check = (): void => {
        let item: T | undefined
        try {
          item = parse(this.queue)
        } catch (err) {
          done()
          reject(err)
          return
        }
        if (item !== undefined) {
          done()
          resolve(item)
        } else if (this.closedReason !== undefined) {
          done()
          reject(new P2PError('ERR_CONFORM_CLOSED', `expected ${what}; ${this.closedReason}`))
        }
      }
      const done = (): void => { clearTimeout(timer); this.waiters.delete(check) }
      this.waiters.add(check)
      check()
    })
  }

  /** Resolves true when the connection closes within `timeoutMs`, false otherwise. */
  async closedWithin (timeoutMs: number): Promise<boolean> {
    if (this.closedReason !== undefined) return true
    return await new Promise<boolean>(resolve => {
      const timer = setTimeout(() => { this.waiters.delete(check); resolve(false) }, timeoutMs)
      const check = (): void => {
        if (this.closedReason === undefined) return
        clearTimeout(timer)
        this.waiters.delete(check)
        resolve(true)
      }
      this.waiters.add(check)
    })
  }

  /** Gives the remote `ms` to react, while its bytes keep being queued. */
  async settle (ms: number): Promise<void> {
    await new Promise(resolve => setTimeout(resolve, ms))
  }

  destroy (): void {
    this.socket.destroy()
    this.close('destroyed locally')
  }

  private decrypt (chunk: Uint8Array): void {
    const noise = this.noise
    if (noise === undefined) return
    try {
      noise.decoder.push(chunk, message => { this.queue.push(noise.receive.decryptWithAd(EMPTY, message)) })
    } catch (err) {
      this.close(`undecryptable transport message: ${(err as Error).message}`)
      this.socket.destroy()
    }
  }

  private close (reason: string): void {
    if (this.closedReason === undefined) this.closedReason = reason
    this.wake()
  }

  private wake (): void {
    for (const waiter of [...this.waiters]) waiter()
  }
}
