// What the end of a session (yamux, mplex) leaves of a stream whose remote
// half was already complete.
//
// Once the remote's FIN (yamux) or Close (mplex) has arrived, every byte it
// sent on that stream is here. mplex/README.md "Closing a stream": "Reading
// from a remote-closed stream should return all data send before closing the
// stream and then EOF thereafter"; go-yamux likewise keeps a half-closed
// stream's data readable when its session closes. So the end of the session,
// even with the connection gone under it, takes away only our half: the
// stream's writes and its end() fail (its state is Reset by then), its
// reader gets the data and then EOF, and then it closes.

import type { Duplex } from 'node:stream'

/** Closes `stream` (without an error) once its reader has had everything and EOF. */
export function closeWhenRead (stream: Duplex): void {
  if (stream.readableEnded) stream.destroy()
  else stream.once('end', () => { stream.destroy() })
}
