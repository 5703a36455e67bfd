// Constants of the ping protocol (libp2p/specs ping/ping.md "Protocol").

/** ping.md: "The protocol ID is `/ipfs/ping/1.0.0`." */
export const PING_PROTOCOL = '/ipfs/ping/1.0.0'

/** ping.md: "The dialing peer sends a 32-byte payload of random binary data". */
export const PING_LENGTH = 32
