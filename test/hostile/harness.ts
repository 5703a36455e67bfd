// The hostile-peer harness: a listening switch (the target), a well-behaved
// peer that pings it, and a raw-socket attacker that speaks the wire formats
// byte by byte, built from our codecs but free to break every rule.
//
// Each test asserts four things: the right typed error (through the switch's
// 'upgrade:error' event or the connection's 'close' error), the socket closed
// or the stream reset, a good peer still served, and nothing escaping to the
// process ('unhandledRejection' / 'uncaughtException').

import net from 'node:net'
import { once } from 'node:events'
import type { Duplex } from 'node:stream'
import type { Test } from 'tap'
import { Switch } from '../../src/switch/index.js'
import type { Connection } from '../../src/upgrader/index.js'
import type { ResourceLimits } from '../../src/resources/index.js'
import { generateKeyPair, type PrivateKey } from '../../src/peer/index.js'
import type { Multiaddr } from '../../src/multiaddr/index.js'
import { PING_PROTOCOL, handlePing, ping, ECHO_PROTOCOL, handleEcho } from '../../src/protocols/index.js'
import { readOptimisticAccept, writeOptimisticProposal } from '../../src/multistream/index.js'
import {
  HandshakeState, PROTOCOL_NAME, XX, encodeFrame as encodeNoiseFrame, nodeCrypto, secureOutbound, type SecureConnection
} from '../../src/noise/index.js'
import { StreamReader } from '../../src/util/stream-reader.js'
import { ByteQueue } from '../../src/util/byte-queue.js'

/** A protocol whose handler takes the stream and never reads it. */
export const HOLD_PROTOCOL = '/hostile/hold/1.0.0'

export interface Target {
  sw: Switch
  addr: Multiaddr
  port: number
  /** Every error the switch reported for a failed inbound upgrade. */
  upgradeErrors: Error[]
  /** The error (or undefined) each inbound connection closed with. */
  closeErrors: Array<Error | undefined>
  /** Inbound connections as they open. */
  connections: Connection[]
  /** Streams held by the HOLD_PROTOCOL handler. */
  held: Duplex[]
}

export async function startTarget (t: Test, limits: Partial<ResourceLimits> = {}): Promise<Target> {
  const sw = new Switch({ privateKey: generateKeyPair('Ed25519'), listenAddrs: ['/ip4/127.0.0.1/tcp/0'], limits })
  const target: Target = { sw, addr: undefined as unknown as Multiaddr, port: 0, upgradeErrors: [], closeErrors: [], connections: [], held: [] }
  sw.handle(PING_PROTOCOL, async stream => { await handlePing(stream) })
  sw.handle(ECHO_PROTOCOL, async stream => { await handleEcho(stream) })
  sw.handle(HOLD_PROTOCOL, stream => { target.held.push(stream) }, { maxInboundStreams: 10_000 })
  sw.on('upgrade:error', (err: Error) => { target.upgradeErrors.push(err) })
  sw.on('connection:open', (connection: Connection) => {
    target.connections.push(connection)
    connection.once('close', (err?: Error) => { target.closeErrors.push(err) })
  })
  await sw.start()
  target.addr = sw.multiaddrs[0]
  target.port = Number(target.addr.toSocketAddress().port)
  t.teardown(async () => { await sw.stop() })
  return target
}

/** Resolves with the next upgrade error of the target. */
export async function nextUpgradeError (target: Target): Promise<Error> {
  const [err] = await once(target.sw, 'upgrade:error') as [Error]
  return err
}

/** Resolves with the error the next inbound connection closes with. */
export async function nextConnectionClose (target: Target): Promise<Error | undefined> {
  const [connection] = await once(target.sw, 'connection:open') as [Connection]
  if (connection.status === 'closed') return undefined
  const [err] = await once(connection, 'close') as [Error | undefined]
  return err
}

/** A well-behaved peer dials afresh, pings once and hangs up; resolves with the RTT. */
export async function goodPing (target: Target): Promise<number> {
  const good = new Switch({ privateKey: generateKeyPair('Ed25519') })
  try {
    const stream = await good.newStream(target.addr, PING_PROTOCOL)
    const [rtt] = await ping(stream, { count: 1 })
    stream.destroy()
    return rtt
  } finally {
    await good.stop()
  }
}

const escaped: unknown[] = []
let guarded = false

/**
 * Records every unhandled rejection and uncaught exception for the rest of
 * the file; `assertNothingEscaped` fails a test if one arrived during it.
 */
export function guardProcess (t: Test): void {
  if (guarded) return
  guarded = true
  const record = (reason: unknown): void => { escaped.push(reason) }
  process.on('unhandledRejection', record)
  process.on('uncaughtException', record)
  t.teardown(() => {
    process.off('unhandledRejection', record)
    process.off('uncaughtException', record)
    guarded = false
  })
}

