// Frames written in the same tick leave in one write (a performance measure,
// not a protocol rule: yamux and mplex frames may be cut and joined freely by
// the byte stream under them).
//
// Theory of operation. Opening a stream and negotiating its protocol writes
// several small frames in one go (a SYN, a multistream header, a proposal, a
// window update...). Each write to the Noise channel would be sealed as its
// own Noise message and written to the socket with its own syscall. Instead,
// the first frame of a tick corks the channel and a nextTick uncorks it, so
// the channel gets every frame of the tick at once (its _writev) and seals
// them into one message: the pattern Node's own HTTP uses. flush() sends
// what is queued now, before the session ends or destroys the channel.

import type { Writable } from 'node:stream'

export class WriteBatch {
  private corked = false

  constructor (private readonly channel: Writable) {}

  /** Call before each write: the writes until the next tick go out together. */
  begin (): void {
    if (this.corked) return
    this.corked = true
    this.channel.cork()
    process.nextTick(this.flush)
  }

  /** Sends what the batch holds now (idempotent). */
  readonly flush = (): void => {
    if (!this.corked) return
    this.corked = false
    this.channel.uncork()
  }
}
