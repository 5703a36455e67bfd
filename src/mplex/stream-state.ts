// The lifecycle of one mplex stream: an enumeration and a transition table.
//
// Spec: libp2p/specs mplex/README.md "Closing a stream", "Resetting a stream".
//
// "Multiplex supports half-closed streams. Closing a stream closes it for
// writing and closes the remote end for reading but allows writing in the
// other direction." "To immediately close a stream for both reading and
// writing, use reset."
//
//                   NewStream sent or received
//                               |
//                               v
//                           +------+
//            Close sent     | Open |     Close received
//          +----------------+------+-----------------+
//          v                                         v
//   +-------------+                          +--------------+
//   | LocalClosed |                          | RemoteClosed |
//   +-------------+                          +--------------+
//          |  Close received                         |  Close sent
//          +---------------> +--------+ <------------+
//                            | Closed |
//                            +--------+
//
//   from Open, LocalClosed or RemoteClosed: Reset sent or received --> Reset
//
// Closed and Reset are final: the session forgets the stream ID, and later
// frames for it are dropped ("any data queued or in flight should be dropped").

export const StreamState = {
  Open: 'Open',
  LocalClosed: 'LocalClosed',
  RemoteClosed: 'RemoteClosed',
  Closed: 'Closed',
  Reset: 'Reset'
} as const
export type StreamState = typeof StreamState[keyof typeof StreamState]

export const StreamEvent = {
  sendMessage: 'sendMessage',
  receiveMessage: 'receiveMessage',
  sendClose: 'sendClose',
  receiveClose: 'receiveClose',
  sendReset: 'sendReset',
  receiveReset: 'receiveReset'
} as const
export type StreamEvent = typeof StreamEvent[keyof typeof StreamEvent]

/** state -> event -> next state; a missing entry is an event the state does not allow. */
const TRANSITIONS: Record<StreamState, Partial<Record<StreamEvent, StreamState>>> = {
  Open: {
    sendMessage: 'Open',
    receiveMessage: 'Open',
    sendClose: 'LocalClosed',
    receiveClose: 'RemoteClosed',
    sendReset: 'Reset',
    receiveReset: 'Reset'
  },
  LocalClosed: {
    // "Writing to a stream after it has been closed should result in an error": no sendMessage
    receiveMessage: 'LocalClosed',
    receiveClose: 'Closed',
    sendReset: 'Reset',
    receiveReset: 'Reset'
  },
  RemoteClosed: {
    // the remote closed its side: a Message from it now is a violation, no receiveMessage
    sendMessage: 'RemoteClosed',
    sendClose: 'Closed',
    sendReset: 'Reset',
    receiveReset: 'Reset'
  },
  Closed: {},
  Reset: {}
}

/** The state after `event`, or undefined when `state` does not allow it. */
export function nextState (state: StreamState, event: StreamEvent): StreamState | undefined {
  return TRANSITIONS[state][event]
}

/** True once the stream is done on the wire (its ID may be forgotten). */
export function isFinished (state: StreamState): boolean {
  return state === StreamState.Closed || state === StreamState.Reset
}
