// The fuzz targets: every decoder and state machine that bytes from the
// network reach, each with a fast-check property that holds when the code
// either accepts the input or rejects it with a P2PError — never another
// exception, never a hang (each session target has a deadline).
//
// Shared by the short run in `npm test` (./fuzz.test.ts) and the long one
// behind `npm run fuzz` (./run.ts).

import fc from 'fast-check'
import { PassThrough } from 'node:stream'
import { isP2PError } from '../../src/util/errors.js'
import { ByteQueue } from '../../src/util/byte-queue.js'
import { Multiaddr } from '../../src/multiaddr/index.js'
import { PeerId, publicKeyFromProtobuf, privateKeyFromProtobuf } from '../../src/peer/index.js'
import { decodeMessage, ListenerMachine, DialerMachine, toMatcher, encodeMessages, MULTISTREAM_PROTOCOL_ID } from '../../src/multistream/index.js'
import {
  decodeNoiseHandshakePayload, FrameDecoder, HandshakeState, PROTOCOL_NAME, XX, nodeCrypto, CipherState
} from '../../src/noise/index.js'
import { decodeFrame as decodeYamuxFrame, createYamux, writeHeader, HEADER_LENGTH, type FrameTypeCode } from '../../src/yamux/index.js'
import { decodeFrame as decodeMplexFrame, createMplex, frameHeaderLength, writeFrameHeader, type FlagValue } from '../../src/mplex/index.js'
import { decodeIdentify, decodeEnvelope, decodePerfRequest, openSignedPeerRecord } from '../../src/protocols/index.js'

/** Thrown when a target met an exception that is not a P2PError. */
export class UntypedError extends Error {}

/** Runs `fn`; a P2PError is an accepted outcome, anything else fails the property. */
function typedOnly (fn: () => unknown): void {
  try {
    fn()
  } catch (err) {
    if (!isP2PError(err)) throw new UntypedError(`not a P2PError: ${String(err)}`, { cause: err })
  }
}

/** Feeds `chunks` one by one through `decode` until it needs more bytes. */
function drain<F> (chunks: Uint8Array[], decode: (queue: ByteQueue) => F | undefined): void {
  const queue = new ByteQueue()
  for (const chunk of chunks) {
    queue.push(chunk)
    let guard = 0
    while (decode(queue) !== undefined) {
      if (++guard > 100_000) throw new UntypedError('decoder loops without consuming input')
    }
  }
}

const bytes = (max = 512): fc.Arbitrary<Uint8Array> => fc.uint8Array({ maxLength: max })
const chunks = (max = 8): fc.Arbitrary<Uint8Array[]> => fc.array(bytes(256), { maxLength: max })

/** Valid input with a few bytes flipped: reaches deeper than pure noise. */
function mutated (valid: Uint8Array[]): fc.Arbitrary<Uint8Array> {
  return fc.tuple(fc.constantFrom(...valid), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { maxLength: 4 }), fc.nat(64))
    .map(([base, flips, cut]) => {
      const out = Uint8Array.from(base)
      for (const [at, x] of flips) if (out.length > 0) out[at % out.length] ^= x
      return out.subarray(0, Math.max(0, out.length - cut))
    })
}

const VALID_MULTIADDRS = ['/ip4/127.0.0.1/tcp/4001', '/ip6/::1/udp/53/quic-v1', '/dns4/example.com/tcp/443/wss/p2p/12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA']
  .map(s => Multiaddr.fromString(s).bytes)

const HANDSHAKE_VECTOR = encodeMessages([MULTISTREAM_PROTOCOL_ID, '/noise', 'ls'])

/**
 * Well-formed yamux frames with arbitrary (legal-shaped) fields: they get past
 * the header checks and reach the session's stream and window logic.
 */
const yamuxFrames: fc.Arbitrary<Uint8Array[]> = fc.array(
  fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 15 }), fc.integer({ min: 0, max: 9 }), fc.nat(300)).map(([type, flags, streamId, length]) => {
    const payload = type === 0 ? length : 0
    const frame = new Uint8Array(HEADER_LENGTH + payload)
    writeHeader(frame, 0, type as FrameTypeCode, flags, streamId, type === 0 ? length : length * 1000)
    return frame
  }),
  { maxLength: 12 }
)

/** Well-formed mplex frames: any flag, small stream IDs, small bodies. */
const mplexFrames: fc.Arbitrary<Uint8Array[]> = fc.array(
  fc.tuple(fc.integer({ min: 0, max: 6 }), fc.integer({ min: 0, max: 5 }), fc.nat(200)).map(([flag, streamId, length]) => {
    const head = frameHeaderLength(flag as FlagValue, streamId, length)
    const frame = new Uint8Array(head + length)
    writeFrameHeader(frame, 0, flag as FlagValue, streamId, length)
    return frame
  }),
  { maxLength: 12 }
)

export interface FuzzTarget {
  readonly name: string
  // each target's property has its own input tuple; a list of them can only be typed by the widest one
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly property: fc.IProperty<any> | fc.IAsyncProperty<any>
  /** Async targets run far fewer cases: each one drives a session. */
  readonly async?: boolean
}

