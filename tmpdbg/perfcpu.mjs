// scratch: CPU per MiB on each side of a perf upload and download, ours
import { fork } from 'node:child_process'
import { Libp2pNode } from '../dist/src/node/index.js'
import { yamux } from '../dist/src/yamux/index.js'
import { mplex } from '../dist/src/mplex/index.js'
import { perfClient } from '../dist/src/protocols/index.js'
const mux = process.argv[2] === 'mplex' ? mplex : yamux
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000 }
if (process.argv[3] === 'child') {
  const node = new Libp2pNode({ listenAddrs: ['/ip4/127.0.0.1/tcp/0'], perf: true, muxers: [mux] })
  await node.start()
  process.send({ addr: node.multiaddrs[0].toString() })
  process.on('message', () => { process.send({ cpu: cpu(), pf: process.resourceUsage().minorPageFault }) })
} else {
  const child = fork(new URL(import.meta.url).pathname, [process.argv[2] ?? 'yamux', 'child'], { execArgv: (process.env.CHILD_ARGS ?? '').split(' ').filter(Boolean) })
  const addr = await new Promise(r => child.once('message', m => r(m.addr)))
  let childPf = 0
  const cpuChild = () => new Promise(r => { child.once('message', m => { childPf = m.pf; r(m.cpu) }); child.send('x') })
  const node = new Libp2pNode({ muxers: [mux] })
  await node.start()
  const MiB = 2 ** 20
  const run = async (up, down) => {
    const stream = await node.newStream(addr, '/perf/1.0.0')
    return (await perfClient(stream, { uploadBytes: up, downloadBytes: down })).timeSeconds
  }
  for (let i = 0; i < Number(process.env.WARMN ?? 1); i++) await run(Number(process.env.WARM ?? 64) * MiB, Number(process.env.WARM ?? 64) * MiB)
  if (process.env.SLEEP) await new Promise(r => setTimeout(r, Number(process.env.SLEEP)))
  for (let i = 0; i < Number(process.env.ITER ?? 3); i++) {
    for (const dir of ['up', 'down']) {
      const c0 = await cpuChild(); const m0 = cpu(); const p0 = childPf; const q0 = process.resourceUsage().minorPageFault
      const s = await run(dir === 'up' ? 256 * MiB : 0, dir === 'down' ? 256 * MiB : 0)
      const c1 = await cpuChild(); const m1 = cpu(); const p1 = childPf; const q1 = process.resourceUsage().minorPageFault
      const [snd, rcv] = dir === 'up' ? [m1 - m0, c1 - c0] : [c1 - c0, m1 - m0]
      console.log(`${dir}: ${(256 / s).toFixed(0)} MiB/s, sender ${(snd / 256).toFixed(2)} ms/MiB, receiver ${(rcv / 256).toFixed(2)} ms/MiB, faults client ${q1 - q0} server ${p1 - p0}`)
    }
  }
  await node.stop(); child.kill()
}
