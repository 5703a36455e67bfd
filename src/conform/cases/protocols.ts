// Application protocol cases: ping and identify contents.
//
// Spec: libp2p/specs ping/ping.md; identify/README.md "The Identify Message".

import { randomBytes } from 'node:crypto'
import { PING_PROTOCOL, PING_LENGTH, IDENTIFY_PROTOCOL, MAX_IDENTIFY_MESSAGE_SIZE, decodeIdentify, mergeIdentify, type IdentifyMessage } from '../../protocols/index.js'
import { Multiaddr } from '../../multiaddr/index.js'
import { PeerId, publicKeyFromProtobuf } from '../../peer/index.js'
import { decodeUvarint } from '../../util/varint.js'
import { openAppStream } from '../app-stream.js'
import { fail, notApplicable, pass, type ConformCase } from '../case.js'

/** Identify answers we read: a few messages, each at most the identify limit. */
const MAX_IDENTIFY_BYTES = 4 * MAX_IDENTIFY_MESSAGE_SIZE

function splitMessages (bytes: Uint8Array): IdentifyMessage[] {
  const out: IdentifyMessage[] = []
  let offset = 0
  while (offset < bytes.length) {
    const prefix = decodeUvarint(bytes, offset)
    if (prefix === undefined || offset + prefix.bytes + prefix.value > bytes.length) {
      throw new Error(`identify answer truncated at offset ${offset} of ${bytes.length}`)
    }
    const start = offset + prefix.bytes
    out.push(decodeIdentify(bytes.subarray(start, start + prefix.value)))
    offset = start + prefix.value
  }
  return out
}

export const protocolCases: ConformCase[] = [
  {
    id: 'ping.round-trip',
    section: 'libp2p ping.md "Protocol": "The listening peer echoes the same 32-byte payload back to the dialing peer."',
    required: true,
    async run (ctx) {
      const stream = await openAppStream(ctx, PING_PROTOCOL)
      if (typeof stream === 'string') return notApplicable(stream)
      try {
        // "The dialing peer MAY repeat the process by sending another payload"
        for (let i = 0; i < 2; i++) {
          const payload = randomBytes(PING_LENGTH)
          stream.write(payload)
          const echoed = await stream.read(PING_LENGTH, `ping ${i + 1}: ${PING_LENGTH} bytes echoed`)
          if (!Buffer.from(echoed).equals(payload)) return fail(`ping ${i + 1}: sent ${payload.toString('hex')}, got ${Buffer.from(echoed).toString('hex')}`)
        }
        return pass(`2 pings echoed over ${stream.muxer}`)
      } finally {
        stream.destroy()
      }
    }
  },
  {
    id: 'identify.contents',
    section: 'libp2p identify README "The Identify Message"',
    required: true,
    async run (ctx) {
      const stream = await openAppStream(ctx, IDENTIFY_PROTOCOL)
      if (typeof stream === 'string') return notApplicable(stream)
      try {
        const bytes = await stream.readToEnd('the Identify message and the end of the stream', MAX_IDENTIFY_BYTES)
        const message = mergeIdentify(splitMessages(bytes))
        const problems: string[] = []
        // what is worth saying but no rule of the spec: reported in the pass
        const notes: string[] = []
        // publicKey: "This is the public key of the peer, marshalled in binary form as specicfied in peer-ids."
        // (optional in the proto2 message; a key that is sent must be the peer's)
        if (message.publicKey === undefined) notes.push('no publicKey')
        else {
          const peer = PeerId.fromPublicKey(publicKeyFromProtobuf(message.publicKey))
          if (!peer.equals(stream.secured.remotePeer)) problems.push(`publicKey is peer ${peer.toString()}, Noise proved ${stream.secured.remotePeer.toString()}`)
        }
        // listenAddrs: "These are the addresses on which the peer is listening as multi-addresses."
        for (const addr of message.listenAddrs) {
          try { Multiaddr.fromBytes(addr) } catch (err) { problems.push(`listenAddr ${Buffer.from(addr).toString('hex')} is not a multiaddr: ${(err as Error).message}`) }
        }
        // observedAddr: "This is the connection source address of the stream-initiating peer as observed by the peer being identified"
        // and the initiator "can use this address to infer the existence of a NAT and its public address":
        // behind a NAT, a port mapping or a proxy it is not our socket's address, so only its form is checked
        let observed = 'none'
        if (message.observedAddr !== undefined) {
          try {
            const ma = Multiaddr.fromBytes(message.observedAddr)
            observed = ma.toString()
            const local = stream.secured.wire.socket.localPort
            if (socketPort(ma) !== local) notes.push(`observedAddr is not our port ${local ?? '?'} (a NAT or a proxy between us?)`)
          } catch (err) {
            problems.push(`observedAddr is not a multiaddr: ${(err as Error).message}`)
          }
        }
        // protocols: "This is a list of protocols supported by the peer." Nothing requires it to be complete.
        if (!message.protocols.includes(IDENTIFY_PROTOCOL)) notes.push(`${IDENTIFY_PROTOCOL}, which it just served, is not in its protocols`)
        if (problems.length > 0) return fail(problems.join('; '))
        return pass(`${message.agentVersion ?? 'no agentVersion'}, ${message.protocolVersion ?? 'no protocolVersion'}, ${message.listenAddrs.length} listenAddrs, observedAddr ${observed}, ${message.protocols.length} protocols${notes.length > 0 ? `; note: ${notes.join('; ')}` : ''}`)
      } finally {
        stream.destroy()
      }
    }
  }
]

/** The port of an /ip4|ip6/…/tcp|udp/… address, or undefined for any other form (a relayed one, say). */
function socketPort (addr: Multiaddr): number | undefined {
  try {
    return addr.toSocketAddress().port
  } catch {
    return undefined
  }
}
