// `p2p trace`: not written yet (placeholder so the dispatcher compiles).

import type { Output } from '../output.js'
import { P2PError } from '../../util/errors.js'

export async function traceCommand (_args: string[], _out: Output): Promise<number> {
  throw new P2PError('ERR_NOT_IMPLEMENTED', 'p2p trace is not implemented yet')
}
