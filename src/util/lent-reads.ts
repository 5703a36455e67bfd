// Received bytes lent to one synchronous receiver instead of a new Buffer per
// read (a performance measure, not a protocol rule).
//
// Why: node:net gives every socket read its own freshly allocated Buffer. At
// hundreds of MiB/s that is thousands of 64 KiB allocations a second, cold
// memory for the kernel to copy into, and V8 mark-compacts to collect them.
// With node:net's `onread` a socket reads into a buffer we own; the bytes
// are then only *lent*: a receiver gets a view that is valid until it
// returns, and must copy whatever it keeps. A transport that can do this
// marks its connection with READ_LENDER; a layer that can consume bytes in
// place (the Noise channel opens whole messages straight from the view)
// takes them that way, and everything else reads the connection as an
// ordinary Duplex.

/** Takes lent bytes; returns false when it wants no more until it calls `resume()`. */
export type LentBytesReceiver = (bytes: Uint8Array) => boolean

export interface ReadLender {
  /** From now on every received byte goes to `receiver` (undefined: back to the Duplex's readable side). */
  lend: (receiver: LentBytesReceiver | undefined) => void
  /** Reading starts again after a receiver returned false. */
  resume: () => void
}

export const READ_LENDER = Symbol('readLender')

/** The lender behind `stream`, if its transport lends reads. */
export function readLenderOf (stream: object): ReadLender | undefined {
  return (stream as { [READ_LENDER]?: ReadLender })[READ_LENDER]
}
