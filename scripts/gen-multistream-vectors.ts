// Generates spec-vectors/multistream/messages.json from our codec.
//
//     node --import @tapjs/typescript/import scripts/gen-multistream-vectors.ts
//
// The bytes come from src/multistream; test/multistream/vectors.test.ts checks
// every case against js-libp2p's @libp2p/multistream-select (bytes it sends,
// bytes it accepts) so the file is not merely our code agreeing with itself.
// The two examples the specs spell out in hex are in spec-examples.json.

import { writeFileSync } from 'node:fs'
import { encodeLsAnswer, encodeMessages, MAX_MESSAGE_LENGTH, MULTISTREAM_PROTOCOL_ID } from '../src/multistream/index.js'

const CONNECTIONS = 'libp2p/specs connections/README.md, "multistream-select"'
const README = 'multiformats/multistream-select README.md'

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex')
const line = (text: string): string => Buffer.from(text, 'utf8').toString('hex')

const longProtocol = '/' + 'x'.repeat(198)

const messages = [
  { name: 'header', description: 'The multistream-select header, the first message of both sides.', spec: `${CONNECTIONS}: "multistream-select itself has a protocol id of /multistream/1.0.0"`, messages: [MULTISTREAM_PROTOCOL_ID] },
  { name: 'proposal', description: 'A dialer proposing /noise (or a listener echoing it to agree).', spec: `${CONNECTIONS}: "the Initiator sends the protocol id for the protocol they would like to use"`, messages: ['/noise'] },
  { name: 'na', description: 'The listener does not speak the proposed protocol.', spec: `${CONNECTIONS}: "the string \\"na\\" is sent as the following bytes (shown here in hex): 0x036e610a"`, messages: ['na'] },
  { name: 'ls request', description: 'The dialer asks for the listener\'s protocols.', spec: `${README} "Listing": "ls\\n # in hex (note the varint prefix = 3) 0x036c730a"`, messages: ['ls'] },
  { name: 'optimistic first write', description: 'An optimistic dialer\'s first write: header and its only proposal in one packet (its application bytes would follow).', spec: `${CONNECTIONS}: "Both sides may send the initial multistream protocol id simultaneously, without waiting to receive data from the other side."`, messages: [MULTISTREAM_PROTOCOL_ID, '/noise'] },
  { name: 'dialer first write, yamux', description: 'Header and first proposal in one write, as a dialer negotiating a muxer sends them.', spec: CONNECTIONS, messages: [MULTISTREAM_PROTOCOL_ID, '/yamux/1.0.0'] },
  { name: 'two-byte length prefix', description: 'A 200-byte message (199-byte protocol id + newline): the varint length takes two bytes (0xc8 0x01).', spec: `${CONNECTIONS}: "prefixed with its length in bytes (including the newline), encoded as an unsigned variable-length integer"`, messages: [longProtocol] },
  { name: 'UTF-8 protocol id', description: 'Non-ASCII text: the length counts UTF-8 bytes, not characters.', spec: `${CONNECTIONS}: "Messages are sent encoded as UTF-8 byte strings"`, messages: ['/ünïcode/1.0.0'] }
].map(c => ({ ...c, hex: hex(encodeMessages(c.messages)) }))

const lsAnswers = [
  { name: 'ls answer, two protocols', description: 'One message whose body is each protocol id framed as its own message, then the outer newline.', spec: `${README} "ls example in detail"`, protocols: ['/ipfs/ping/1.0.0', '/ipfs/id/1.0.0'] },
  { name: 'ls answer, empty list', description: 'A listener with no protocols: the body is empty, only the outer newline remains (length 1).', spec: `${README} "Listing"`, protocols: [] as string[] }
].map(c => ({ ...c, hex: hex(encodeLsAnswer(c.protocols)) }))

const invalid = [
  { name: 'missing newline', description: 'A 3-byte message "naa" that does not end in \\n.', spec: `${README}: "Every multistream message is appended by a \\n character"`, hex: '03' + line('naa'), error: 'ERR_MISSING_NEWLINE' },
  { name: 'empty message', description: 'Length 0: there is no room for the newline.', spec: `${README}: "this character is included in the byte count"`, hex: '00', error: 'ERR_MISSING_NEWLINE' },
  { name: 'over-long message', description: `A length prefix of ${MAX_MESSAGE_LENGTH + 1}, one over the ${MAX_MESSAGE_LENGTH}-byte limit; rejected from the prefix alone.`, spec: 'The specs name no limit; 1024 bytes as go-multistream, rust-libp2p and js-libp2p use.', hex: '8108', error: 'ERR_MESSAGE_TOO_LONG' },
  { name: 'wrong header', description: 'The first message is /multistream/2.0.0 instead of the header.', spec: `${CONNECTIONS}: "If either side receives anything other than the multistream protocol id as the first message, they abort the negotiation process."`, hex: hex(encodeMessages(['/multistream/2.0.0'])), firstMessage: true, error: 'ERR_INVALID_HEADER' },
  { name: 'non-minimal length prefix', description: 'The length 3 encoded in two bytes (0x83 0x00).', spec: 'multiformats/unsigned-varint README.md: varints "MUST be minimally encoded"', hex: '8300' + line('na\n'), error: 'ERR_INVALID_VARINT' },
  { name: 'not UTF-8', description: 'A message whose bytes are not UTF-8.', spec: `${CONNECTIONS}: "Messages are sent encoded as UTF-8 byte strings"`, hex: '03fffe0a', error: 'ERR_INVALID_MESSAGE' },
  { name: 'truncated ls entry', description: 'An ls answer whose nested entry claims 16 bytes but holds 3.', spec: `${README} "ls example in detail"`, hex: '0510' + line('/a\n') + '0a', lsAnswer: true, error: 'ERR_INVALID_LS_ANSWER' }
]

const file = {
  source: 'generated by scripts/gen-multistream-vectors.ts from src/multistream (our codec); cross-checked against js-libp2p @libp2p/multistream-select in test/multistream/vectors.test.ts. Specs: libp2p/specs connections/README.md, multiformats/multistream-select README.md',
  description: 'multistream-select 1.0 messages as bytes (hex). `messages` cases: the concatenated framed messages. `lsAnswers`: the complete framed answer to ls. `invalid`: bytes a reader must reject with `error` (`firstMessage`: as the first message of a negotiation; `lsAnswer`: when an ls answer is expected).',
  messages,
  lsAnswers,
  invalid
}

writeFileSync(new URL('../spec-vectors/multistream/messages.json', import.meta.url), JSON.stringify(file, null, 2) + '\n')
console.log(`wrote ${messages.length + lsAnswers.length + invalid.length} cases`)
