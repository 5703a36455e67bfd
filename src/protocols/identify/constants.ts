// Constants of identify (libp2p/specs identify/README.md).

/** README "identify": "the protocol id `/ipfs/id/1.0.0`". */
export const IDENTIFY_PROTOCOL = '/ipfs/id/1.0.0'

/** README "identify/push": "the protocol id `/ipfs/id/push/1.0.0`". */
export const IDENTIFY_PUSH_PROTOCOL = '/ipfs/id/push/1.0.0'

/**
 * The largest Identify message accepted, and sent in one piece: 8 KiB. The
 * spec names no limit; go-libp2p (`signedIDSize`/ `maxMessageSize` in
 * p2p/protocol/identify/id.go) and js-libp2p (MAX_IDENTIFY_MESSAGE_SIZE)
 * both use 8 KiB, so a larger message would be refused by them anyway. It
 * bounds what an unauthenticated-looking stream can make us buffer.
 */
export const MAX_IDENTIFY_MESSAGE_SIZE = 8 * 1024

/**
 * The size we keep each Identify message we send under, where it can be
 * done: 4096 bytes. rust-libp2p refuses a larger message (and reads only
 * the first), go-libp2p keeps its own under it "to be compatible with
 * rust-libp2p", and libp2p/specs PR 492 proposes "Implementations SHOULD
 * NOT send `Identify` messages bigger than 4096 bytes". Larger, the signed
 * peer record goes alone in a second message and listen addresses are
 * left out (stream.ts `identifyFrames`).
 */
export const IDENTIFY_SEND_LIMIT = 4096

/**
 * How many length-prefixed Identify messages one stream may carry before we
 * stop reading. go-libp2p sends the signed peer record in a second message
 * when the whole would exceed the size limit, and reads up to 10 messages
 * (`maxMessages`); js-libp2p 3.x reads up to 10 (MAX_IDENTIFY_MESSAGES), see
 * libp2p/specs PR 709. The messages are merged in order.
 */
export const MAX_IDENTIFY_MESSAGES = 10

/**
 * How long the node waits for an Identify answer, or for a push it was sent,
 * before it resets the stream: js-libp2p's identify timeout (5 s). The spec
 * names none; without one a remote that accepts the stream and never
 * answers keeps it open for as long as the connection lives.
 */
export const DEFAULT_IDENTIFY_TIMEOUT_MS = 5_000
