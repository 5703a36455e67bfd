// One application stream over whichever muxer the peer offers (yamux first,
// then mplex), with the few operations the protocol cases need. Lets the ping
// and identify cases run against any peer without caring about the muxer.

import type { Dialer, MuxerProtocol, Secured } from './connect.js'
import { openMuxed } from './connect.js'
import { YamuxProbe } from './yamux-probe.js'
import { MplexProbe } from './mplex-probe.js'
import { Flag } from '../yamux/index.js'

export interface AppStream {
  readonly muxer: MuxerProtocol
  readonly secured: Secured
  write: (bytes: Uint8Array) => void
  read: (n: number, what: string) => Promise<Uint8Array>
  /** Half-close our side (yamux FIN, mplex CloseInitiator). */
  closeWrite: () => void
  /** Waits for the remote half-close; returns everything it sent until then. */
  readToEnd: (what: string, maxBytes: number) => Promise<Uint8Array>
  destroy: () => void
}

const MUXERS: readonly MuxerProtocol[] = ['/yamux/1.0.0', '/mplex/6.7.0']

/** A stream speaking `protocol`, or a string saying why there is none. */
export async function openAppStream (ctx: Dialer, protocol: string): Promise<AppStream | string> {
  for (const muxer of MUXERS) {
    const secured = await openMuxed(ctx, muxer)
    if (secured === undefined) continue
    const timeout = ctx.stepTimeoutMs
    if (muxer === '/yamux/1.0.0') {
      const probe = new YamuxProbe(secured.wire, timeout)
      const opened = await probe.openProtocol([protocol])
      if (opened === undefined) { secured.wire.destroy(); return `the peer does not serve ${protocol}` }
      const s = opened.stream
      return {
        muxer,
        secured,
        write: bytes => { probe.write(s, bytes) },
        read: async (n, what) => await probe.read(s, n, what),
        closeWrite: () => { probe.send({ type: 'windowUpdate', flags: Flag.FIN, streamId: s.id, delta: 0 }) },
        readToEnd: async (what, maxBytes) => {
          await secured.wire.until(() => s.remoteFin || s.remoteRst || s.data.length > maxBytes ? true : undefined, what, timeout)
          return s.data.takeAll().slice()
        },
        destroy: () => { secured.wire.destroy() }
      }
    }
    const probe = new MplexProbe(secured.wire, timeout)
    const opened = await probe.openProtocol([protocol])
    if (opened === undefined) { secured.wire.destroy(); return `the peer does not serve ${protocol}` }
    const s = opened.stream
    return {
      muxer,
      secured,
      write: bytes => { probe.write(s, bytes) },
      read: async (n, what) => await probe.read(s, n, what),
      closeWrite: () => { probe.send({ type: 'CloseInitiator', streamId: s.id }) },
      readToEnd: async (what, maxBytes) => {
        await secured.wire.until(() => s.remoteClosed || s.remoteReset || s.data.length > maxBytes ? true : undefined, what, timeout)
        return s.data.takeAll().slice()
      },
      destroy: () => { secured.wire.destroy() }
    }
  }
  return 'the peer offers neither /yamux/1.0.0 nor /mplex/6.7.0'
}
