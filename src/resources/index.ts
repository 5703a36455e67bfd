// The resource manager: every limit of a node in one place (issue 9).
export { DEFAULT_RESOURCE_LIMITS, MIN_STREAM_BUFFER_BYTES, resolveLimits, type ResourceLimits } from './limits.js'
export { LIMIT_NAMES, emptyMetrics, type LimitName, type ResourceMetrics, type ResourceUsage } from './metrics.js'
export { ResourceManager, ipLimitKey, ipv6SubnetKey, isLoopback, type Admission, type Reservation, type Refusal, type ResourceManagerInit, type Direction } from './manager.js'
export { MemoryTotal, type ConnectionMemory, type MemoryLimitName } from './memory.js'
export { muxerOptionsFor, type MuxerOptionsByProtocol } from './muxer-options.js'
