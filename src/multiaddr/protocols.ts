// The protocol table: every multiaddr protocol this stack can read and write.
//
// One row per protocol, as in multiformats/multiaddr protocols.csv: the code
// (checked against multiformats/multicodec table.csv), the text name, and the
// value's size in the binary form:
//   - `none`: the protocol has no value (/tls, /ws, /quic-v1, ...);
//   - `fixed`: a value of that many bits, no length prefix (/ip4 is 32);
//   - `variable`: a varint byte length, then the value (/dns4, /p2p, ...).
// `kind` names the value codec in values.ts.
//
// `http-path` (481) is newer than the protocols.csv revision the other rows
// were checked against: its size ("the value is length prefixed") comes from
// protocols/httppath.md, its code from multicodec pull request 352.
//
// protocols.csv lists `ipfs` as a second name for code 421: "backwards
// compatibility; equivalent to /p2p". It is accepted when reading text and
// never printed.

import * as c from './codes.js'
import type { ValueKind } from './values.js'

export type ProtocolSize =
  | { readonly type: 'none' }
  | { readonly type: 'fixed', readonly bits: number }
  | { readonly type: 'variable' }

export interface Protocol {
  readonly code: number
  readonly name: string
  readonly size: ProtocolSize
  /** The value codec; undefined exactly when size.type is 'none'. */
  readonly kind?: ValueKind
}

const NONE = { type: 'none' } as const
const VARIABLE = { type: 'variable' } as const
const bits = (n: number): ProtocolSize => ({ type: 'fixed', bits: n })

export const PROTOCOLS: readonly Protocol[] = [
  { code: c.CODE_IP4, name: 'ip4', size: bits(32), kind: 'ip4' },
  { code: c.CODE_TCP, name: 'tcp', size: bits(16), kind: 'port' },
  { code: c.CODE_DCCP, name: 'dccp', size: bits(16), kind: 'port' },
  { code: c.CODE_IP6, name: 'ip6', size: bits(128), kind: 'ip6' },
  { code: c.CODE_IP6ZONE, name: 'ip6zone', size: VARIABLE, kind: 'utf8' },
  { code: c.CODE_IPCIDR, name: 'ipcidr', size: bits(8), kind: 'uint8' },
  { code: c.CODE_DNS, name: 'dns', size: VARIABLE, kind: 'hostName' },
  { code: c.CODE_DNS4, name: 'dns4', size: VARIABLE, kind: 'hostName' },
  { code: c.CODE_DNS6, name: 'dns6', size: VARIABLE, kind: 'hostName' },
  { code: c.CODE_DNSADDR, name: 'dnsaddr', size: VARIABLE, kind: 'hostName' },
  { code: c.CODE_SCTP, name: 'sctp', size: bits(16), kind: 'port' },
  { code: c.CODE_UDP, name: 'udp', size: bits(16), kind: 'port' },
  { code: c.CODE_P2P_WEBRTC_STAR, name: 'p2p-webrtc-star', size: NONE },
  { code: c.CODE_P2P_WEBRTC_DIRECT, name: 'p2p-webrtc-direct', size: NONE },
  { code: c.CODE_P2P_STARDUST, name: 'p2p-stardust', size: NONE },
  { code: c.CODE_WEBRTC_DIRECT, name: 'webrtc-direct', size: NONE },
  { code: c.CODE_WEBRTC, name: 'webrtc', size: NONE },
  { code: c.CODE_P2P_CIRCUIT, name: 'p2p-circuit', size: NONE },
  { code: c.CODE_UDT, name: 'udt', size: NONE },
  { code: c.CODE_UTP, name: 'utp', size: NONE },
  { code: c.CODE_UNIX, name: 'unix', size: VARIABLE, kind: 'path' },
  { code: c.CODE_P2P, name: 'p2p', size: VARIABLE, kind: 'p2p' },
  { code: c.CODE_HTTPS, name: 'https', size: NONE },
  { code: c.CODE_ONION, name: 'onion', size: bits(96), kind: 'onion' },
  { code: c.CODE_ONION3, name: 'onion3', size: bits(296), kind: 'onion3' },
  { code: c.CODE_GARLIC64, name: 'garlic64', size: VARIABLE, kind: 'garlic64' },
  { code: c.CODE_GARLIC32, name: 'garlic32', size: VARIABLE, kind: 'garlic32' },
  { code: c.CODE_TLS, name: 'tls', size: NONE },
  { code: c.CODE_SNI, name: 'sni', size: VARIABLE, kind: 'hostName' },
  { code: c.CODE_NOISE, name: 'noise', size: NONE },
  { code: c.CODE_QUIC, name: 'quic', size: NONE },
  { code: c.CODE_QUIC_V1, name: 'quic-v1', size: NONE },
  { code: c.CODE_WEBTRANSPORT, name: 'webtransport', size: NONE },
  { code: c.CODE_CERTHASH, name: 'certhash', size: VARIABLE, kind: 'certhash' },
  { code: c.CODE_WS, name: 'ws', size: NONE },
  { code: c.CODE_WSS, name: 'wss', size: NONE },
  { code: c.CODE_P2P_WEBSOCKET_STAR, name: 'p2p-websocket-star', size: NONE },
  { code: c.CODE_HTTP, name: 'http', size: NONE },
  { code: c.CODE_HTTP_PATH, name: 'http-path', size: VARIABLE, kind: 'path' },
  { code: c.CODE_MEMORY, name: 'memory', size: VARIABLE, kind: 'utf8' }
]

/** Text names that read as another protocol (protocols.csv: "equivalent to /p2p"). */
const ALIASES: ReadonlyMap<string, number> = new Map([['ipfs', c.CODE_P2P]])

const BY_CODE = new Map<number, Protocol>(PROTOCOLS.map(p => [p.code, p]))
const BY_NAME = new Map<string, Protocol>(PROTOCOLS.map(p => [p.name, p]))
for (const [alias, code] of ALIASES) {
  const protocol = BY_CODE.get(code)
  if (protocol !== undefined) BY_NAME.set(alias, protocol)
}

export function protocolByCode (code: number): Protocol | undefined {
  return BY_CODE.get(code)
}

/** Looks up a text name, including the legacy alias `ipfs`. */
export function protocolByName (name: string): Protocol | undefined {
  return BY_NAME.get(name)
}
