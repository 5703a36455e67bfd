// Which error our own muxer session raises for an invalid case: the bytes of
// the script's steps are fed to a fresh responder session over an in-memory
// connection, and the code of the error it closes with is the answer (null
// when it stays open). This is the "which error" of the invalid vectors; the
// wire reaction (Go Away, reset, close) is what ./script.ts observes.

import { Duplex, PassThrough } from 'node:stream'
import { isP2PError } from '../util/errors.js'
import type { StreamMuxerFactory } from '../muxer/types.js'
import { stepBytes } from './script.js'

/** How long the session gets to react to the bytes before we decide it stayed open. */
const REACTION_MS = 100

export async function localErrorCode (factory: StreamMuxerFactory, steps: ReadonlyArray<{ hex: string, fill?: { byte: number, count: number } }>): Promise<string | null> {
  const toSession = new PassThrough()
  const fromSession = new PassThrough()
  fromSession.resume()
  const connection = Duplex.from({ readable: toSession, writable: fromSession })
  connection.on('error', () => {})
  const session = factory.create(connection, { initiator: false })
  session.on('stream', (stream: Duplex) => { stream.on('error', () => {}); stream.resume() })
  let code: string | null = null
  let closed = false
  let finished = false
  const onClose = new Promise<void>(resolve => {
    session.on('close', (err?: Error) => {
      closed = true
      if (err !== undefined && !finished) code = isP2PError(err) ? err.code : err.message
      resolve()
    })
  })
  for (const step of steps) toSession.write(stepBytes(step))
  await Promise.race([onClose, new Promise(resolve => setTimeout(resolve, REACTION_MS))])
  finished = true
  if (!closed) session.abort(new Error('local replay finished'))
  return code
}
