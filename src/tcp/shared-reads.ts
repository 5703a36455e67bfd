// Every TCP socket of the transport reads into one shared buffer (node:net's
// `onread` option) and lends the bytes (../util/lent-reads.ts), instead of
// receiving a freshly allocated Buffer per read.
//
// One buffer serves all sockets because a read is handed on synchronously:
// libuv reads one socket, calls back, and only then reads the next.
// Until a receiver takes over, each read is copied and pushed to the
// socket's readable side, so to anyone reading it (multistream-select, the
// Noise handshake) the socket is an ordinary Duplex. A receiver that returns
// false stops the socket reading (node:net does readStop) until resume().

import type net from 'node:net'
import { READ_LENDER, type LentBytesReceiver, type ReadLender } from '../util/lent-reads.js'

/**
 * On unless P2P_SHARED_READS=0, which makes every socket read the ordinary
 * way (a Buffer per read): for comparing the two, or should a Node release
 * change the internals useSharedReads relies on in a way it cannot detect.
 */
export const SHARED_READS_ENABLED = process.env.P2P_SHARED_READS !== '0'

/**
 * 1 MiB: a busy socket's read holds many whole Noise messages, so few are
 * cut in two, and a sender's 1 MiB writev (../noise/secure-stream.ts) can
 * arrive in one read. Against 256 KiB the receiver of a perf stream spent
 * 7-10 % less CPU per MiB; the buffer is one per process.
 */
export const SHARED_READ_BYTES = 1024 * 1024
const SHARED_READ_BUFFER = Buffer.allocUnsafe(SHARED_READ_BYTES)

class SocketReadLender implements ReadLender {
  receiver: LentBytesReceiver | undefined

  constructor (private readonly socket: net.Socket) {}

  lend (receiver: LentBytesReceiver | undefined): void {
    this.receiver = receiver
  }

  resume (): void {
    this.socket.resume()
  }
}

type LendingSocket = net.Socket & { [READ_LENDER]?: SocketReadLender }

/** node:net calls this as a method of the socket that read (`this`). */
function onSharedRead (this: LendingSocket, nread: number, buffer: Uint8Array): boolean {
  const bytes = buffer.subarray(0, nread)
  const receiver = this[READ_LENDER]?.receiver
  if (receiver !== undefined) return receiver(bytes)
  // an ordinary Duplex to its readers: they get a copy they may keep
  return this.push(Buffer.from(bytes))
}

/** The `onread` option that makes net.connect's socket read into the shared buffer; call lendReads() on the socket next. */
export const SHARED_READ_OPTION = { buffer: SHARED_READ_BUFFER, callback: onSharedRead }

/** Marks a socket created with SHARED_READ_OPTION as a lender of its reads. */
export function lendReads (socket: net.Socket): void {
  (socket as LendingSocket)[READ_LENDER] = new SocketReadLender(socket)
}

/**
 * Switches an accepted socket to the shared buffer. node:net offers
 * `onread` only to net.connect, so this sets the two fields net.connect's
 * option sets (found by their symbol descriptions, `kBuffer` and
 * `kBufferCb`) and points the socket's handle at the buffer, as Node's own
 * socket setup does. Where Node's internals differ it changes nothing and
 * returns false: the socket then stays an ordinary one. Call it before the
 * socket's first read (in the server's 'connection' event).
 */
export function useSharedReads (socket: net.Socket): boolean {
  const symbols = Object.getOwnPropertySymbols(socket)
  const kBuffer = symbols.find(symbol => symbol.description === 'kBuffer')
  const kBufferCb = symbols.find(symbol => symbol.description === 'kBufferCb')
  const handle = (socket as unknown as { _handle?: { useUserBuffer?: unknown } })._handle
  if (kBuffer === undefined || kBufferCb === undefined || typeof handle?.useUserBuffer !== 'function') return false
  const fields = socket as unknown as Record<symbol, unknown>
  fields[kBuffer] = SHARED_READ_BUFFER
  fields[kBufferCb] = onSharedRead
  ;(handle.useUserBuffer as (buffer: Uint8Array) => void).call(handle, SHARED_READ_BUFFER)
  lendReads(socket)
  return true
}
