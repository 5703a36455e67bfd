// A minimal Redis client: just enough RESP2 for the interop harness's
// coordination (RPUSH, BLPOP, DEL, GET, SET). Written from the Redis
// serialization protocol specification (redis/redis-doc
// docs/reference/protocol-spec.md), with no dependency.
//
// Theory of operation:
// - "Clients send commands to a Redis server as an array of bulk strings":
//   `encodeCommand(['RPUSH', key, value])` is `*3\r\n$5\r\nRPUSH\r\n...`.
// - "The first byte in an RESP-serialized payload identifies its type":
//   `decodeReply(bytes)` reads one reply (simple string `+`, error `-`,
//   integer `:`, bulk string `$`, array `*`) and returns it with the number
//   of bytes it used, or `undefined` when the bytes end mid-reply (short
//   input is not an error). Bytes that break the grammar throw
//   ERR_REDIS_PROTOCOL.
// - `RedisClient` is the thin driver: one TCP socket, commands pipelined in
//   order, each answered by the next reply. A blocking command (BLPOP) holds
//   the connection until Redis answers, which is what the harness wants.
// We speak RESP2 only (no HELLO), so RESP3 types never arrive.

import net from 'node:net'
import { P2PError } from '../util/errors.js'

/** Redis's default port ("the default is 6379"). */
export const REDIS_DEFAULT_PORT = 6379

/**
 * Largest bulk string we accept. Redis allows 512 MB; the harness exchanges
 * one multiaddr, so anything beyond 1 MiB is a broken or hostile server and
 * must not make us buffer it.
 */
export const MAX_BULK_LENGTH = 1024 * 1024

/** Largest array we accept (BLPOP answers two elements). */
export const MAX_ARRAY_LENGTH = 1024

/** Deepest array nesting we accept; bounds recursion on hostile input. */
export const MAX_NESTING = 8

/** Longest `+`, `-` or `:` line (and length line) before its CRLF. */
export const MAX_LINE_LENGTH = 64 * 1024

/** RESP2 type bytes ("the first byte of data determines its type"). */
export const RESP_TYPE = {
  simpleString: 0x2b, // '+'
  error: 0x2d, // '-'
  integer: 0x3a, // ':'
  bulkString: 0x24, // '$'
  array: 0x2a // '*'
} as const

export type RespValue =
  | { type: 'simpleString', value: string }
  | { type: 'error', message: string }
  | { type: 'integer', value: bigint }
  | { type: 'bulkString', value: Uint8Array | null }
  | { type: 'array', items: RespValue[] | null }

const RESP_TYPE_BYTES: ReadonlySet<number> = new Set(Object.values(RESP_TYPE))

const CR = 0x0d
const LF = 0x0a
const textEncoder = new TextEncoder()
const textDecoder = new TextDecoder()

/** A command as an array of bulk strings. */
export function encodeCommand (args: Array<string | Uint8Array>): Uint8Array {
  const parts: Uint8Array[] = [textEncoder.encode(`*${args.length}\r\n`)]
  for (const arg of args) {
    const bytes = typeof arg === 'string' ? textEncoder.encode(arg) : arg
    parts.push(textEncoder.encode(`$${bytes.length}\r\n`), bytes, textEncoder.encode('\r\n'))
  }
  return Buffer.concat(parts)
}

/**
 * One reply from `bytes` starting at `offset`: the value and how many bytes
 * it took, or undefined when more bytes are needed.
 */
export function decodeReply (bytes: Uint8Array, offset = 0): { value: RespValue, bytes: number } | undefined {
  const end = decodeAt(bytes, offset, 0)
  if (end === undefined) return undefined
  return { value: end.value, bytes: end.next - offset }
}

interface Decoded { value: RespValue, next: number }

