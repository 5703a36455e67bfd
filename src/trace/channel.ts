// Follows the decrypted bytes of one secure channel: the muxer negotiation
// (when it is not inlined in the Noise handshake), then every yamux or mplex
// frame, and inside each stream its protocol negotiation and application data
// (hashicorp/yamux spec.md "Framing"; libp2p/specs mplex "Message format";
// libp2p/specs connections "Upgrading connections").
//
// Theory of operation: ./tap.ts hands us each chunk the channel carries, per
// direction, as it crosses the Noise layer. We decode it with the muxer's own
// codec (src/yamux/decode.ts, src/mplex/codec.ts) on a ByteQueue of our own,
// so the muxer itself is not touched. A Data frame's payload goes to that
// stream's NegotiationDissector (./negotiation.ts); what comes out of it is
// application data, summarised once per frame. A frame the codec rejects
// stops decoding that direction (reported once); the connection is not ours
// to judge, so nothing here throws.

import { ByteQueue } from '../util/byte-queue.js'
import { RecentMap } from '../util/recent-map.js'
import { decodeHeader } from '../yamux/decode.js'
import { Flag, FrameType, PROTOCOL_ID as YAMUX_PROTOCOL_ID } from '../yamux/constants.js'
import { decodeFrame as decodeMplexFrame } from '../mplex/codec.js'
import { PROTOCOL_ID as MPLEX_PROTOCOL_ID } from '../mplex/constants.js'
import type { Frame as MplexFrame } from '../mplex/frame.js'
import { NegotiationDissector } from './negotiation.js'
import { PREVIEW_BYTES, YAMUX_FLAG_NAMES, YAMUX_FRAME_NAMES } from './events.js'
import type { Direction, MultistreamScope, TraceEventInit, YamuxFlagName } from './events.js'

export type Emit = (event: TraceEventInit) => void

type Codec = 'yamux' | 'mplex'

const CODECS: Record<string, Codec> = { [YAMUX_PROTOCOL_ID]: 'yamux', [MPLEX_PROTOCOL_ID]: 'mplex' }

export interface ChannelOptions {
  /** We dialled the connection (yamux client, multistream dialer of the muxer round). */
  localIsInitiator: boolean
  /** The muxer agreed inside the Noise handshake; undefined when multistream-select chooses it. */
  inlinedMuxer?: string
  emit: Emit
}

/** One muxed stream as the tracer follows it. */
interface TracedStream {
  readonly id: number
  readonly negotiation: NegotiationDissector
  /** Directions that have half-closed; with both (or a reset) the stream is forgotten. */
  readonly closed: Set<Direction>
}

/** The application bytes of the frame being read, summarised when it ends. */
interface AppSummary {
  length: number
  preview: number[]
}

/** Per direction: where the decoder is. */
interface Reader {
  readonly queue: ByteQueue
  broken: boolean
  /** yamux: the Data frame whose payload is arriving. */
  dataStream: TracedStream | undefined
  /** The ended stream late data in the frame belongs to (no dataStream then). */
  lateStream: LateStream | undefined
  dataRemaining: number
  app: AppSummary
}

/** What is still known of a stream that has ended, for data that arrives after. */
interface LateStream { readonly id: number, readonly protocol: string | undefined }

/** Ended streams remembered for their late data. */
const ENDED_STREAMS_KEPT = 64

export class ChannelDissector {
  private codec: Codec | undefined
  private readonly negotiation: NegotiationDissector | undefined
  /** Bytes that arrived after the muxer negotiation but before we knew the muxer. */
  private readonly early: Record<Direction, Uint8Array[]> = { in: [], out: [] }
  private readonly readers: Record<Direction, Reader> = { in: newReader(), out: newReader() }
  private readonly streams = new Map<string, TracedStream>()
  /**
   * Streams lately reset or closed both ways: data the remote had in
   * flight when we reset is common (rust-yamux notes it), and belongs to
   * the stream that was, not to a new one whose first bytes would be read
   * as multistream. Bounded: only the latest are kept.
   */
  private readonly ended = new RecentMap<string, TracedStream>(ENDED_STREAMS_KEPT)

  constructor (private readonly options: ChannelOptions) {
    if (options.inlinedMuxer !== undefined) {
      this.codec = CODECS[options.inlinedMuxer]
    } else {
      this.negotiation = new NegotiationDissector(options.localIsInitiator, {
        onMessage: (direction, message, size) => { this.emitMultistream('secure', direction, message, size) },
        onUndecodable: (direction, reason) => { options.emit({ type: 'trace:undecodable', direction, reason }) }
      })
    }
  }

