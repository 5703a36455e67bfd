// How long-running `p2p` commands learn that it is time to stop.

import { onFirstEvent } from '../util/first-event.js'

/** Resolves on SIGINT or SIGTERM (and stops listening for them then). */
export function signalled (): Promise<void> {
  return new Promise(resolve => { onFirstEvent(process, ['SIGINT', 'SIGTERM'], resolve) })
}