function decodeAt (bytes: Uint8Array, offset: number, depth: number): Decoded | undefined {
  if (offset >= bytes.length) return undefined
  const type = bytes[offset]
  if (!RESP_TYPE_BYTES.has(type)) {
    throw new P2PError('ERR_REDIS_PROTOCOL', `expected a RESP2 type byte (+ - : $ *), got 0x${type.toString(16).padStart(2, '0')}`, { remote: true })
  }
  const line = readLine(bytes, offset + 1)
  if (line === undefined) return undefined
  switch (type) {
    case RESP_TYPE.simpleString:
      return { value: { type: 'simpleString', value: line.text }, next: line.next }
    case RESP_TYPE.error:
      return { value: { type: 'error', message: line.text }, next: line.next }
    case RESP_TYPE.integer:
      return { value: { type: 'integer', value: parseInteger(line.text, 'integer') }, next: line.next }
    case RESP_TYPE.bulkString: {
      const length = parseLength(line.text, 'bulk string', MAX_BULK_LENGTH)
      // "It is encoded as a bulk string with the length of negative one (-1)"
      if (length === -1) return { value: { type: 'bulkString', value: null }, next: line.next }
      if (line.next + length + 2 > bytes.length) return undefined
      if (bytes[line.next + length] !== CR || bytes[line.next + length + 1] !== LF) {
        throw new P2PError('ERR_REDIS_PROTOCOL', `bulk string of ${length} bytes is not followed by CRLF`, { remote: true })
      }
      const value = bytes.slice(line.next, line.next + length)
      return { value: { type: 'bulkString', value }, next: line.next + length + 2 }
    }
    case RESP_TYPE.array: {
      const count = parseLength(line.text, 'array', MAX_ARRAY_LENGTH)
      // "The encoding of a null array is that of an array with the length of -1"
      if (count === -1) return { value: { type: 'array', items: null }, next: line.next }
      if (depth + 1 > MAX_NESTING) {
        throw new P2PError('ERR_REDIS_PROTOCOL', `arrays nested deeper than ${MAX_NESTING} levels`, { remote: true })
      }
      const items: RespValue[] = []
      let next = line.next
      for (let i = 0; i < count; i++) {
        const item = decodeAt(bytes, next, depth + 1)
        if (item === undefined) return undefined
        items.push(item.value)
        next = item.next
      }
      return { value: { type: 'array', items }, next }
    }
    default:
      throw new P2PError('ERR_REDIS_PROTOCOL', `unhandled RESP2 type byte 0x${type.toString(16)}`)
  }
}

/** The text up to the next CRLF, or undefined when the CRLF has not arrived. */
function readLine (bytes: Uint8Array, start: number): { text: string, next: number } | undefined {
  const limit = Math.min(bytes.length, start + MAX_LINE_LENGTH + 2)
  for (let i = start; i < limit; i++) {
    if (bytes[i] === CR) {
      if (i + 1 >= bytes.length) return undefined
      // "The string mustn't contain a CR or LF character"
      if (bytes[i + 1] !== LF) throw new P2PError('ERR_REDIS_PROTOCOL', 'CR not followed by LF in a RESP line', { remote: true })
      return { text: textDecoder.decode(bytes.subarray(start, i)), next: i + 2 }
    }
    if (bytes[i] === LF) throw new P2PError('ERR_REDIS_PROTOCOL', 'LF without CR in a RESP line', { remote: true })
  }
  if (limit - start > MAX_LINE_LENGTH) {
    throw new P2PError('ERR_REDIS_PROTOCOL', `RESP line longer than ${MAX_LINE_LENGTH} bytes`, { remote: true })
  }
  return undefined
}

function parseInteger (text: string, what: string): bigint {
  if (!/^-?\d{1,19}$/.test(text)) {
    throw new P2PError('ERR_REDIS_PROTOCOL', `expected a decimal ${what}, got "${text.slice(0, 32)}"`, { remote: true })
  }
  // "the returned integer is guaranteed to be in the range of a signed 64-bit integer"
  const value = BigInt(text)
  if (value < -(2n ** 63n) || value >= 2n ** 63n) {
    throw new P2PError('ERR_REDIS_PROTOCOL', `integer ${text} is outside the signed 64-bit range`, { remote: true })
  }
  return value
}

function parseLength (text: string, what: string, max: number): number {
  const value = parseInteger(text, `${what} length`)
  if (value < -1n || value > BigInt(max)) {
    throw new P2PError('ERR_REDIS_PROTOCOL', `${what} length must be within -1..${max}, got ${text}`, { remote: true })
  }
  return Number(value)
}

/** `host:port`, `[v6]:port`, `redis://host:port` or a bare host (port 6379). */
export function parseRedisAddr (text: string): { host: string, port: number } {
  const bare = text.replace(/^redis:\/\//, '').replace(/\/.*$/, '')
  const match = /^\[([^\]]+)\](?::(\d+))?$/.exec(bare) ?? /^([^:]+)(?::(\d+))?$/.exec(bare)
  const port = match?.[2] === undefined ? REDIS_DEFAULT_PORT : Number(match[2])
  if (match === null || match[1] === '' || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new P2PError('ERR_INVALID_PARAMETERS', `expected a Redis address HOST:PORT, got "${text}"`)
  }
  return { host: match[1], port }
}

/** A reply as text: simple and bulk strings; anything else is an error. */
export function replyText (value: RespValue): string | null {
  if (value.type === 'simpleString') return value.value
  if (value.type === 'bulkString') return value.value === null ? null : textDecoder.decode(value.value)
  throw unexpectedReply('a string', value)
}

function unexpectedReply (expected: string, value: RespValue): P2PError {
  return new P2PError('ERR_REDIS_UNEXPECTED_REPLY', `expected ${expected}, got a RESP ${value.type}`, { remote: true })
}

interface Pending {
  resolve: (value: RespValue) => void
  reject: (err: Error) => void
}

export interface RedisConnectOptions {
  /** Give up connecting after this long (default 10 s). */
  timeoutMs?: number
  signal?: AbortSignal
}

export class RedisClient {
  private buffer: Uint8Array = new Uint8Array(0)
  private readonly pending: Pending[] = []
  private failure: Error | undefined

