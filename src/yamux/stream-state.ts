// The lifecycle of one yamux stream, as two explicit enumerations and one
// transition table.
//
// Spec: hashicorp/yamux spec.md "Opening a stream", "Closing a stream".
//
// Opening. "To open a stream, an initial data or window update frame is sent
// with a new StreamID. The SYN flag should be set ... The receiver must then
// reply with either a data or window update frame with the StreamID along with
// the ACK flag to accept the stream or with the RST flag to reject the stream."
// Data may flow before the ACK, so opening is tracked apart from closing:
//
//      outbound: newStream() sends SYN        inbound: SYN received
//                    |                                  |
//                    v                                  v
//               +---------+                      +-------------+
//               | SynSent |                      | SynReceived |
//               +---------+                      +-------------+
//                    |  ACK received                    |  first frame we send carries ACK
//                    +------------> Established <-------+
//
// Closing. "either side sends a data or window update frame along with the FIN
// flag. This does a half-close ... Once both sides have closed the connection,
// the stream is closed. Alternatively, if an error occurs, the RST flag can be
// used to hard close a stream immediately."
//
//                             +------+
//               FIN sent      | Open |     FIN received
//             +---------------+------+----------------+
//             v                                       v
//      +-------------+                        +--------------+
//      | LocalClosed |                        | RemoteClosed |
//      +-------------+                        +--------------+
//             |  FIN received                         |  FIN sent
//             +---------------> +--------+ <----------+
//                               | Closed |
//                               +--------+
//
//      from Open, LocalClosed or RemoteClosed: RST sent or received --> Reset

export const StreamOpening = {
  SynSent: 'SynSent',
  SynReceived: 'SynReceived',
  Established: 'Established'
} as const
export type StreamOpening = typeof StreamOpening[keyof typeof StreamOpening]

export const StreamState = {
  Open: 'Open',
  LocalClosed: 'LocalClosed',
  RemoteClosed: 'RemoteClosed',
  Closed: 'Closed',
  Reset: 'Reset'
} as const
export type StreamState = typeof StreamState[keyof typeof StreamState]

export type StreamEvent = 'finSent' | 'finReceived' | 'reset'

/** The close lifecycle as data: state → event → next state. Missing entries are no-ops. */
const transitions: Record<StreamState, Partial<Record<StreamEvent, StreamState>>> = {
  Open: { finSent: StreamState.LocalClosed, finReceived: StreamState.RemoteClosed, reset: StreamState.Reset },
  LocalClosed: { finReceived: StreamState.Closed, reset: StreamState.Reset },
  RemoteClosed: { finSent: StreamState.Closed, reset: StreamState.Reset },
  Closed: {},
  Reset: {}
}

/** The state after `event`; the same state when the event does not apply (a repeated FIN, a late RST). */
export function nextState (state: StreamState, event: StreamEvent): StreamState {
  return transitions[state][event] ?? state
}

/** True once the stream is finished on the wire (both FINs, or a reset). */
export function isFinished (state: StreamState): boolean {
  return state === StreamState.Closed || state === StreamState.Reset
}

/** True while the remote may still send Data (no FIN or RST received). */
export function canReceive (state: StreamState): boolean {
  return state === StreamState.Open || state === StreamState.LocalClosed
}
