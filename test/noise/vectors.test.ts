// Replays the public Noise_XX_25519_ChaChaPoly_SHA256 vectors
// (spec-vectors/noise/noise_XX_25519_ChaChaPoly_SHA256.json: cacophony, snow,
// flynn/noise) byte for byte, handshake and transport messages, with every
// crypto back end (node:crypto with and without the native ChaCha20-Poly1305
// when it is built, and @noble).

import t from 'tap'
import { readFileSync } from 'node:fs'
import { HandshakeState } from '../../src/noise/handshake-state.js'
import { XX } from '../../src/noise/handshake-pattern.js'
import { PROTOCOL_NAME } from '../../src/noise/constants.js'
import { nodeCrypto, nodeCryptoCipheriv } from '../../src/noise/crypto-node.js'
import { nobleCrypto } from '../../src/noise/crypto-noble.js'
import type { NoiseCrypto } from '../../src/noise/crypto.js'

interface Message { payload: string, ciphertext: string }
interface RawVector {
  protocol_name?: string
  init_prologue?: string
  resp_prologue?: string
  prologue?: string
  init_static: string
  resp_static: string
  init_ephemeral?: string
  resp_ephemeral?: string
  gen_init_ephemeral?: string
  gen_resp_ephemeral?: string
  handshake_hash?: string
  messages: Message[]
}
interface File { sources: Array<{ source: string, vectors: RawVector[] }> }

const file = JSON.parse(readFileSync(new URL('../../spec-vectors/noise/noise_XX_25519_ChaChaPoly_SHA256.json', import.meta.url), 'utf8')) as File
const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'))
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

const vectors = file.sources.flatMap(source => source.vectors.map((vector, i) => ({ name: `${source.source} #${i}`, vector, flynn: source.source.includes('flynn') })))

t.equal(vectors.length, 6, 'six public vectors')

for (const crypto of [...new Set([nodeCrypto, nodeCryptoCipheriv]), nobleCrypto] as NoiseCrypto[]) {
  for (const { name, vector, flynn } of vectors) {
    t.test(`${crypto.name}: ${name}`, async t => {
      if (vector.protocol_name !== undefined) t.equal(vector.protocol_name, PROTOCOL_NAME)
      const initiator = new HandshakeState({
        crypto, pattern: XX, protocolName: PROTOCOL_NAME, initiator: true,
        prologue: hex(vector.init_prologue ?? vector.prologue ?? ''),
        staticPrivateKey: hex(vector.init_static),
        ephemeralPrivateKey: hex(vector.init_ephemeral ?? vector.gen_init_ephemeral ?? '')
      })
      const responder = new HandshakeState({
        crypto, pattern: XX, protocolName: PROTOCOL_NAME, initiator: false,
        prologue: hex(vector.resp_prologue ?? vector.prologue ?? ''),
        staticPrivateKey: hex(vector.resp_static),
        ephemeralPrivateKey: hex(vector.resp_ephemeral ?? vector.gen_resp_ephemeral ?? '')
      })
      // the three handshake messages: initiator, responder, initiator
      for (let i = 0; i < 3; i++) {
        const [writer, reader] = i % 2 === 0 ? [initiator, responder] : [responder, initiator]
        const { payload, ciphertext } = vector.messages[i]
        const written = writer.writeMessage(hex(payload))
        t.equal(toHex(written), ciphertext, `handshake message ${i} bytes`)
        t.equal(toHex(reader.readMessage(written)), payload, `handshake message ${i} payload`)
      }
      const ik = initiator.transportKeys
      const rk = responder.transportKeys
      if (ik === undefined || rk === undefined) throw new Error('handshake did not complete')
      t.same(ik.handshakeHash, rk.handshakeHash)
      if (vector.handshake_hash !== undefined) t.equal(toHex(ik.handshakeHash), vector.handshake_hash, 'handshake hash')
      // transport: flynn lists one message per direction (initiator first);
      // cacophony/snow keep alternating, so after XX's three messages the
      // responder sends message 3, the initiator message 4, ...
      for (let i = 3; i < vector.messages.length; i++) {
        const fromInitiator = flynn ? i === 3 : i % 2 === 0
        const [sender, receiver] = fromInitiator ? [ik.send, rk.receive] : [rk.send, ik.receive]
        const { payload, ciphertext } = vector.messages[i]
        const sealed = sender.encryptWithAd(new Uint8Array(0), hex(payload))
        t.equal(toHex(sealed), ciphertext, `transport message ${i} bytes (${fromInitiator ? 'initiator' : 'responder'} → peer)`)
        t.equal(toHex(receiver.decryptWithAd(new Uint8Array(0), sealed)), payload, `transport message ${i} payload`)
      }
    })
  }
}