  /** Bytes that crossed the channel in `direction`. */
  feed (direction: Direction, chunk: Uint8Array): void {
    let chunks = [chunk]
    if (this.negotiation !== undefined && this.codec === undefined) {
      chunks = this.negotiation.feed(direction, chunk)
      if (this.negotiation.accepted !== undefined) this.codec = CODECS[this.negotiation.accepted]
      if (this.codec === undefined) {
        this.early[direction].push(...chunks)
        return
      }
      for (const d of ['in', 'out'] as const) {
        const waiting = this.early[d]
        this.early[d] = []
        for (const c of waiting) this.decode(d, c)
      }
    }
    for (const c of chunks) this.decode(direction, c)
  }

  private decode (direction: Direction, chunk: Uint8Array): void {
    const reader = this.readers[direction]
    if (reader.broken || chunk.length === 0) return
    reader.queue.push(chunk)
    try {
      if (this.codec === 'yamux') this.decodeYamux(direction, reader)
      else if (this.codec === 'mplex') this.decodeMplex(direction, reader)
      else throw new Error('the agreed muxer is neither yamux nor mplex')
    } catch (err) {
      reader.broken = true
      this.options.emit({ type: 'trace:undecodable', direction, reason: `${this.codec ?? 'muxer'}: ${(err as Error).message}` })
    }
  }

  // ---- yamux ----

  private decodeYamux (direction: Direction, reader: Reader): void {
    const queue = reader.queue
    while (true) {
      if (reader.dataRemaining > 0) {
        const size = Math.min(queue.length, reader.dataRemaining)
        if (size === 0) return
        const chunks = queue.takeChunks(size) ?? []
        reader.dataRemaining -= size
        const stream = reader.dataStream
        if (stream !== undefined) for (const c of chunks) this.streamData(direction, stream, c, reader.app)
        else for (const c of chunks) this.appData(c, reader.app)
        if (reader.dataRemaining === 0) this.endFrame(direction, reader)
        continue
      }
      const header = decodeHeader(queue)
      if (header === undefined) return
      this.options.emit({
        type: 'yamux:frame',
        direction,
        frame: YAMUX_FRAME_NAMES[header.type],
        flags: yamuxFlags(header.flags),
        streamId: header.streamId,
        length: header.length
      })
      if (header.type === FrameType.Data || header.type === FrameType.WindowUpdate) {
        const key = String(header.streamId)
        // spec.md "Opening a stream": a new stream comes with SYN; a frame
        // without it for a stream we do not know is late (after RST or both
        // FINs), and does not bring the stream back
        const opens = (header.flags & Flag.SYN) !== 0
        const stream = this.streams.get(key) ?? (opens ? this.stream(key, header.streamId, this.yamuxLocallyOpened(header.streamId)) : undefined)
        if (header.type === FrameType.Data && header.length > 0) {
          reader.dataStream = stream
          reader.lateStream = stream === undefined ? this.lateStream(key, header.streamId) : undefined
          reader.dataRemaining = header.length
        }
        if ((header.flags & Flag.RST) !== 0) this.forget(key)
        else if ((header.flags & Flag.FIN) !== 0 && stream !== undefined) this.halfClosed(key, stream, direction)
      }
    }
  }

  /** spec.md: "The client side should use odd ID's, and the server even." */
  private yamuxLocallyOpened (streamId: number): boolean {
    return (streamId % 2 === 1) === this.options.localIsInitiator
  }

  // ---- mplex ----

  private decodeMplex (direction: Direction, reader: Reader): void {
    while (true) {
      const frame = decodeMplexFrame(reader.queue)
      if (frame === undefined) return
      const opener = mplexOpener(direction, frame)
      const key = `${opener}:${frame.streamId}`
      const length = frame.type === 'NewStream'
        ? frame.name.length
        : frame.type === 'MessageInitiator' || frame.type === 'MessageReceiver' ? frame.data.reduce((n, c) => n + c.length, 0) : 0
      this.options.emit({
        type: 'mplex:frame',
        direction,
        frame: frame.type,
        streamId: frame.streamId,
        opener,
        length,
        ...(frame.type === 'NewStream' ? { name: new TextDecoder().decode(frame.name) } : {})
      })
      // mplex README "Opening a new stream": NewStream opens one; other
      // frames for a stream we do not know are late (after a reset)
      const stream = frame.type === 'NewStream' ? this.stream(key, frame.streamId, opener === 'local') : this.streams.get(key)
      if (frame.type === 'MessageInitiator' || frame.type === 'MessageReceiver') {
        if (stream !== undefined) {
          for (const c of frame.data) this.streamData(direction, stream, c, reader.app)
          this.endFrame(direction, reader, stream)
        } else {
          for (const c of frame.data) this.appData(c, reader.app)
          reader.lateStream = this.lateStream(key, frame.streamId)
          this.endFrame(direction, reader)
        }
      }
      if (frame.type === 'ResetInitiator' || frame.type === 'ResetReceiver') this.forget(key)
      if ((frame.type === 'CloseInitiator' || frame.type === 'CloseReceiver') && stream !== undefined) this.halfClosed(key, stream, direction)
    }
  }

