// The few stream operations every protocol handler here needs, written once:
// a write that honours backpressure, a half-close that resolves when it is
// done, and chunk iteration that does not destroy the stream when the remote
// half-closes.
//
// Why the last one: iterating a node:stream Readable with `for await` destroys
// it once the readable side ends (Node's default `destroyOnReturn`), which on
// a Duplex also kills the writable side. A handler that must answer *after*
// the remote's half-close (echo, perf, ping) iterates with
// `stream.iterator({ destroyOnReturn: false })` instead.

import type { Duplex } from 'node:stream'
import { P2PError, abortError } from '../util/errors.js'

/**
 * The promise the functions below return when nothing has to wait. They
 * are plain functions, not async ones (an async call costs a promise of
 * its own, several per connection), and like async functions they never
 * throw: a failure is a rejected promise.
 */
const DONE = Promise.resolve()

/**
 * Writes `chunk`; when the stream's buffer is full (write() returned false)
 * waits for 'drain'. Rejects when the stream errors or closes first.
 */
export function writeChunk (stream: Duplex, chunk: Uint8Array): Promise<void> {
  if (stream.destroyed || stream.writableEnded) {
    return Promise.reject(stream.errored ?? new P2PError('ERR_STREAM_CLOSED', 'cannot write: the stream is closed for writing'))
  }
  if (stream.write(chunk)) return DONE
  return waitForDrain(stream)
}

export function waitForDrain (stream: Duplex): Promise<void> {
  if (stream.destroyed) {
    return Promise.reject(stream.errored ?? new P2PError('ERR_STREAM_CLOSED', 'stream closed while waiting for the write buffer to drain'))
  }
  return new Promise<void>((resolve, reject) => {
    const cleanup = (): void => {
      stream.off('drain', onDrain)
      stream.off('error', onError)
      stream.off('close', onClose)
    }
    const onDrain = (): void => { cleanup(); resolve() }
    const onError = (err: Error): void => { cleanup(); reject(err) }
    const onClose = (): void => {
      cleanup()
      reject(stream.errored ?? new P2PError('ERR_STREAM_CLOSED', 'stream closed while waiting for the write buffer to drain'))
    }
    stream.on('drain', onDrain)
    stream.on('error', onError)
    stream.on('close', onClose)
  })
}

/** Half-closes the writable side; resolves once everything is flushed. */
export function endStream (stream: Duplex): Promise<void> {
  if (stream.writableFinished) return DONE
  if (stream.destroyed) {
    return Promise.reject(stream.errored ?? new P2PError('ERR_STREAM_CLOSED', 'stream closed before its half-close was flushed'))
  }
  return new Promise<void>((resolve, reject) => {
    const cleanup = (): void => {
      stream.off('finish', onFinish)
      stream.off('error', onError)
      stream.off('close', onClose)
    }
    const onFinish = (): void => { cleanup(); resolve() }
    const onError = (err: Error): void => { cleanup(); reject(err) }
    const onClose = (): void => {
      cleanup()
      if (stream.writableFinished) resolve()
      else reject(stream.errored ?? new P2PError('ERR_STREAM_CLOSED', 'stream closed before its half-close was flushed'))
    }
    stream.on('finish', onFinish)
    stream.on('error', onError)
    stream.on('close', onClose)
    if (!stream.writableEnded) stream.end()
  })
}

/**
 * The stream's chunks until the remote half-closes, without destroying the
 * stream at the end. On `signal` abort the stream is reset and the
 * iteration ends with the abort reason.
 *
 * Each chunk is one 'data' event, as the stream produced it. Not
 * `stream.iterator()`: that reads in paused mode, where read() returns all
 * buffered chunks joined into one new Buffer, so a reader that fell behind
 * by two chunks paid a copy of both (on a perf transfer, most of them).
 * Chunks wait here at most up to the stream's highWaterMark: past it the
 * stream is paused until the loop catches up. A loop that stops early
 * gives the chunks it did not take back to the stream (unshift).
 */
