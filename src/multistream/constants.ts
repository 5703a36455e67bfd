// Constants of multistream-select 1.0 (multiformats/multistream-select
// README.md, "Protocol"; libp2p/specs connections/README.md, "multistream-select").
//
// Every limit is named here with the reason it exists, so the codec, the state
// machines and the drivers all enforce the same numbers.

/** "multistream-select itself has a protocol id of `/multistream/1.0.0`." (connections §multistream-select) */
export const MULTISTREAM_PROTOCOL_ID = '/multistream/1.0.0'

/** "Otherwise we return a `na` ("not available") error" (multistream-select README §Protocol) */
export const NA = 'na'

/** "It is also possible to "list" the available protocols. A list message is simply: ls\n" (§Listing) */
export const LS = 'ls'

/** The byte that ends every message: "Every multistream message is appended by a `\n` character". */
export const NEWLINE = 0x0a

/**
 * Longest message we accept or send, newline included. Neither spec names a
 * limit, so we use 1024 bytes as go-multistream, rust-libp2p and
 * js-libp2p (@libp2p/multistream-select MAX_PROTOCOL_LENGTH) do: a peer
 * cannot make us buffer an arbitrary amount before a protocol is agreed, and
 * every implementation accepts what we send.
 */
export const MAX_MESSAGE_LENGTH = 1024

/**
 * Longest `ls` answer we read. The answer is one message holding the whole
 * list, so it may be longer than a single protocol ID; 64 KiB is room for
 * hundreds of protocol IDs while still bounding what a listener can make a
 * dialer buffer.
 */
export const MAX_LS_ANSWER_LENGTH = 64 * 1024

/**
 * Proposals (and `ls` requests) a listener answers in one negotiation before
 * giving up. Each one provokes an answer, so without a limit a peer could
 * keep a stream busy forever; real dialers propose a handful at most.
 */
export const MAX_PROPOSALS = 64

/** How long a driver waits for the remote to agree before ERR_NEGOTIATION_TIMEOUT. */
export const DEFAULT_NEGOTIATION_TIMEOUT_MS = 10_000
