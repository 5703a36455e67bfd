// The callback of the write a muxed stream has under way (yamux, mplex),
// called exactly once: when the write is done, when it fails, or when the
// stream is destroyed first.
//
// "Done" is Node's Writable contract: the chunk is fully handled, so the
// writer may refill its buffer. A payload the muxer copied into its frame is
// handled once the frame is written; one sent down as a view of the
// writer's buffer only once the connection has called back the frame's
// write (the Noise channel seals a turn's frames together, a turn later:
// ./write-batch.ts). `afterConnection()` makes that callback.

type WriteCallback = (err?: Error | null) => void

export class WriteCompletion {
  private callback: WriteCallback | undefined
  /** Counts writes: a connection callback for a write completed otherwise (destroyed) is ignored. */
  private writeNumber = 0

  /** `finish` calls the write's callback (at once, or after the connection drains). */
  constructor (private readonly finish: (callback: WriteCallback) => void) {}

  /** A new write starts; `callback` is its callback. */
  begin (callback: WriteCallback): void {
    this.callback = callback
    this.writeNumber++
  }

  /** For the connection's write of the last frame: completes (or fails) this write once it is called. */
  afterConnection (): WriteCallback {
    const writeNumber = this.writeNumber
    return err => {
      if (writeNumber !== this.writeNumber) return
      if (err != null) this.fail(err)
      else this.complete()
    }
  }

  complete (): void {
    const callback = this.take()
    if (callback !== undefined) this.finish(callback)
  }

  fail (err: Error): void {
    this.take()?.(err)
  }

  /** The callback, if the write is still under way; it is then no longer pending. */
  take (): WriteCallback | undefined {
    const callback = this.callback
    this.callback = undefined
    return callback
  }
}