export async function * readChunks (stream: Duplex, signal?: AbortSignal): AsyncGenerator<Uint8Array> {
  signal?.throwIfAborted()
  const queue: Uint8Array[] = []
  let queuedBytes = 0
  let ended = stream.readableEnded
  let failure: Error | undefined
  if (!ended && stream.destroyed) failure = stream.errored ?? closedError()
  let wake: (() => void) | undefined
  const notify = (): void => {
    const resolve = wake
    wake = undefined
    resolve?.()
  }
  const onData = (chunk: Uint8Array): void => {
    queue.push(chunk)
    queuedBytes += chunk.length
    if (queuedBytes >= stream.readableHighWaterMark) stream.pause()
    notify()
  }
  const onEnd = (): void => { ended = true; notify() }
  const onError = (err: Error): void => { failure ??= err; notify() }
  const onClose = (): void => {
    if (!ended) failure ??= stream.errored ?? closedError()
    notify()
  }
  const onAbort = (): void => { resetStream(stream) }
  signal?.addEventListener('abort', onAbort, { once: true })
  stream.on('end', onEnd)
  stream.on('error', onError)
  stream.on('close', onClose)
  if (failure === undefined && !ended) {
    stream.on('data', onData)
    // a 'data' listener does not restart a stream that was paused (by an earlier loop, say)
    stream.resume()
  }
  try {
    while (true) {
      const chunk = queue.shift()
      if (chunk !== undefined) {
        queuedBytes -= chunk.length
        if (queuedBytes < stream.readableHighWaterMark && stream.isPaused() && !ended) stream.resume()
        yield chunk
        continue
      }
      if (failure !== undefined) throw failure
      if (ended) return
      await new Promise<void>(resolve => { wake = resolve })
    }
  } catch (err) {
    throw signal?.aborted === true ? abortError(signal) : err
  } finally {
    signal?.removeEventListener('abort', onAbort)
    stream.off('data', onData)
    stream.off('end', onEnd)
    stream.off('error', onError)
    stream.off('close', onClose)
    if (!ended && !stream.destroyed) {
      stream.pause()
      for (let i = queue.length - 1; i >= 0; i--) stream.unshift(queue[i])
    }
  }
}

function closedError (): P2PError {
  return new P2PError('ERR_STREAM_CLOSED', 'the stream closed before its end of stream')
}

export { abortError } from '../util/errors.js'

/**
 * Resets the stream (muxers send RST / Reset) after a failure. No error is
 * passed to destroy(): the failure reaches our caller as the rejected
 * promise, and an 'error' event that nobody listens to would crash the
 * process.
 */
export function resetStream (stream: Duplex): void {
  stream.destroy()
}

/**
 * Resets `stream` with `timeoutError()` unless the returned function is
 * called within `timeoutMs`: a step's time limit that costs one timer and
 * no AbortController. A read waiting on the stream then fails with that
 * error; guardStreamErrors (below) keeps it from crashing anything.
 */
export function resetAfter (stream: Duplex, timeoutMs: number, timeoutError: () => Error): () => void {
  const timer = setTimeout(() => { stream.destroy(timeoutError()) }, timeoutMs)
  // a time limit is no reason to keep the process alive
  timer.unref()
  return () => { clearTimeout(timer) }
}

/** The watch resetWhenIdle() keeps over a stream. */
export interface IdleWatch {
  /** The stream moved (bytes read, a write taken): the idle time starts again. */
  progress: () => void
  /** The work is done: no reset any more. */
  clear: () => void
}

/**
 * Resets `stream` with `timeoutError()` once `timeoutMs` pass without a
 * `progress()`: a handler's guard against a remote that opens a stream and
 * then neither sends nor reads, which would hold the stream, and the slots
 * it counts in, for good. `progress()` only notes the time (it is called for
 * every chunk of a transfer); the one timer looks at it when it fires, and
 * waits again for what is left of the time if there was progress since.
 */
export function resetWhenIdle (stream: Duplex, timeoutMs: number, timeoutError: () => Error): IdleWatch {
  let lastProgress = performance.now()
  const check = (): void => {
    const idle = performance.now() - lastProgress
    if (idle >= timeoutMs) {
      stream.destroy(timeoutError())
      return
    }
    timer = setTimeout(check, timeoutMs - idle)
    timer.unref()
  }
  let timer = setTimeout(check, timeoutMs)
  // a time limit is no reason to keep the process alive
  timer.unref()
  return {
    progress: () => { lastProgress = performance.now() },
    clear: () => { clearTimeout(timer) }
  }
}

/**
 * A stream whose work is done on our side, waiting for the remote to close
 * its own: reset with `timeoutError()` unless it has closed within
 * `timeoutMs`. Without it a peer that never closes keeps the stream, and
 * the slots it holds, for good. Nothing waits on it.
 */
export function resetUnlessClosedWithin (stream: Duplex, timeoutMs: number, timeoutError: () => Error): void {
  if (stream.closed || stream.destroyed) return
  const clear = resetAfter(stream, timeoutMs, timeoutError)
  stream.once('close', clear)
}

const ignore = (): void => {}

/**
 * Our protocol functions report every failure through their promise. A
 * stream that is destroyed with an error at a moment when none of our
 * awaits is listening (between two phases) would otherwise emit an 'error'
 * event with no listener, which crashes the process. This listener stays for
 * the stream's life; it does not hide the error from other listeners, and
 * `stream.errored` still holds it for our next operation to find.
 */
export function guardStreamErrors (stream: Duplex): void {
  if (!stream.listeners('error').includes(ignore)) stream.on('error', ignore)
}
