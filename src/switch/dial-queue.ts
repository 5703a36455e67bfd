// One dial attempt per peer at a time (../shared/DESIGN.md "switch").
//
// A dial is known by every key that identifies its target: the peer ID when
// known, and each address it tries. A second dial sharing a key with one in
// flight joins it when both expect the same peer (the same peer ID, or none
// when both name the same bare address), so twenty concurrent dials to one
// peer open one TCP connection. A dial of a peer never waits on a dial that
// expects another peer or none: it dials on its own (the switch then keeps
// one connection where both reach the same peer). A dial of a bare address
// that meets a dial of a peer at that address, and a dial of a peer that
// meets a narrower dial of it (one that tries fewer of its addresses),
// take whatever that one reaches, and dial on their own if it fails. So no
// dial inherits a failure or a peer it did not ask for (nor, for a bare
// address, a connection that reached the peer at another address).
//
// Each joiner's AbortSignal bounds its own wait. The attempt itself stops
// only when every joiner has given up (or the switch stops: abortAll), as
// js-libp2p does, so one caller's timeout never fails the others.
//
// A peer's addresses are tried a few at a time; the first upgraded
// connection wins and the other attempts are aborted (or closed, if they
// finished in the same instant).

import type { Connection } from '../upgrader/index.js'
import type { Multiaddr } from '../multiaddr/index.js'
import { P2PError, abortError } from '../util/errors.js'
import { untilAborted } from '../util/deadline.js'

export type DialAttempt = (addr: Multiaddr, signal: AbortSignal) => Promise<Connection>

/** What a dial is for: the peer it must reach (undefined: whoever answers) and its keys. */
export interface DialTargetKeys {
  peer: string | undefined
  /** The peer ID (when known) and each address, as text. */
  keys: string[]
}

interface PendingDial {
  readonly promise: Promise<Connection>
  readonly controller: AbortController
  readonly peer: string | undefined
  readonly keys: string[]
  /** Callers still waiting for it; at zero the attempt is aborted. */
  joiners: number
}

export class DialQueue {
  private readonly pending = new Map<string, PendingDial>()
  private readonly inFlight = new Set<PendingDial>()
  /** Set by abortAll: every dial from then on fails with it. */
  private closed: Error | undefined

  constructor (private readonly maxParallel: number) {}

  /** Attempts in flight. */
  get size (): number {
    return this.inFlight.size
  }

  /** Joins the dial in flight for the same target, or starts one over `addrs`. */
  async dial (target: DialTargetKeys, addrs: Multiaddr[], attempt: DialAttempt, signal?: AbortSignal): Promise<Connection> {
    throwIfAborted(signal)
    if (this.closed !== undefined) throw this.closed
    for (const key of target.keys) {
      const existing = this.pending.get(key)
      if (existing === undefined) continue
      // the same expectation, over every address of ours: its outcome is ours
      if (existing.peer === target.peer && covers(existing, target)) return await this.join(existing, signal)
      // a dial that expects a peer never waits on one that does not (or expects another): it dials itself
      if (existing.peer !== target.peer && target.peer !== undefined) continue
      // a bare address meeting a dial of the peer there, or a dial of a peer
      // meeting a narrower dial of it (fewer addresses: a dial by one
      // address while ours has the peer store's): what that reaches serves,
      // a bare address only when it was reached there (the peer's dial may
      // have got through at another of its addresses, while ours is now
      // someone else's). A name's connection carries the IP it reached, so
      // a bare /dns address dials again; the switch then keeps the
      // connection it already has to that peer
      try {
        const connection = await this.join(existing, signal)
        if (target.peer !== undefined || connection.remoteAddr.toString() === key) return connection
      } catch {
        throwIfAborted(signal)
        if (this.closed !== undefined) throw this.closed
      }
      // it failed, or reached the peer elsewhere: settled and gone from
      // `pending`, so look again (another caller may have started ours)
      return await this.dial(target, addrs, attempt, signal)
    }
    return await this.join(this.start(target, addrs, attempt), signal)
  }

  /** Aborts every attempt in flight with `reason`, and refuses every dial after (the switch is stopping). */
  abortAll (reason: Error): void {
    this.closed = reason
    for (const dial of this.inFlight) dial.controller.abort(reason)
  }

  /** Resolves once every attempt in flight has settled. */
  async settled (): Promise<void> {
    await Promise.allSettled([...this.inFlight].map(async dial => await dial.promise))
  }

  private start (target: DialTargetKeys, addrs: Multiaddr[], attempt: DialAttempt): PendingDial {
    const controller = new AbortController()
    const promise = this.dialAny(addrs, attempt, controller.signal)
    const dial: PendingDial = { promise, controller, peer: target.peer, keys: target.keys, joiners: 0 }
    this.inFlight.add(dial)
    for (const key of target.keys) this.pending.set(key, dial)
    const forget = (): void => {
      this.inFlight.delete(dial)
      this.unlist(dial)
    }
    // settles whether or not anyone still waits (every joiner may have given up)
    promise.then(forget, forget)
    return dial
  }

  /** Waits for `dial` until it settles or `signal` aborts; the last joiner to leave aborts the attempt. */
  private async join (dial: PendingDial, signal?: AbortSignal): Promise<Connection> {
    dial.joiners++
    if (signal === undefined) return await dial.promise
    return await untilAborted(dial.promise, signal, () => {
      if (--dial.joiners === 0) {
        // nobody waits any more: a dial that comes now starts afresh
        // rather than joining an attempt that is being aborted
        this.unlist(dial)
        dial.controller.abort(signal.reason)
      }
    })
  }

  /** Takes `dial` off the keys new dials look under (it may still be settling). */
  private unlist (dial: PendingDial): void {
    for (const key of dial.keys) if (this.pending.get(key) === dial) this.pending.delete(key)
  }

  private async dialAny (addrs: Multiaddr[], attempt: DialAttempt, signal: AbortSignal): Promise<Connection> {
    if (addrs.length === 0) throw new P2PError('ERR_NO_VALID_ADDRESSES', 'no addresses to dial')
    if (addrs.length === 1) {
      // nothing to race: no controller to stop other attempts (the usual dial of one address)
      try {
        return await attempt(addrs[0], signal)
      } catch (err) {
        signal.throwIfAborted()
        throw err
      }
    }
    const controller = new AbortController()
    const onAbort = (): void => { controller.abort(signal.reason) }
    signal.addEventListener('abort', onAbort)
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
      signal.removeEventListener('abort', onAbort)
    }
    if (winner !== undefined) return winner
    signal.throwIfAborted()
    if (errors.length === 1) throw errors[0]
    throw new P2PError('ERR_DIAL_FAILED', `all ${addrs.length} addresses failed: ${errors.map(e => e.message).join('; ')}`, { cause: new AggregateError(errors) })
  }
}

/** abortError(signal) once `signal` has aborted: the same typed error as untilAborted gives during a dial (AbortSignal's own throwIfAborted throws the bare reason, a string if that is what abort() was given). */
function throwIfAborted (signal?: AbortSignal): void {
  if (signal?.aborted === true) throw abortError(signal)
}

/** Whether `dial` tries every address `target` would (its keys include all of target's). */
function covers (dial: PendingDial, target: DialTargetKeys): boolean {
  for (const key of target.keys) if (!dial.keys.includes(key)) return false
  return true
}
