// The prober against peers that do not speak libp2p: a silent one (every
// case must end by its deadline, the run must not hang) and one that hangs up
// at once. Required cases fail, so the exit code is 1.

import t from 'tap'
import net from 'node:net'
import { once } from 'node:events'
import { runConformance, ALL_CASES } from '../../src/conform/index.js'
import { conformCommand } from '../../src/cli/commands/conform.js'
import { createOutput } from '../../src/cli/output.js'
import { Writable } from 'node:stream'

async function server (onConnection: (socket: net.Socket) => void): Promise<{ addr: string, close: () => Promise<void> }> {
  const sockets = new Set<net.Socket>()
  const srv = net.createServer(socket => {
    sockets.add(socket)
    socket.on('error', () => {})
    socket.on('close', () => sockets.delete(socket))
    onConnection(socket)
  })
  srv.listen(0, '127.0.0.1')
  await once(srv, 'listening')
  const port = (srv.address() as net.AddressInfo).port
  return {
    addr: `/ip4/127.0.0.1/tcp/${port}`,
    close: async () => {
      for (const s of sockets) s.destroy()
      await new Promise(resolve => srv.close(resolve))
    }
  }
}

t.test('a silent peer: every case fails by its deadline', async t => {
  const silent = await server(() => {})
  t.teardown(silent.close)
  const start = Date.now()
  const { results, summary } = await runConformance(silent.addr, { stepTimeoutMs: 100, caseTimeoutMs: 300 })
  t.ok(Date.now() - start < ALL_CASES.length * 400, 'bounded by the deadlines')
  for (const r of results) {
    t.equal(r.status, 'fail', r.id)
    t.match(r.detail, /ERR_CONFORM_TIMEOUT|timed out/, r.id)
  }
  t.equal(summary.ok, false)
})

t.test('a peer that hangs up at once: failures say the connection closed; exit code 1', async t => {
  const rude = await server(socket => { socket.end() })
  t.teardown(rude.close)
  const stdout = new Writable({ write (_chunk, _enc, cb) { cb() } })
  let stderrText = ''
  const stderr = new Writable({ write (chunk: Buffer, _enc, cb) { stderrText += chunk.toString(); cb() } })
  const code = await conformCommand([rude.addr, '--json', '--timeout', '200', '--only', 'multistream.na,noise.handshake'], createOutput(true, stdout, stderr))
  t.equal(code, 1)
  t.equal(stderrText, 'p2p conform: ERR_CONFORM_FAILED: required cases failed (2 failed in all)\n', 'the one-line error the contract asks for')
  const { results } = await runConformance(rude.addr, { stepTimeoutMs: 200, only: ['multistream.na', 'noise.handshake'] })
  t.same(results.map(r => r.status), ['fail', 'fail'])
  for (const r of results) t.match(r.detail, /ERR_CONFORM_CLOSED/)
})

t.test('a target that is not a TCP multiaddr is refused', async t => {
  await t.rejects(runConformance('/ip4/127.0.0.1/udp/1234'), { code: 'ERR_INVALID_PARAMETERS' })
})
