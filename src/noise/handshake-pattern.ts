// The XX handshake pattern as data (noise.md rev 34 §7.5):
//
//   XX:
//     -> e
//     <- e, ee, s, es
//     -> s, se
//
// Messages alternate, the initiator sending the even-numbered ones. XX has
// no pre-messages. ./handshake-state.ts reads these lists in one loop.

/** §7.1 the message tokens (psk is not used by XX). */
export const Token = {
  e: 'e',
  s: 's',
  ee: 'ee',
  es: 'es',
  se: 'se',
  ss: 'ss'
} as const
export type Token = typeof Token[keyof typeof Token]

export interface HandshakePattern {
  readonly name: string
  readonly messagePatterns: ReadonlyArray<readonly Token[]>
}

export const XX: HandshakePattern = {
  name: 'XX',
  messagePatterns: [
    ['e'],
    ['e', 'ee', 's', 'es'],
    ['s', 'se']
  ]
}

/** The pattern line as the spec writes it, e.g. `<- e, ee, s, es`. */
export function describeMessage (pattern: HandshakePattern, index: number): string {
  const arrow = index % 2 === 0 ? '->' : '<-'
  return `${arrow} ${pattern.messagePatterns[index].join(', ')}`
}