  private constructor (private readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => { this.onData(chunk) })
    socket.on('error', err => { this.fail(new P2PError('ERR_REDIS_CONNECTION', `Redis connection failed: ${err.message}`, { cause: err })) })
    socket.on('close', () => { this.fail(new P2PError('ERR_REDIS_CONNECTION', 'Redis closed the connection')) })
  }

  /** Opens a TCP connection to Redis at `addr` (see parseRedisAddr). */
  static async connect (addr: string, options: RedisConnectOptions = {}): Promise<RedisClient> {
    const { host, port } = parseRedisAddr(addr)
    const socket = net.connect({ host, port, noDelay: true })
    const timeoutMs = options.timeoutMs ?? 10_000
    await new Promise<void>((resolve, reject) => {
      const done = (err?: Error): void => {
        clearTimeout(timer)
        options.signal?.removeEventListener('abort', onAbort)
        socket.off('connect', onConnect)
        socket.off('error', onError)
        if (err === undefined) { resolve(); return }
        socket.destroy()
        reject(err)
      }
      const onConnect = (): void => { done() }
      const onError = (err: Error): void => {
        done(new P2PError('ERR_REDIS_CONNECTION', `cannot connect to Redis at ${host}:${port}: ${err.message}`, { cause: err }))
      }
      const onAbort = (): void => { done(new P2PError('ERR_ABORTED', `connecting to Redis at ${host}:${port} was aborted`)) }
      const timer = setTimeout(() => {
        done(new P2PError('ERR_TIMEOUT', `no connection to Redis at ${host}:${port} within ${timeoutMs} ms`))
      }, timeoutMs)
      if (options.signal?.aborted === true) { onAbort(); return }
      options.signal?.addEventListener('abort', onAbort, { once: true })
      socket.once('connect', onConnect)
      socket.once('error', onError)
    })
    return new RedisClient(socket)
  }

  /** Sends one command; resolves with its reply (an error reply rejects with ERR_REDIS_REPLY). */
  async command (args: Array<string | Uint8Array>): Promise<RespValue> {
    if (this.failure !== undefined) throw this.failure
    const reply = new Promise<RespValue>((resolve, reject) => { this.pending.push({ resolve, reject }) })
    this.socket.write(encodeCommand(args))
    const value = await reply
    if (value.type === 'error') {
      throw new P2PError('ERR_REDIS_REPLY', `Redis answered ${String(args[0])} with: ${value.message}`, { remote: true })
    }
    return value
  }

  /** RPUSH key value...; resolves with the list's new length. */
  async rpush (key: string, ...values: string[]): Promise<number> {
    const reply = await this.command(['RPUSH', key, ...values])
    if (reply.type !== 'integer') throw unexpectedReply('an integer', reply)
    return Number(reply.value)
  }

  /**
   * BLPOP key timeout: the first element of the list, waiting up to
   * `timeoutSeconds` (0 waits forever); null on timeout ("when the BLPOP
   * command times out, it returns a null array").
   */
  async blpop (key: string, timeoutSeconds: number): Promise<string | null> {
    const reply = await this.command(['BLPOP', key, String(timeoutSeconds)])
    if (reply.type !== 'array') throw unexpectedReply('an array', reply)
    if (reply.items === null) return null
    const [, value] = reply.items
    if (reply.items.length !== 2 || value === undefined) {
      throw new P2PError('ERR_REDIS_UNEXPECTED_REPLY', `BLPOP answers [key, value], got ${reply.items.length} elements`, { remote: true })
    }
    return replyText(value)
  }

  async del (key: string): Promise<number> {
    const reply = await this.command(['DEL', key])
    if (reply.type !== 'integer') throw unexpectedReply('an integer', reply)
    return Number(reply.value)
  }

  async get (key: string): Promise<string | null> {
    return replyText(await this.command(['GET', key]))
  }

  async set (key: string, value: string): Promise<void> {
    await this.command(['SET', key, value])
  }

  /** Closes the connection; commands still waiting reject. */
  close (): void {
    this.fail(new P2PError('ERR_REDIS_CONNECTION', 'the Redis client was closed'))
    this.socket.destroy()
  }

  private onData (chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk])
    let offset = 0
    try {
      while (offset < this.buffer.length) {
        const reply = decodeReply(this.buffer, offset)
        if (reply === undefined) break
        offset += reply.bytes
        const waiter = this.pending.shift()
        if (waiter === undefined) {
          throw new P2PError('ERR_REDIS_PROTOCOL', 'Redis sent a reply to no command', { remote: true })
        }
        waiter.resolve(reply.value)
      }
    } catch (err) {
      this.fail(err as Error)
      this.socket.destroy()
      return
    }
    this.buffer = this.buffer.subarray(offset)
  }

  private fail (err: Error): void {
    this.failure ??= err
    for (const waiter of this.pending.splice(0)) waiter.reject(this.failure)
  }
}
