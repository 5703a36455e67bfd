// The mplex message ("frame") as a closed sum type.
//
// Spec: libp2p/specs mplex/README.md "Message format", "Flag Values".
//
//   | header  | length  | data           |
//   | uvarint | uvarint | 'length' bytes |
//
//   header = (streamId << 3) | flag
//
// Stream IDs. "The party that opens a stream is called the stream
// initiator." Every flag but NewStream exists twice, once for each party of
// the stream: a frame with an *Initiator flag was sent by whoever opened the
// stream, a *Receiver flag by the other party. Stream IDs are therefore two
// separate spaces: our stream 1 (we sent NewStream 1) and the remote's stream
// 1 (it sent NewStream 1) are different streams, told apart only by the flag.
// `StreamRef` below is that pair, and `senderRole` reads it off a flag.

/** The flag values, the spec's names. */
export const Flag = {
  NewStream: 0,
  MessageReceiver: 1,
  MessageInitiator: 2,
  CloseReceiver: 3,
  CloseInitiator: 4,
  ResetReceiver: 5,
  ResetInitiator: 6
} as const
export type FlagName = keyof typeof Flag
export type FlagValue = typeof Flag[FlagName]

/** Flag value -> name; index 7 is the one 3-bit value the spec leaves unassigned. */
export const FLAG_NAMES: readonly FlagName[] = [
  'NewStream', 'MessageReceiver', 'MessageInitiator', 'CloseReceiver',
  'CloseInitiator', 'ResetReceiver', 'ResetInitiator'
]

/** "To open a new stream ... send a message with the flag set to NewStream ... and the data of the message set to the name of the stream." */
export interface NewStreamFrame {
  readonly type: 'NewStream'
  readonly streamId: number
  /** "Stream names are purely for interfaces and are not otherwise considered by the protocol." */
  readonly name: Uint8Array
}

/** "To write data to a stream, one must send a message with the flag MessageReceiver (1) or MessageInitiator (2)". */
export interface MessageFrame {
  readonly type: 'MessageReceiver' | 'MessageInitiator'
  readonly streamId: number
  /** The data segment as views of the received chunks, in order (never concatenated). */
  readonly data: readonly Uint8Array[]
}

/** "To close a stream, send a message with a zero length body and a CloseReceiver (3) or CloseInitiator (4) flag". */
export interface CloseFrame {
  readonly type: 'CloseReceiver' | 'CloseInitiator'
  readonly streamId: number
}

/** "To reset a stream, send a message with a zero length body and a ResetReceiver (5) or ResetInitiator (6) flag." */
export interface ResetFrame {
  readonly type: 'ResetReceiver' | 'ResetInitiator'
  readonly streamId: number
}

export type Frame = NewStreamFrame | MessageFrame | CloseFrame | ResetFrame

/** Which party of the stream sent a frame with this flag. */
export type Role = 'initiator' | 'receiver'

/** One stream: its ID and who opened it. The ID alone is ambiguous (see the header). */
export interface StreamRef {
  readonly streamId: number
  /** 'outbound' = we are the stream initiator, 'inbound' = the remote is. */
  readonly direction: 'inbound' | 'outbound'
}

/** The role of the sender of a frame: NewStream always comes from the stream initiator. */
export function senderRole (type: FlagName): Role {
  switch (type) {
    case 'NewStream':
    case 'MessageInitiator':
    case 'CloseInitiator':
    case 'ResetInitiator':
      return 'initiator'
    case 'MessageReceiver':
    case 'CloseReceiver':
    case 'ResetReceiver':
      return 'receiver'
    default: {
      const unreachable: never = type
      throw new Error(`unknown flag ${String(unreachable)}`)
    }
  }
}

/**
 * The stream a received frame belongs to: a frame the remote sent as the
 * stream initiator is about a stream it opened (inbound for us), one sent as
 * receiver is about a stream we opened (outbound).
 */
export function directionOfReceived (type: FlagName): 'inbound' | 'outbound' {
  return senderRole(type) === 'initiator' ? 'inbound' : 'outbound'
}

/** The flags we send on a stream, by our role in it ("depending on whether or not the writer is the receiver or sender"). */
export const SEND_FLAGS = {
  outbound: { message: Flag.MessageInitiator, close: Flag.CloseInitiator, reset: Flag.ResetInitiator },
  inbound: { message: Flag.MessageReceiver, close: Flag.CloseReceiver, reset: Flag.ResetReceiver }
} as const