export async function assertNothingEscaped (t: Test): Promise<void> {
  // let pending rejections surface before looking
  await new Promise(resolve => setTimeout(resolve, 20))
  t.same(escaped.map(String), [], 'no unhandled rejection or uncaught exception escaped')
  escaped.length = 0
}

/** A raw TCP socket to the target. */
export async function connectRaw (target: Target): Promise<net.Socket> {
  const socket = net.connect({ host: '127.0.0.1', port: target.port })
  socket.on('error', () => {})
  // a socket refused at once is reset right after 'connect': that is not a failure here
  await new Promise(resolve => { socket.once('connect', resolve); socket.once('close', resolve) })
  return socket
}

/** Resolves when the socket has closed (the remote hung up or reset it). */
export async function closed (socket: net.Socket): Promise<void> {
  if (socket.closed) return
  // 'end' (and so 'close') comes only once what arrived has been consumed
  if (socket.readableFlowing !== true) socket.resume()
  // not events.once: it would reject on the 'error' (ECONNRESET) a reset brings first
  await new Promise(resolve => socket.once('close', resolve))
}

/** Sends /multistream/1.0.0 + /noise and reads the acceptance. */
export async function negotiateNoise (socket: net.Socket): Promise<StreamReader> {
  writeOptimisticProposal(socket, '/noise')
  const reader = new StreamReader(socket)
  await readOptimisticAccept(reader, '/noise')
  return reader
}

/** A Noise XX initiator we drive message by message. */
export function initiatorState (): HandshakeState {
  return new HandshakeState({ crypto: nodeCrypto, pattern: XX, protocolName: PROTOCOL_NAME, initiator: true, staticPrivateKey: nodeCrypto.generatePrivateKey() })
}

export async function readNoiseMessage (reader: StreamReader): Promise<Uint8Array> {
  const prefix = await reader.readExactly(2)
  return await reader.readExactly(prefix[0] << 8 | prefix[1])
}

export { encodeNoiseFrame }

/**
 * Completes multistream and the Noise handshake honestly, offering only
 * `muxer` in the handshake payload (inlined negotiation), and returns the
 * encrypted channel: what the attacker writes into it are raw muxer frames.
 */
export async function secureRaw (target: Target, muxer: '/yamux/1.0.0' | '/mplex/6.7.0', privateKey: PrivateKey = generateKeyPair('Ed25519')): Promise<{ socket: net.Socket, secure: SecureConnection }> {
  const socket = await connectRaw(target)
  writeOptimisticProposal(socket, '/noise')
  const reader = new StreamReader(socket)
  const secure = await secureOutbound(socket, {
    privateKey,
    extensions: { streamMuxers: [muxer] },
    beforeFirstRead: async () => { await readOptimisticAccept(reader, '/noise') }
  })
  secure.stream.on('error', () => {})
  return { socket, secure }
}

/** Deterministic pseudo-random bytes (xorshift32), so a failure replays exactly. */
export function pseudoRandomBytes (length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length)
  let x = seed >>> 0 || 1
  for (let i = 0; i < length; i++) {
    x ^= x << 13; x >>>= 0
    x ^= x >>> 17
    x ^= x << 5; x >>>= 0
    out[i] = x & 0xff
  }
  return out
}

export async function sleep (ms: number): Promise<void> {
  await new Promise(resolve => setTimeout(resolve, ms))
}

/** The codes of an error and of its causes, outermost first. */
export function codesOf (err: unknown): string[] {
  const codes: string[] = []
  for (let e = err as { code?: unknown, cause?: unknown } | undefined; e !== undefined && e !== null; e = e.cause as typeof e) {
    if (typeof e.code === 'string') codes.push(e.code)
    if (codes.length > 8) break
  }
  return codes
}

/** Collects what arrives on the attacker's secure channel and decodes it with `decode`. */
export class FrameCollector<F> {
  readonly frames: F[] = []
  decodeError: unknown
  private readonly queue = new ByteQueue()
  private waiters: Array<() => void> = []

  constructor (readonly stream: Duplex, private readonly decode: (queue: ByteQueue) => F | undefined) {
    stream.on('data', (chunk: Uint8Array) => {
      this.queue.push(chunk)
      try {
        for (let f = decode(this.queue); f !== undefined; f = decode(this.queue)) this.frames.push(f)
      } catch (err) {
        this.decodeError = err
      }
      for (const w of this.waiters) w()
    })
  }

  /** Resolves once a frame matching `predicate` has arrived (or rejects after `ms`). */
  async waitFor (predicate: (frame: F) => boolean, ms = 5_000): Promise<F> {
    const deadline = Date.now() + ms
    while (true) {
      const found = this.frames.find(predicate)
      if (found !== undefined) return found
      if (Date.now() > deadline) throw new Error('the expected frame did not arrive')
      await new Promise<void>(resolve => {
        const timer = setTimeout(resolve, 50)
        this.waiters.push(() => { clearTimeout(timer); resolve() })
      })
      this.waiters = []
    }
  }
}
