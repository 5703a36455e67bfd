// The wire trace (`p2p trace`, `p2p listen --trace`, `--keylog`): re-exports only.

export * from './events.js'
export { createWireTracer, type WireTracerOptions, type LocalIdentity } from './tracer.js'
export { textSink, jsonSink, debugSink, memorySink, type TraceSink } from './sink.js'
export { formatText, formatJson, toRecord, describe, layerOf, type FormatOptions } from './format.js'
export { fileKeyLog, formatKeyLogEntry, parseKeyLog, KEYLOG_LABEL, type KeyLog, type KeyLogKeys, type KeyLogContext, type KeyLogEntry } from './keylog.js'
export { NegotiationDissector, type NegotiationObserver } from './negotiation.js'
export { ChannelDissector, type ChannelOptions } from './channel.js'
export { tapDuplex, type TapObserver } from './tap.js'
export { debugTracer } from './debug-tracer.js'
