// The callback of the write a muxed stream has under way (yamux, mplex),
// called exactly once: when the write is done, when it fails, or when the
// stream is destroyed first.
//
// "Done" is Node's Writable contract: the chunk is fully handled, so the
// writer may refill its buffer (or give it back to a pool, to be filled
// with another stream's data). A payload the muxer copied into its frame is
// handled once the frame is written; one sent down as a view of the
// writer's buffer only once the connection has called back the frame's
// write (the Noise channel seals a turn's frames together, a turn later:
// ./write-batch.ts). The same holds when the write fails: views already
// handed to the connection are still sealed and sent (ahead of the reset),
// so a failed write is called back only once the connection has handled
// them.

import type { Writable } from 'node:stream'
import { onFirstEvent } from '../util/first-event.js'

export type WriteCallback = (err?: Error | null) => void

const EMPTY = new Uint8Array(0)

export class WriteCompletion {
  private callback: WriteCallback | undefined
  /** A payload of the write under way went down as a view of the writer's buffer. */
  private viewSent = false

  /**
   * `connection` is the session's; `finish` calls a completed write's
   * callback (at once, or after the connection drains).
   */
  constructor (private readonly connection: Writable, private readonly finish: (callback: WriteCallback) => void) {}

  /** A new write starts; `callback` is its callback. */
  begin (callback: WriteCallback): void {
    this.callback = callback
    this.viewSent = false
  }

  get pending (): boolean {
    return this.callback !== undefined
  }

  /**
   * Notes a frame of the write about to be sent, its payload a view of the
   * writer's buffer or not. Returns the callback to give the connection's
   * write of that frame when the write must wait for it (its last frame,
   * once any view went down); undefined otherwise. After a last frame
   * without a view, complete() the write.
   */
  frame (view: boolean, last: boolean): WriteCallback | undefined {
    this.viewSent ||= view
    return last && this.viewSent ? this.connectionWritten : undefined
  }

  /**
   * For the connection's write of the write's last frame (see frame()): the connection
   * calls writes back in order, so then every view of the write is handled.
   * An error is not passed on: it is the connection's own (Node's generic
   * "destroyed", or a socket failure), and the session, which ends when its
   * connection does, destroys the stream with the reason, failing the write
   * through `fail`.
   */
  private readonly connectionWritten = (err?: Error | null): void => {
    if (err == null) this.complete()
  }

  /** Every frame is sent, and handled if a view went down (connectionWritten). */
  complete (): void {
    const callback = this.callback
    if (callback === undefined) return
    this.callback = undefined
    this.finish(callback)
  }

  /** Fails the write with `err`, once the connection has handled the views it already has. */
  fail (err: Error): void {
    const callback = this.callback
    if (callback === undefined) return
    this.callback = undefined
    if (this.viewSent) afterWritesHandled(this.connection, () => { callback(err) })
    else callback(err)
  }
}

/**
 * Calls `callback` once `connection` has handled every write made so far: an
 * empty write's callback comes after theirs. When the connection is ending,
 * its 'finish' (or 'close') says so; once destroyed it handles nothing more;
 * with nothing buffered or under way it has handled them all already.
 */
export function afterWritesHandled (connection: Writable, callback: () => void): void {
  if (connection.destroyed || connection.writableFinished || connection.writableLength === 0) {
    callback()
  } else if (connection.writableEnded) {
    onFirstEvent(connection, ['finish', 'close'], callback)
  } else {
    connection.write(EMPTY, () => { callback() })
  }
}
