// Generates spec-vectors/{yamux,mplex}/{sessions,invalid}.json.
//
//     node --import @tapjs/typescript/import scripts/gen-muxer-vectors.ts
//
// The scripts (frames to send) are written here from the specs; the expected
// state after each step is recorded by playing each script against our own
// node (src/node with /echo/1.0.0) over loopback TCP, through src/conform's
// player. test/conform/vectors.test.ts replays every file against our node
// AND against a js-libp2p 3.x node (@chainsafe/libp2p-yamux, @libp2p/mplex),
// so the files do not merely restate our own behaviour; where js-libp2p
// reacts differently the test lists the case as a known deviation.
// The format is documented in spec-vectors/README.md.

import { writeFileSync } from 'node:fs'
import { Libp2pNode } from '../src/node/index.js'
import { yamux } from '../src/yamux/index.js'
import { mplex } from '../src/mplex/index.js'
import { generateKeyPair } from '../src/peer/index.js'
import { proposal } from '../src/conform/multistream.js'
import {
  parseTarget, localErrorCode, playYamuxScript, playMplexScript, yamuxStep, mplexStep, describeYamuxReaction, describeMplexReaction,
  type Script, type YamuxJsonFrame, type YamuxSnapshot, type MplexJsonFrame, type MplexSnapshot, type Dialer
} from '../src/conform/index.js'

type YamuxScript = Script<YamuxJsonFrame, YamuxSnapshot>
type MplexScript = Script<MplexJsonFrame, MplexSnapshot>

const hex = (bytes: Uint8Array | string): string => Buffer.from(bytes).toString('hex')
const ECHO = hex(proposal('/echo/1.0.0'))
const HELLO = hex('hello, conformance')
const YAMUX_SPEC = 'hashicorp/yamux spec.md'
const MPLEX_SPEC = 'libp2p/specs mplex/README.md'

// ---------------------------------------------------------------- yamux

const OPEN_UNSPECIFIED = 'the spec does not say when the receiver sends its ACK, and a multistream listener may send its header before the dialer\'s arrives'
const unspecified = <T extends object>(step: T): T & { unspecified: string } => ({ ...step, unspecified: OPEN_UNSPECIFIED })
const open1 = unspecified(yamuxStep('open stream 1: Window Update with SYN, delta 0 ("an initial data or window update frame is sent with a new StreamID. The SYN flag should be set")', { type: 'windowUpdate', flags: ['SYN'], streamId: 1, delta: 0 }))
const select1 = yamuxStep('multistream-select /echo/1.0.0 on stream 1 (header and proposal in one Data frame)', { type: 'data', flags: [], streamId: 1, data: ECHO })
const hello1 = yamuxStep('data on stream 1: the peer echoes it', { type: 'data', flags: [], streamId: 1, data: HELLO })
const fin1 = yamuxStep('half-close stream 1: Window Update with FIN', { type: 'windowUpdate', flags: ['FIN'], streamId: 1, delta: 0 })
const ping = (opaque: number): ReturnType<typeof yamuxStep> => yamuxStep(`Ping with SYN, opaque ${opaque}: "the receiver should respond with an ACK flag set and the same opaque value"`, { type: 'ping', flags: ['SYN'], streamId: 0, opaque })

const openSelect1 = yamuxStep('open stream 1 with a Data frame carrying SYN and the multistream proposal for /echo/1.0.0', { type: 'data', flags: ['SYN'], streamId: 1, data: ECHO })

const yamuxSessions: YamuxScript[] = [
  { name: 'open, echo, half-close', section: `${YAMUX_SPEC} "Opening a stream", "Closing a stream"`, steps: [open1, select1, hello1, fin1] },
  { name: 'open with data on the SYN frame', section: `${YAMUX_SPEC} "Flag Field": SYN "May be sent with a data or window update message"`, steps: [yamuxStep('open stream 1 with a Data frame carrying SYN and the multistream proposal', { type: 'data', flags: ['SYN'], streamId: 1, data: ECHO }), hello1, fin1] },
  { name: 'ping', section: `${YAMUX_SPEC} "Ping"`, steps: [ping(7), ping(0xffffffff)] },
  { name: 'data with FIN in one frame', section: `${YAMUX_SPEC} "Flag Field": FIN "May be sent with a data message or window update."`, steps: [open1, select1, yamuxStep('data and FIN in one Data frame', { type: 'data', flags: ['FIN'], streamId: 1, data: HELLO })] },
  { name: 'Window Update after FIN', section: `${YAMUX_SPEC} "Closing a stream" (FIN closes only the sender's direction), "Flow Control"`, steps: [open1, select1, hello1, fin1, yamuxStep('Window Update (delta 65536) on stream 1 after our FIN', { type: 'windowUpdate', flags: [], streamId: 1, delta: 65536 }), ping(1)] },
  { name: 'reset, then a new stream', section: `${YAMUX_SPEC} "Flag Field": RST "Reset a stream immediately"`, steps: [open1, select1, yamuxStep('reset stream 1: Window Update with RST', { type: 'windowUpdate', flags: ['RST'], streamId: 1, delta: 0 }), ping(2), unspecified(yamuxStep('open stream 3', { type: 'windowUpdate', flags: ['SYN'], streamId: 3, delta: 0 })), yamuxStep('select /echo/1.0.0 on stream 3', { type: 'data', flags: [], streamId: 3, data: ECHO }), yamuxStep('data on stream 3', { type: 'data', flags: [], streamId: 3, data: HELLO })] },
  { name: 'two streams interleaved', section: `${YAMUX_SPEC} "StreamID Field": "The client side should use odd ID's"`, steps: [open1, select1, unspecified(yamuxStep('open stream 3', { type: 'windowUpdate', flags: ['SYN'], streamId: 3, delta: 0 })), yamuxStep('select /echo/1.0.0 on stream 3', { type: 'data', flags: [], streamId: 3, data: ECHO }), yamuxStep('data on stream 3', { type: 'data', flags: [], streamId: 3, data: hex('three') }), hello1, fin1, yamuxStep('half-close stream 3', { type: 'windowUpdate', flags: ['FIN'], streamId: 3, delta: 0 })] },
  { name: 'Go Away, then an existing stream finishes', section: `${YAMUX_SPEC} "Session termination"`, steps: [open1, select1, yamuxStep('Go Away, Normal termination (0)', { type: 'goAway', flags: [], streamId: 0, errorCode: 0 }), hello1, fin1] }
]

