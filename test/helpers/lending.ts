// Makes an in-memory stream lend its reads the way the TCP transport's
// sockets do (src/util/lent-reads.ts), with a trap: every chunk is copied
// into ONE scratch buffer, handed to the receiver as a view, and the buffer
// is overwritten with 0xee as soon as the receiver returns. A receiver that
// kept a view of lent bytes instead of copying them sees garbage, and the
// test comparing bytes fails.

import type { Duplex } from 'node:stream'
import { READ_LENDER, type LentBytesReceiver, type ReadLender } from '../../src/util/lent-reads.js'

export interface LendingStats {
  /** Chunks lent so far. */
  lent: number
  /** Times a receiver returned false (asked for a pause). */
  pauses: number
  /** Times resume() was called. */
  resumes: number
}

export function lendReads (stream: Duplex, scratchBytes = 256 * 1024): LendingStats {
  const stats: LendingStats = { lent: 0, pauses: 0, resumes: 0 }
  const scratch = new Uint8Array(scratchBytes)
  let receiver: LentBytesReceiver | undefined
  const onData = (chunk: Uint8Array): void => {
    for (let offset = 0; offset < chunk.length && receiver !== undefined; offset += scratch.length) {
      const piece = chunk.subarray(offset, offset + scratch.length)
      scratch.set(piece)
      stats.lent++
      const more = receiver(scratch.subarray(0, piece.length))
      scratch.fill(0xee)
      if (!more) {
        stats.pauses++
        stream.pause()
      }
    }
  }
  const lender: ReadLender = {
    lend (next) {
      receiver = next
      if (next !== undefined) stream.on('data', onData)
      else stream.off('data', onData)
    },
    resume () {
      stats.resumes++
      stream.resume()
    }
  }
  ;(stream as unknown as { [READ_LENDER]: ReadLender })[READ_LENDER] = lender
  return stats
}
