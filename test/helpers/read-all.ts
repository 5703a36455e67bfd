// Everything a stream delivers until its remote half-closes, leaving the
// stream as it was. Not `for await (const chunk of stream)`: when the
// readable side ends, that destroys the stream (Node's `destroyOnReturn`),
// and on a Duplex still writing it destroys with an AbortError, cutting off
// what the writable side had yet to send (under load the 10 MiB Noise test
// lost the tail of one direction that way).

import type { Readable } from 'node:stream'

export async function readAll (stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of stream.iterator({ destroyOnReturn: false })) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}
