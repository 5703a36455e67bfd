// scratch: CPU per MiB of the raw TCP and Noise-over-TCP ceilings (both processes)
import { fork } from 'node:child_process'
import { rawTcpListen, rawTcpSend } from '../dist/bench/raw.js'
const noise = process.argv[2] === 'noise'
if (process.argv[3] === 'child') {
  const l = await rawTcpListen(noise)
  process.send({ port: l.port })
  process.on('message', () => { const u = process.cpuUsage(); process.send({ cpu: (u.user + u.system) / 1000 }) })
} else {
  const child = fork(new URL(import.meta.url).pathname, [process.argv[2], 'child'])
  const port = await new Promise(r => child.once('message', m => r(m.port)))
  const cpuChild = () => new Promise(r => { child.once('message', m => r(m.cpu)); child.send('x') })
  const bytes = 256 * 2 ** 20
  await rawTcpSend(port, 64 * 2 ** 20, noise)
  if (process.env.SLEEP) await new Promise(r => setTimeout(r, Number(process.env.SLEEP)))
  for (let i = 0; i < 3; i++) {
    const c0 = await cpuChild(); const u0 = process.cpuUsage()
    const s = await rawTcpSend(port, bytes, noise)
    const c1 = await cpuChild(); const u1 = process.cpuUsage(u0)
    const mine = (u1.user + u1.system) / 1000
    console.log(`${noise ? 'noise' : 'raw'}: ${(256 / s).toFixed(0)} MiB/s, sender ${(mine / 256).toFixed(2)} ms/MiB, receiver ${((c1 - c0) / 256).toFixed(2)} ms/MiB`)
  }
  child.kill()
}
