// ../../src/util/peer-id-text.ts: both text forms of a peer ID, against the
// spec's examples (spec-vectors/peer/peer-ids.json).
import t from 'tap'
import { readFileSync } from 'node:fs'
import { base32, base36, base58btc, encodeMultibase } from '../../src/util/multibase.js'
import { CID_VERSION, LIBP2P_KEY_CODEC, peerIdTextToMultihash } from '../../src/util/peer-id-text.js'

const toHex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex')
const vectors = JSON.parse(readFileSync(new URL('../../spec-vectors/peer/peer-ids.json', import.meta.url), 'utf8')) as
  { vectors: Array<{ text: string, form: 'cid' | 'base58btc', hash: 'sha2-256' | 'identity' }> }

t.test('the spec examples unwrap to their multihash', async t => {
  t.equal(CID_VERSION, 1)
  t.equal(LIBP2P_KEY_CODEC, 0x72)
  for (const v of vectors.vectors) {
    const mh = peerIdTextToMultihash(v.text)
    t.equal(mh[0], v.hash === 'sha2-256' ? 0x12 : 0x00, `${v.text}: ${v.hash} multihash`)
    if (v.form === 'base58btc') t.equal(base58btc.encode(mh), v.text)
    else t.equal('b' + base32.encode(Uint8Array.of(0x01, 0x72, ...mh)), v.text)
    // the same multihash as a base36 CID reads back to it too
    t.equal(toHex(peerIdTextToMultihash(encodeMultibase(base36, Uint8Array.of(0x01, 0x72, ...mh)))), toHex(mh))
  }
})

t.test('what is not a peer ID text is ERR_INVALID_PEER_ID, saying why', async t => {
  const mh = peerIdTextToMultihash('QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N')
  const cases: Array<[string, RegExp]> = [
    ['Qm0', /"Qm0" is not valid multibase: invalid base58btc "Qm0": character "0" at 2/],
    ['x123', /neither a base58btc multihash/],
    [encodeMultibase(base32, Uint8Array.of(0x01)), /is truncated/],
    [encodeMultibase(base32, Uint8Array.of(0x80)), /is truncated/],
    [encodeMultibase(base32, Uint8Array.of(0x80, 0x00)), /malformed varint/],
    [encodeMultibase(base32, Uint8Array.of(0x02, 0x72, ...mh)), /has version 2; peer IDs "must be encoded using CIDv1"/],
    [encodeMultibase(base32, Uint8Array.of(0x01, 0x55, ...mh)), /has multicodec 0x55; expected libp2p-key \(0x72\)/]
  ]
  for (const [text, message] of cases) {
    t.throws(() => peerIdTextToMultihash(text), { code: 'ERR_INVALID_PEER_ID', message }, text)
  }
})
