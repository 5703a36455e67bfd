// An mplex session driven frame by frame (libp2p/specs mplex), for the
// prober: it sends exactly the frames a case asks for and records what the
// peer sends on the streams we opened. Streams the peer opens (identify on
// connect) are reset at once, since the prober serves no protocol.

import { ByteQueue } from '../util/byte-queue.js'
import { encodeFrame, decodeFrame, type Frame } from '../mplex/index.js'
import { encodeMessage } from '../multistream/index.js'
import type { Wire } from './wire.js'
import { expectHeader, proposal, takeMessage } from './multistream.js'

/** What the peer did on one of our (outbound) streams. */
export interface MplexStreamRecord {
  readonly id: number
  readonly data: ByteQueue
  received: number
  /** CloseReceiver arrived: the peer will send no more. */
  remoteClosed: boolean
  /** ResetReceiver arrived. */
  remoteReset: boolean
}

export class MplexProbe {
  readonly streams = new Map<number, MplexStreamRecord>()
  readonly frames: Frame[] = []
  /** Streams the peer opened. */
  readonly inbound: number[] = []
  /**
   * We dial, so we are the session initiator: "the session initiator
   * allocates odd IDs and the session receiver allocates even IDs" (mplex
   * README "Opening a new stream").
   */
  private nextStreamId = 1

  constructor (readonly wire: Wire, readonly timeoutMs: number) {
    wire.onInput = () => { this.parse() }
    wire.input()
  }

  send (frame: Frame): void {
    this.wire.write(encodeFrame(frame))
  }

  open (): MplexStreamRecord {
    const id = this.nextStreamId
    const record = this.track(id)
    this.send({ type: 'NewStream', streamId: id, name: new TextEncoder().encode(String(id)) })
    return record
  }

  /** Starts recording a stream we open with a frame of our own (scripts). */
  track (id: number): MplexStreamRecord {
    const record: MplexStreamRecord = { id, data: new ByteQueue(), received: 0, remoteClosed: false, remoteReset: false }
    this.streams.set(id, record)
    // the next odd ID above it
    if (id >= this.nextStreamId) this.nextStreamId = id % 2 === 1 ? id + 2 : id + 1
    return record
  }

  write (stream: MplexStreamRecord, bytes: Uint8Array): void {
    this.send({ type: 'MessageInitiator', streamId: stream.id, data: [bytes] })
  }

  async openProtocol (protocols: readonly string[]): Promise<{ stream: MplexStreamRecord, protocol: string } | undefined> {
    const stream = this.open()
    this.write(stream, proposal(protocols[0]))
    expectHeader(await this.message(stream, 'the multistream header on the new stream'))
    for (let i = 0; i < protocols.length; i++) {
      if (i > 0) this.write(stream, encodeMessage(protocols[i]))
      const answer = await this.message(stream, `the answer to "${protocols[i]}"`)
      if (answer === protocols[i]) return { stream, protocol: answer }
    }
    this.send({ type: 'ResetInitiator', streamId: stream.id })
    return undefined
  }

  async message (stream: MplexStreamRecord, what: string): Promise<string> {
    return await this.wire.until(() => takeMessage(stream.data), what, this.timeoutMs)
  }

  async read (stream: MplexStreamRecord, n: number, what: string): Promise<Uint8Array> {
    return await this.wire.until(() => stream.data.length >= n ? (stream.data.take(n) ?? new Uint8Array(0)).slice() : undefined, what, this.timeoutMs)
  }

  private parse (): void {
    for (let frame = decodeFrame(this.wire.queue); frame !== undefined; frame = decodeFrame(this.wire.queue)) {
      this.onFrame(frame)
    }
  }

  private onFrame (frame: Frame): void {
    this.frames.push(frame)
    switch (frame.type) {
      case 'NewStream':
        this.inbound.push(frame.streamId)
        this.send({ type: 'ResetReceiver', streamId: frame.streamId })
        return
      case 'MessageInitiator':
      case 'CloseInitiator':
      case 'ResetInitiator':
        // about a stream the peer opened (and we reset): ignored
        return
      case 'MessageReceiver': {
        const record = this.streams.get(frame.streamId)
        if (record === undefined) return
        for (const chunk of frame.data) {
          record.data.push(chunk.slice())
          record.received += chunk.length
        }
        return
      }
      case 'CloseReceiver': {
        const record = this.streams.get(frame.streamId)
        if (record !== undefined) record.remoteClosed = true
        return
      }
      case 'ResetReceiver': {
        const record = this.streams.get(frame.streamId)
        if (record !== undefined) record.remoteReset = true
        return
      }
      default: {
        const never: never = frame
        throw new TypeError(`unknown frame ${String(never)}`)
      }
    }
  }
}