  // ---- streams ----

  private stream (key: string, id: number, locallyOpened: boolean): TracedStream {
    let stream = this.streams.get(key)
    if (stream === undefined) {
      const negotiation: NegotiationDissector = new NegotiationDissector(locallyOpened, {
        onMessage: (direction, message, size, protocols) => { this.emitMultistream('stream', direction, message, size, id, protocols) },
        onUndecodable: (direction, reason) => { this.options.emit({ type: 'trace:undecodable', direction, reason: `stream ${id}: ${reason}` }) }
      })
      stream = { id, negotiation, closed: new Set() }
      this.streams.set(key, stream)
    }
    return stream
  }

  /** Both directions closed: nothing more can come on the stream. */
  private halfClosed (key: string, stream: TracedStream, direction: Direction): void {
    stream.closed.add(direction)
    if (stream.closed.size === 2) this.forget(key)
  }

  private forget (key: string): void {
    const stream = this.streams.get(key)
    if (stream === undefined) return
    this.streams.delete(key)
    this.ended.set(key, stream)
  }

  /** The ended stream late data belongs to (one with no protocol, if it ended too long ago). */
  private lateStream (key: string, id: number): LateStream {
    return { id, protocol: this.ended.get(key)?.negotiation.protocol }
  }

  /**
   * Counts application bytes into the frame's summary. Late bytes come here
   * unparsed (their stream's negotiation is over); a live stream's come
   * through its negotiation first (streamData).
   */
  private appData (chunk: Uint8Array, app: AppSummary): void {
    app.length += chunk.length
    for (let i = 0; i < chunk.length && app.preview.length < PREVIEW_BYTES; i++) app.preview.push(chunk[i])
  }

  private streamData (direction: Direction, stream: TracedStream, chunk: Uint8Array, app: AppSummary): void {
    for (const data of stream.negotiation.feed(direction, chunk)) this.appData(data, app)
  }

  private endFrame (direction: Direction, reader: Reader, stream = reader.dataStream): void {
    const app = reader.app
    reader.app = { length: 0, preview: [] }
    reader.dataStream = undefined
    const late = reader.lateStream
    reader.lateStream = undefined
    if (app.length === 0) return
    if (stream === undefined && late === undefined) return
    const protocol = stream !== undefined ? stream.negotiation.protocol : late?.protocol
    this.options.emit({
      type: 'app:data',
      direction,
      streamId: stream?.id ?? late?.id ?? 0,
      ...(protocol !== undefined ? { protocol } : {}),
      ...(stream === undefined ? { late: true } : {}),
      length: app.length,
      preview: Buffer.from(app.preview).toString('hex')
    })
  }

  private emitMultistream (scope: MultistreamScope, direction: Direction, message: string, size: number, streamId?: number, protocols?: string[]): void {
    this.options.emit({
      type: 'multistream',
      scope,
      direction,
      message,
      size,
      ...(streamId !== undefined ? { streamId } : {}),
      ...(protocols !== undefined ? { protocols } : {})
    })
  }
}

function newReader (): Reader {
  return { queue: new ByteQueue(), broken: false, dataStream: undefined, lateStream: undefined, dataRemaining: 0, app: { length: 0, preview: [] } }
}

function yamuxFlags (flags: number): YamuxFlagName[] {
  return YAMUX_FLAG_NAMES.filter((_name, bit) => (flags & (1 << bit)) !== 0)
}

/**
 * mplex: "The party that opens a stream is called the stream initiator";
 * NewStream and the *Initiator flags are sent by it, the *Receiver flags by
 * the other party.
 */
function mplexOpener (direction: Direction, frame: MplexFrame): 'local' | 'remote' {
  const sentByInitiator = frame.type === 'NewStream' || frame.type.endsWith('Initiator')
  return (direction === 'out') === sentByInitiator ? 'local' : 'remote'
}
