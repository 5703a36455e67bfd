// Frames written in one event-loop turn leave in one write (a performance
// measure, not a protocol rule: yamux and mplex frames may be cut and joined
// freely by the byte stream under them).
//
// Theory of operation. Opening a stream and negotiating its protocol writes
// several small frames in one go (a SYN, a multistream header, a proposal, a
// window update...). Each write to the Noise channel would be sealed as its
// own Noise message and written to the socket with its own syscall. Instead,
// the first frame of a turn corks the channel and a setImmediate uncorks it,
// so the channel gets every frame of the turn at once (its _writev) and seals
// them into one message. setImmediate rather than nextTick: a stream's
// 'readable' and 'data' events are themselves delivered by nextTick, so a
// handler answering a request it has just been given still writes within
// the batch. flush() sends what is queued now, before the session ends or
// destroys the channel.

import type { Writable } from 'node:stream'

export class WriteBatch {
  private corked = false

  constructor (private readonly channel: Writable) {}

  /** Call before each write: the writes of this event-loop turn go out together. */
  begin (): void {
    if (this.corked) return
    this.corked = true
    this.channel.cork()
    setImmediate(this.flush)
  }

  /** Sends what the batch holds now (idempotent). */
  readonly flush = (): void => {
    if (!this.corked) return
    this.corked = false
    this.channel.uncork()
  }
}