const raw = (note: string, bytes: string): { note: string, hex: string } => ({ note, hex: bytes })
const yamuxInvalid: Array<YamuxScript & { streamId: number }> = [
  { name: 'version 1', section: `${YAMUX_SPEC} "Version Field": "the field is always set to 0"`, streamId: 0, steps: [raw('a Ping with version byte 1', '010200010000000000000009'), ping(3)] },
  { name: 'unknown frame type 4', section: `${YAMUX_SPEC} "Type Field" (0x0-0x3)`, streamId: 0, steps: [raw('a frame of type 4', '000400000000000000000000'), ping(3)] },
  { name: 'data beyond the initial window', section: `${YAMUX_SPEC} "Flow Control": "each stream with a 256KB window size"`, streamId: 1, steps: [openSelect1, { note: 'a Data frame of 262145 bytes on stream 1: one byte beyond the window', hex: '00000000' + '00000001' + '00040001', fill: { byte: 0, count: 262145 } }, ping(3)] },
  { name: 'data on a stream never opened', section: `${YAMUX_SPEC} "Opening a stream" (no SYN was sent for stream 5)`, streamId: 5, steps: [yamuxStep('Data on stream 5 without SYN', { type: 'data', flags: [], streamId: 5, data: HELLO }), ping(3)] },
  // stream 100, not 2: a listener opens 2, 4, ... for its own streams (identify
  // first, once the connection is up), and a SYN on one of those would meet a
  // stream already open (another error, or none) instead of the wrong parity alone
  { name: 'SYN with the server\'s parity', section: `${YAMUX_SPEC} "StreamID Field": "The client side should use odd ID's, and the server even."`, streamId: 100, steps: [yamuxStep('the dialer (client) opens even stream 100', { type: 'windowUpdate', flags: ['SYN'], streamId: 100, delta: 0 }), ping(3)] },
  { name: 'SYN on a stream already open', section: `${YAMUX_SPEC} "Opening a stream" (a new StreamID)`, streamId: 1, steps: [openSelect1, yamuxStep('SYN again on stream 1', { type: 'windowUpdate', flags: ['SYN'], streamId: 1, delta: 0 }), ping(3)] },
  { name: 'Ping on a stream other than 0', section: `${YAMUX_SPEC} "StreamID Field": "Both Ping and Go Away messages should always use the 0 StreamID."`, streamId: 0, steps: [yamuxStep('Ping SYN on stream 1', { type: 'ping', flags: ['SYN'], streamId: 1, opaque: 9 }), ping(3)] }
]

// ---------------------------------------------------------------- mplex

const new0 = unspecified(mplexStep('NewStream 0, named "0"', { type: 'NewStream', streamId: 0, name: hex('0') }))
const select0 = mplexStep('multistream-select /echo/1.0.0 on stream 0 (MessageInitiator)', { type: 'MessageInitiator', streamId: 0, data: ECHO })
const hello0 = mplexStep('data on stream 0: the peer echoes it with MessageReceiver', { type: 'MessageInitiator', streamId: 0, data: HELLO })
const close0 = mplexStep('half-close stream 0: CloseInitiator', { type: 'CloseInitiator', streamId: 0 })
const mplexSessions: MplexScript[] = [
  { name: 'open, echo, close', section: `${MPLEX_SPEC} "Opening a new stream", "Writing to a stream", "Closing a stream"`, steps: [new0, select0, hello0, close0] },
  { name: 'reset, then a new stream', section: `${MPLEX_SPEC} "Resetting a stream"`, steps: [new0, select0, mplexStep('ResetInitiator on stream 0', { type: 'ResetInitiator', streamId: 0 }), unspecified(mplexStep('NewStream 1', { type: 'NewStream', streamId: 1, name: hex('1') })), mplexStep('select /echo/1.0.0 on stream 1', { type: 'MessageInitiator', streamId: 1, data: ECHO }), mplexStep('data on stream 1', { type: 'MessageInitiator', streamId: 1, data: HELLO })] },
  { name: 'two streams interleaved', section: `${MPLEX_SPEC} "Message format" (stream IDs)`, steps: [new0, select0, unspecified(mplexStep('NewStream 1', { type: 'NewStream', streamId: 1, name: hex('1') })), mplexStep('select /echo/1.0.0 on stream 1', { type: 'MessageInitiator', streamId: 1, data: ECHO }), mplexStep('data on stream 1', { type: 'MessageInitiator', streamId: 1, data: hex('one') }), hello0, close0, mplexStep('CloseInitiator on stream 1', { type: 'CloseInitiator', streamId: 1 })] }
]

