export { Libp2pNode, AGENT_VERSION } from './node.js'
export type { NodeInit } from './node.js'
export { IdentifyService } from './identify-service.js'
export type { IdentifyEvent } from './identify-service.js'
