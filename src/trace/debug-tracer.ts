// DEBUG=p2p:* for every layer: when the DEBUG environment variable enables
// any `p2p:<layer>` namespace (src/util/debug.ts), nodes without a tracer of
// their own get one whose events go to those namespaces, on stderr.
// Off by default, and then nothing is installed: zero cost.

import type { UpgradeTrace } from '../upgrader/index.js'
import { isDebugEnabled } from '../util/debug.js'
import { LAYERS } from './events.js'
import { debugSink } from './sink.js'
import { createWireTracer } from './tracer.js'

/** A tracer logging to `p2p:<layer>`, or undefined when DEBUG enables none of them. */
export function debugTracer (env: string | undefined = process.env.DEBUG): UpgradeTrace | undefined {
  if (env === undefined || !LAYERS.some(layer => isDebugEnabled(`p2p:${layer}`, env))) return undefined
  return createWireTracer({ sink: debugSink() })
}
