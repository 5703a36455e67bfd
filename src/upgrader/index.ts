export { Upgrader, DEFAULT_UPGRADE_TIMEOUT_MS } from './upgrader.js'
export type { UpgraderInit, UpgradeOptions, UpgradeTrace, UpgradeContext, SecuredInfo } from './upgrader.js'
export { Connection, releaseOnClose } from './connection.js'
export type { ConnectionStatus, NewStreamOptions, ProtocolStream } from './connection.js'
