// Application protocols: ping, identify (+push), echo, perf, and the signed
// peer records identify carries. Re-exports only.

export * from './ping/index.js'
export * from './identify/index.js'
export * from './echo/index.js'
export * from './perf/index.js'
export * from './record/index.js'
