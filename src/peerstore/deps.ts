// The types this layer takes from the layers below, in one place.

export { PeerId, publicKeyToProtobuf, publicKeyFromProtobuf } from '../peer/index.js'
export { Multiaddr, isMultiaddr, CODE_P2P } from '../multiaddr/index.js'
