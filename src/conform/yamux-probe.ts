// A yamux session driven frame by frame (hashicorp/yamux spec.md), for the
// prober: it sends exactly the frames a case asks for and records everything
// the peer sends, per stream, without any flow control of its own (a case
// decides when to send a Window Update). Two things it does by itself so the
// peer's background activity cannot disturb a case: it answers Ping SYNs
// ("the receiver should respond with an ACK flag set and the same opaque
// value") and resets streams the peer opens (identify on connect), since the
// prober serves no protocol.

import { ByteQueue } from '../util/byte-queue.js'
import { encodeFrame, decodeFrame, Flag, GoAwayCode, INITIAL_STREAM_WINDOW, type Frame } from '../yamux/index.js'
import type { Wire } from './wire.js'
import { encodeMessage } from '../multistream/index.js'
import { expectHeader, proposal, takeMessage } from './multistream.js'

/** Largest Data payload the prober sends in one frame (what most implementations send). */
const MAX_FRAME_PAYLOAD = 64 * 1024

/** What the peer did on one of our streams. */
export interface YamuxStreamRecord {
  readonly id: number
  /** Payload bytes received, not yet consumed by the case. */
  readonly data: ByteQueue
  /** Payload bytes received in total. */
  received: number
  /** The peer's window for our sends: 256 KiB plus its Window Update deltas, minus what we sent. */
  sendWindow: number
  acked: boolean
  remoteFin: boolean
  remoteRst: boolean
}

export class YamuxProbe {
  readonly streams = new Map<number, YamuxStreamRecord>()
  /** Every frame received (payloads as received), in order. */
  readonly frames: Frame[] = []
  /** Opaque values of Ping ACKs received. */
  readonly pingAcks: number[] = []
  /** Streams the peer opened (SYN), and whether that came after our Go Away. */
  readonly inboundSyns: Array<{ id: number, afterGoAway: boolean }> = []
  goAwayReceived: number | undefined
  goAwaySent = false
  /** Stream frames for IDs we never opened that are not SYNs. */
  readonly unknownStreamFrames: Frame[] = []
  private nextStreamId = 1

  constructor (readonly wire: Wire, readonly timeoutMs: number) {
    wire.onInput = () => { this.parse() }
    wire.input()
  }

  send (frame: Frame): void {
    if (frame.type === 'data') {
      const record = this.streams.get(frame.streamId)
      if (record !== undefined) record.sendWindow -= frame.data.length
    }
    if (frame.type === 'goAway') this.goAwaySent = true
    this.wire.write(encodeFrame(frame))
  }

  /** Opens stream N (client: odd IDs) with a Window Update SYN, delta 0. */
  open (): YamuxStreamRecord {
    const id = this.nextStreamId
    this.nextStreamId += 2
    const record = this.track(id)
    this.send({ type: 'windowUpdate', flags: Flag.SYN, streamId: id, delta: 0 })
    return record
  }

  /** Starts recording a stream we open with a frame of our own (scripts). */
  track (id: number): YamuxStreamRecord {
    const record: YamuxStreamRecord = { id, data: new ByteQueue(), received: 0, sendWindow: INITIAL_STREAM_WINDOW, acked: false, remoteFin: false, remoteRst: false }
    this.streams.set(id, record)
    if (id >= this.nextStreamId) this.nextStreamId = id + 2
    return record
  }

  /** Opens a stream and selects the first of `protocols` the peer accepts; undefined when it accepts none. */
  async openProtocol (protocols: readonly string[]): Promise<{ stream: YamuxStreamRecord, protocol: string } | undefined> {
    const stream = this.open()
    this.write(stream, proposal(protocols[0]))
    expectHeader(await this.message(stream, 'the multistream header on the new stream'))
    for (let i = 0; i < protocols.length; i++) {
      if (i > 0) this.write(stream, encodeMessage(protocols[i]))
      const answer = await this.message(stream, `the answer to "${protocols[i]}"`)
      if (answer === protocols[i]) return { stream, protocol: answer }
    }
    this.send({ type: 'windowUpdate', flags: Flag.RST, streamId: stream.id, delta: 0 })
    return undefined
  }

  /** Sends data on a stream in frames of at most 64 KiB; `flags` go on the last one. The case minds the window. */
  write (stream: YamuxStreamRecord, bytes: Uint8Array, flags = 0): void {
    let offset = 0
    do {
      const data = bytes.subarray(offset, offset + MAX_FRAME_PAYLOAD)
      offset += MAX_FRAME_PAYLOAD
      this.send({ type: 'data', flags: offset >= bytes.length ? flags : 0, streamId: stream.id, data })
    } while (offset < bytes.length)
  }

  async message (stream: YamuxStreamRecord, what: string): Promise<string> {
    return await this.wire.until(() => takeMessage(stream.data), what, this.timeoutMs)
  }

  /** Waits for `n` payload bytes on the stream and takes them. */
  async read (stream: YamuxStreamRecord, n: number, what: string): Promise<Uint8Array> {
    return await this.wire.until(() => stream.data.length >= n ? (stream.data.take(n) ?? new Uint8Array(0)).slice() : undefined, what, this.timeoutMs)
  }

  async ping (opaque: number): Promise<void> {
    this.send({ type: 'ping', flags: Flag.SYN, streamId: 0, opaque })
    await this.wire.until(() => this.pingAcks.includes(opaque) ? true : undefined, `a Ping ACK echoing opaque value ${opaque}`, this.timeoutMs)
  }

  goAway (code: number = GoAwayCode.Normal): void {
    this.send({ type: 'goAway', flags: 0, streamId: 0, errorCode: code })
  }

  private parse (): void {
    for (let frame = decodeFrame(this.wire.queue); frame !== undefined; frame = decodeFrame(this.wire.queue)) {
      this.frames.push(frame.type === 'data' ? { ...frame, data: frame.data.slice() } : frame)
      this.onFrame(frame)
    }
  }

  private onFrame (frame: Frame): void {
    switch (frame.type) {
      case 'ping':
        if ((frame.flags & Flag.SYN) !== 0) this.send({ type: 'ping', flags: Flag.ACK, streamId: 0, opaque: frame.opaque })
        else if ((frame.flags & Flag.ACK) !== 0) this.pingAcks.push(frame.opaque)
        return
      case 'goAway':
        this.goAwayReceived = frame.errorCode
        return
      case 'data':
      case 'windowUpdate':
        break
      default: {
        const never: never = frame
        throw new TypeError(`unknown frame ${String(never)}`)
      }
    }
    const record = this.streams.get(frame.streamId)
    if (record === undefined) {
      if ((frame.flags & Flag.SYN) !== 0) {
        this.inboundSyns.push({ id: frame.streamId, afterGoAway: this.goAwaySent })
        this.send({ type: 'windowUpdate', flags: Flag.RST, streamId: frame.streamId, delta: 0 })
      } else if (frame.streamId % 2 === 1) {
        this.unknownStreamFrames.push(frame)
      }
      return
    }
    if ((frame.flags & Flag.ACK) !== 0) record.acked = true
    if (frame.type === 'data') {
      record.data.push(frame.data.slice())
      record.received += frame.data.length
    } else {
      record.sendWindow += frame.delta
    }
    if ((frame.flags & Flag.FIN) !== 0) record.remoteFin = true
    if ((frame.flags & Flag.RST) !== 0) record.remoteRst = true
  }
}