async function feedSession (data: Uint8Array[], create: (conn: PassThrough) => { abort: (err: Error) => void, on: (e: string, f: (err?: Error) => void) => unknown }): Promise<void> {
  // a one-way pipe is enough: the session's writes go nowhere, its reads are our bytes
  const incoming = new PassThrough()
  const outgoing = new PassThrough()
  outgoing.resume()
  const duplex = Object.assign(incoming, { write: outgoing.write.bind(outgoing) }) as unknown as PassThrough
  let closeError: Error | undefined
  const session = create(duplex)
  session.on('close', err => { closeError = err })
  for (const chunk of data) incoming.write(chunk)
  await new Promise(resolve => setImmediate(resolve))
  // only what the session closed with on its own counts; the abort below is ours
  const ownError = closeError
  session.abort(new Error('fuzz case done'))
  closeError = ownError
  if (closeError !== undefined && !isP2PError(closeError) && !isP2PError(closeError.cause)) {
    throw new UntypedError(`session closed with an untyped error: ${String(closeError)}`)
  }
}

export const TARGETS: FuzzTarget[] = [
  { name: 'multiaddr bytes', property: fc.property(fc.oneof(bytes(), mutated(VALID_MULTIADDRS)), b => { typedOnly(() => Multiaddr.fromBytes(b)) }) },
  { name: 'multiaddr text', property: fc.property(fc.oneof(fc.string(), fc.constantFrom('/ip4/', '/tcp/99999', '/ip6/zz', '/dns/', '/p2p/Qm').chain(p => fc.string().map(s => p + s))), s => { typedOnly(() => Multiaddr.fromString(s)) }) },
  { name: 'peer ID bytes', property: fc.property(bytes(128), b => { typedOnly(() => PeerId.fromBytes(b)) }) },
  { name: 'peer ID text', property: fc.property(fc.string({ maxLength: 80 }), s => { typedOnly(() => PeerId.parse(s)) }) },
  { name: 'public key protobuf', property: fc.property(bytes(600), b => { typedOnly(() => publicKeyFromProtobuf(b)) }) },
  { name: 'private key protobuf', property: fc.property(bytes(200), b => { typedOnly(() => privateKeyFromProtobuf(b)) }) },
  { name: 'multistream message codec', property: fc.property(bytes(), b => { typedOnly(() => decodeMessage(b, 0)) }) },
  {
    name: 'multistream listener machine',
    property: fc.property(fc.array(fc.oneof(bytes(64), mutated([HANDSHAKE_VECTOR])), { maxLength: 8 }), bodies => {
      typedOnly(() => {
        const machine = new ListenerMachine(toMatcher(['/noise']))
        machine.start()
        for (const body of bodies) machine.receive(body)
      })
    })
  },
  {
    name: 'multistream dialer machine',
    property: fc.property(fc.array(bytes(64), { maxLength: 8 }), bodies => {
      typedOnly(() => {
        const machine = new DialerMachine()
        machine.propose(['/noise', '/tls/1.0.0'])
        for (const body of bodies) machine.receive(body)
      })
    })
  },
  { name: 'noise handshake payload', property: fc.property(bytes(), b => { typedOnly(() => decodeNoiseHandshakePayload(b)) }) },
  { name: 'noise transport frames', property: fc.property(chunks(), cs => { typedOnly(() => { const d = new FrameDecoder(); for (const c of cs) d.push(c, () => {}) }) }) },
  {
    name: 'noise handshake state (responder reads message 1, initiator reads message 2)',
    property: fc.property(bytes(300), fc.boolean(), (b, initiator) => {
      typedOnly(() => {
        const hs = new HandshakeState({ crypto: nodeCrypto, pattern: XX, protocolName: PROTOCOL_NAME, initiator, staticPrivateKey: nodeCrypto.generatePrivateKey() })
        if (initiator) hs.writeMessage(new Uint8Array(0))
        hs.readMessage(b)
      })
    })
  },
  { name: 'noise transport decrypt', property: fc.property(bytes(200), b => { typedOnly(() => new CipherState(nodeCrypto, new Uint8Array(32)).decryptWithAd(new Uint8Array(0), b)) }) },
  { name: 'yamux frame codec', property: fc.property(chunks(), cs => { typedOnly(() => { drain(cs, decodeYamuxFrame) }) }) },
  { name: 'mplex frame codec', property: fc.property(chunks(), cs => { typedOnly(() => { drain(cs, q => decodeMplexFrame(q)) }) }) },
  { name: 'identify protobuf', property: fc.property(bytes(), b => { typedOnly(() => decodeIdentify(b)) }) },
  { name: 'signed envelope', property: fc.property(bytes(), b => { typedOnly(() => decodeEnvelope(b)) }) },
  { name: 'signed peer record', property: fc.property(bytes(), b => { typedOnly(() => openSignedPeerRecord(b)) }) },
  { name: 'perf request', property: fc.property(bytes(16), b => { typedOnly(() => decodePerfRequest(b)) }) },
  {
    name: 'yamux session',
    async: true,
    property: fc.asyncProperty(fc.oneof(chunks(6), yamuxFrames), fc.boolean(), async (cs, initiator) => {
      await feedSession(cs, conn => createYamux(conn, { initiator, measureRtt: false, closeTimeoutMs: 10 }))
    })
  },
  {
    name: 'mplex session',
    async: true,
    property: fc.asyncProperty(fc.oneof(chunks(6), mplexFrames), fc.boolean(), async (cs, initiator) => {
      await feedSession(cs, conn => createMplex(conn, { initiator, closeTimeout: 10 }))
    })
  }
]