const mplexInvalid: Array<MplexScript & { streamId: number }> = [
  { name: 'flag 7', section: `${MPLEX_SPEC} "Flag Values" (0-6)`, streamId: 0, steps: [new0, select0, raw('a frame with the unassigned flag 7 on stream 0', '0700'), hello0] },
  { name: 'message over 1 MiB', section: `${MPLEX_SPEC} "Message format": "limited to a maximum size agreed upon out of band (... 1MB)"`, streamId: 0, steps: [new0, select0, raw('a MessageInitiator on stream 0 whose length prefix says 1 MiB + 1 (no body follows)', '02' + '818040'), hello0] },
  { name: 'message on a stream never opened', section: `${MPLEX_SPEC} "Writing to a stream"`, streamId: 5, steps: [mplexStep('MessageInitiator on stream 5, never opened', { type: 'MessageInitiator', streamId: 5, data: HELLO }), new0, select0] }
]

// ---------------------------------------------------------------- recording

const node = new Libp2pNode({ listenAddrs: ['/ip4/127.0.0.1/tcp/0'], echo: true })
await node.start()
const dialer = (): Dialer => ({ target: parseTarget(node.multiaddrs[0].toString()), privateKey: generateKeyPair('Ed25519'), signal: new AbortController().signal, stepTimeoutMs: 2000 })

async function recordYamux (scripts: YamuxScript[]): Promise<YamuxScript[]> {
  const out: YamuxScript[] = []
  for (const s of scripts) {
    const snapshots = await playYamuxScript(dialer(), s, 'record')
    out.push({ ...s, steps: s.steps.map((step, i) => step.unspecified !== undefined ? step : { ...step, expect: snapshots[i] }) })
  }
  return out
}
async function recordMplex (scripts: MplexScript[]): Promise<MplexScript[]> {
  const out: MplexScript[] = []
  for (const s of scripts) {
    const snapshots = await playMplexScript(dialer(), s, 'record')
    out.push({ ...s, steps: s.steps.map((step, i) => step.unspecified !== undefined ? step : { ...step, expect: snapshots[i] }) })
  }
  return out
}

const FORMAT = 'spec-vectors/README.md "Session scripts"'
const SOURCE_Y = `${YAMUX_SPEC} (also libp2p/specs yamux/README.md); scripts written from the spec by scripts/gen-muxer-vectors.ts, expected states recorded from this project's node and checked against js-libp2p 3.x (@chainsafe/libp2p-yamux) by test/conform/vectors.test.ts`
const SOURCE_M = `${MPLEX_SPEC}; scripts written from the spec by scripts/gen-muxer-vectors.ts, expected states recorded from this project's node and checked against js-libp2p 3.x (@libp2p/mplex) by test/conform/vectors.test.ts`
const PEER = 'a libp2p node serving /echo/1.0.0; the script is the dialer, /noise and the muxer already agreed'

const yInvalid = await recordYamux(yamuxInvalid)
const mInvalid = await recordMplex(mplexInvalid)
const write = (path: string, value: unknown): void => { writeFileSync(path, JSON.stringify(value, null, 1) + '\n') }
write('spec-vectors/yamux/sessions.json', { source: SOURCE_Y, format: FORMAT, peer: PEER, sessions: await recordYamux(yamuxSessions) })
write('spec-vectors/yamux/invalid.json', {
  source: SOURCE_Y, format: FORMAT, peer: PEER,
  cases: await Promise.all(yInvalid.map(async (c, i) => ({ ...c, reaction: describeYamuxReaction(c.steps[c.steps.length - 1].expect as YamuxSnapshot, yamuxInvalid[i].streamId), error: await localErrorCode(yamux, c.steps) })))
})
write('spec-vectors/mplex/sessions.json', { source: SOURCE_M, format: FORMAT, peer: PEER, sessions: await recordMplex(mplexSessions) })
write('spec-vectors/mplex/invalid.json', {
  source: SOURCE_M, format: FORMAT, peer: PEER,
  cases: await Promise.all(mInvalid.map(async (c, i) => ({ ...c, reaction: describeMplexReaction(c.steps[c.steps.length - 1].expect as MplexSnapshot, mplexInvalid[i].streamId), error: await localErrorCode(mplex, c.steps) })))
})
await node.stop()
