// One dial attempt per peer at a time (../shared/DESIGN.md "switch").
//
// A dial is known by every key that identifies its target: the peer ID when
// known, and each address it tries. A second dial sharing any key with one in
// flight gets the first one's promise, so twenty concurrent dials to one peer
// open one TCP connection, whether they name it by `/p2p/` address, by bare
// address or by peer ID. (The switch checks that a joined dial reached the
// peer it expected.) A peer's addresses are tried a few at a
// time; the first upgraded connection wins and the other attempts are
// aborted (or closed, if they finished in the same instant).

import type { Connection } from '../upgrader/index.js'
import type { Multiaddr } from '../multiaddr/index.js'
import { P2PError } from '../util/errors.js'

export type DialAttempt = (addr: Multiaddr, signal?: AbortSignal) => Promise<Connection>

export class DialQueue {
  private readonly pending = new Map<string, Promise<Connection>>()

  constructor (private readonly maxParallel: number) {}

  get size (): number {
    return this.pending.size
  }

  /** Joins the dial in flight under any of `keys`, or starts one over `addrs`. */
  async dial (keys: string[], addrs: Multiaddr[], attempt: DialAttempt, signal?: AbortSignal): Promise<Connection> {
    for (const key of keys) {
      const existing = this.pending.get(key)
      if (existing !== undefined) return await existing
    }
    const dial = this.dialAny(addrs, attempt, signal).finally(() => {
      for (const key of keys) if (this.pending.get(key) === dial) this.pending.delete(key)
    })
    for (const key of keys) this.pending.set(key, dial)
    return await dial
  }

  private async dialAny (addrs: Multiaddr[], attempt: DialAttempt, signal?: AbortSignal): Promise<Connection> {
    if (addrs.length === 0) throw new P2PError('ERR_NO_VALID_ADDRESSES', 'no addresses to dial')
    if (addrs.length === 1) {
      // nothing to race: no controller to stop other attempts (the usual
      // dial of one address; an AbortController costs 3-5 µs in Node 20)
      try {
        return await attempt(addrs[0], signal)
      } catch (err) {
        signal?.throwIfAborted()
        throw err
      }
    }
    const controller = new AbortController()
    const onAbort = (): void => { controller.abort(signal?.reason) }
    signal?.addEventListener('abort', onAbort)
    const errors: Error[] = []
    let winner: Connection | undefined
    let next = 0
    // each worker takes the next address until one connection wins
    const worker = async (): Promise<void> => {
      while (winner === undefined && next < addrs.length && !controller.signal.aborted) {
        const addr = addrs[next++]
        try {
          const connection = await attempt(addr, controller.signal)
          if (winner === undefined) {
            winner = connection
            // stop the other attempts
            controller.abort(new P2PError('ERR_ABORTED', 'another address of this peer connected first'))
          } else {
            connection.abort(new P2PError('ERR_ABORTED', 'another address of this peer connected first'))
          }
        } catch (err) {
          errors.push(err as Error)
        }
      }
    }
    try {
      await Promise.all(Array.from({ length: Math.min(this.maxParallel, addrs.length) }, worker))
    } finally {
      signal?.removeEventListener('abort', onAbort)
    }
    if (winner !== undefined) return winner
    signal?.throwIfAborted()
    if (errors.length === 1) throw errors[0]
    throw new P2PError('ERR_DIAL_FAILED', `all ${addrs.length} addresses failed: ${errors.map(e => e.message).join('; ')}`, { cause: new AggregateError(errors) })
  }
}
