// `p2p ping MULTIADDR [-c N]`: each RTT, then a min/avg/max summary like the
// system ping.

import { parseArgs } from 'node:util'
import { parseCount, requireTarget, withDialingNode } from '../options.js'
import type { Output } from '../output.js'

export async function pingCommand (args: string[], out: Output): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      count: { type: 'string', short: 'c' },
      muxer: { type: 'string' },
      identity: { type: 'string' },
      json: { type: 'boolean' }
    }
  })
  const target = requireTarget(positionals, 'p2p ping MULTIADDR [-c N]')
  const count = parseCount(values.count, '-c', 4, 1)
  return await withDialingNode(values, async node => {
    const connection = await node.dial(target)
    out.line(`PING ${connection.remotePeer.toString()} (${connection.remoteAddr.toString()})`)
    const rtts = await node.ping(connection.remotePeer, { count })
    rtts.forEach((rtt, i) => {
      out.line(`32 bytes from ${connection.remotePeer.toString()}: seq=${i + 1} time=${rtt.toFixed(3)} ms`)
    })
    // a loop, not Math.min(...rtts): spreading a million values overflows the stack
    let min = Infinity
    let max = -Infinity
    for (const rtt of rtts) {
      if (rtt < min) min = rtt
      if (rtt > max) max = rtt
    }
    const avg = rtts.reduce((a, b) => a + b, 0) / rtts.length
    out.line(`--- ${count} pings, rtt min/avg/max = ${min.toFixed(3)}/${avg.toFixed(3)}/${max.toFixed(3)} ms`)
    out.record({ remotePeer: connection.remotePeer.toString(), rttMs: rtts, min, avg, max })
    return 0
  })
}
