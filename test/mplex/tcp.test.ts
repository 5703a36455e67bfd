// One realistic run over a loopback TCP socket pair.
import t from 'tap'
import { createHash } from 'node:crypto'
import { tcpPair } from '../helpers/duplex-pair.js'
import { createMplex, type MplexStream } from '../../src/mplex/index.js'
import { readAll } from './fixtures/helpers.js'

t.test('over TCP: several streams echo 2 MiB each, then both sides close', async t => {
  const [clientSocket, serverSocket] = await tcpPair()
  const client = createMplex(clientSocket, { initiator: true })
  const server = createMplex(serverSocket, { initiator: false })
  server.on('stream', (s: MplexStream) => { s.pipe(s) })
  const runs = [0, 1, 2, 3].map(async i => {
    const data = Buffer.alloc(2 * 1024 * 1024)
    for (let j = 0; j < data.length; j += 997) data[j] = (i + j) & 0xff
    const s = client.newStream()
    const echoed = readAll(s)
    s.end(data)
    const back = await echoed
    return createHash('sha256').update(back).digest('hex') === createHash('sha256').update(data).digest('hex')
  })
  t.same(await Promise.all(runs), [true, true, true, true])
  await client.close()
  await new Promise(resolve => serverSocket.once('close', resolve))
  t.ok(clientSocket.destroyed || clientSocket.writableEnded, 'the client ended its socket')
})
