// The mplex StreamMuxerFactory the upgrader selects by protocol ID.
//
// Spec: libp2p/specs mplex/README.md; protocol ID '/mplex/6.7.0'.

import type { Duplex } from 'node:stream'
import type { StreamMuxerFactory } from '../muxer/types.js'
import { PROTOCOL_ID } from './constants.js'
import { createMplex, type MplexOptions, type MplexSession } from './session.js'

export const mplex: StreamMuxerFactory & {
  create: (connection: Duplex, options: MplexOptions & { initiator: boolean }) => MplexSession
} = {
  protocol: PROTOCOL_ID,
  create: (connection, options) => createMplex(connection, options)
}
