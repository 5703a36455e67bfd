export { Upgrader, DEFAULT_UPGRADE_TIMEOUT_MS } from './upgrader.js'
export type { UpgraderInit, UpgradeOptions, UpgradeTrace } from './upgrader.js'
export { Connection } from './connection.js'
export type { ConnectionStatus, NewStreamOptions, ProtocolStream } from './connection.js'
