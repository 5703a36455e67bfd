// The switch's limits are the resource manager's (src/resources/limits.ts):
// one place for every limit. These names remain for existing callers.

import { DEFAULT_RESOURCE_LIMITS, type ResourceLimits } from '../resources/index.js'

export type ConnectionLimits = ResourceLimits
export const DEFAULT_CONNECTION_LIMITS: Readonly<ConnectionLimits> = DEFAULT_RESOURCE_LIMITS
