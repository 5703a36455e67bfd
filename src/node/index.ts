export { Libp2pNode, AGENT_VERSION } from './node.js'
export type { NodeInit } from './node.js'
export { IdentifyService, PROTOCOL_VERSION } from './identify-service.js'
