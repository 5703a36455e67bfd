// mplex (libp2p/specs mplex/README.md): codec, stream lifecycle, session.
export * from './constants.js'
export * from './errors.js'
export * from './frame.js'
export * from './codec.js'
export * from './stream-state.js'
export { MplexStream } from './stream.js'
export { MplexSession, createMplex, type MplexOptions } from './session.js'
export { mplex } from './factory.js'
