// Protocol codes of the multiaddr protocols this stack knows, as named
// constants. The numbers are the multicodec codes tagged `multiaddr` in
// multiformats/multicodec table.csv (and listed in multiformats/multiaddr
// protocols.csv). Transports and the switch branch on these, never on names.

export const CODE_IP4 = 0x04
export const CODE_TCP = 0x06
export const CODE_DCCP = 0x21
export const CODE_IP6 = 0x29
export const CODE_IP6ZONE = 0x2a
export const CODE_IPCIDR = 0x2b
export const CODE_DNS = 0x35
export const CODE_DNS4 = 0x36
export const CODE_DNS6 = 0x37
export const CODE_DNSADDR = 0x38
export const CODE_SCTP = 0x84
export const CODE_UDP = 0x0111
export const CODE_P2P_WEBRTC_STAR = 0x0113
export const CODE_P2P_WEBRTC_DIRECT = 0x0114
export const CODE_P2P_STARDUST = 0x0115
export const CODE_WEBRTC_DIRECT = 0x0118
export const CODE_WEBRTC = 0x0119
export const CODE_P2P_CIRCUIT = 0x0122
export const CODE_UDT = 0x012d
export const CODE_UTP = 0x012e
export const CODE_UNIX = 0x0190
/** `/p2p` (and its legacy text name `/ipfs`): 421. */
export const CODE_P2P = 0x01a5
export const CODE_HTTPS = 0x01bb
export const CODE_ONION = 0x01bc
export const CODE_ONION3 = 0x01bd
export const CODE_GARLIC64 = 0x01be
export const CODE_GARLIC32 = 0x01bf
export const CODE_TLS = 0x01c0
export const CODE_SNI = 0x01c1
export const CODE_NOISE = 0x01c6
export const CODE_QUIC = 0x01cc
export const CODE_QUIC_V1 = 0x01cd
export const CODE_WEBTRANSPORT = 0x01d1
export const CODE_CERTHASH = 0x01d2
export const CODE_WS = 0x01dd
export const CODE_WSS = 0x01de
export const CODE_P2P_WEBSOCKET_STAR = 0x01df
export const CODE_HTTP = 0x01e0
/** `http-path`: 481, added to table.csv by multiformats/multicodec pull request 352. */
export const CODE_HTTP_PATH = 0x01e1
/** "memorytransport" in table.csv, `memory` in protocols.csv: 777. */
export const CODE_MEMORY = 0x0309
