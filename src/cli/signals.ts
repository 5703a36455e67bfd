// How long-running `p2p` commands learn that it is time to stop.

/** Resolves on SIGINT or SIGTERM (and stops listening for them then). */
export function signalled (): Promise<void> {
  return new Promise(resolve => {
    const done = (): void => {
      process.off('SIGINT', done)
      process.off('SIGTERM', done)
      resolve()
    }
    process.once('SIGINT', done)
    process.once('SIGTERM', done)
  })
}
