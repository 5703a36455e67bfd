// What a muxer keeps of a received payload (yamux Data, mplex Message): a
// memory-safety measure both muxers share, not a protocol rule.
//
// A payload is handed to its stream as a view of the chunk it arrived in
// (a Noise message's plaintext, up to 64 KiB), and a view keeps that whole
// chunk in memory. The limits on unread data (yamux's receive window,
// mplex's per-stream buffer, the connection's memory budget) count payload
// bytes. So a peer could send, in every chunk, one byte for a stream no one
// reads and the rest to a stream that does not exist (dropped): each byte
// counted would hold a chunk of 64 KiB, and the limits would bound nothing.
// A view that is a small part of its chunk is therefore copied, and what a
// stream holds stays within RETAINED_MAX_RATIO times what it counts. Bulk
// data pays little for it: a frame that lies whole in a 64 KiB chunk is kept
// as it is; only the parts of frames a chunk boundary cuts are copied when
// small (about 6 % of the bytes with 64 KiB writes, up to about a quarter
// with 16 KiB ones, where one frame in four is cut; small writes, each a
// chunk of Node's 8 KiB pool, are copied whole).

/**
 * A view is kept when it is at least 1 / RETAINED_MAX_RATIO of the memory
 * behind it: what unread data holds stays within four times its count.
 */
export const RETAINED_MAX_RATIO = 4

/** `payload`, or a copy of it when it is a small view of a larger buffer (see above). */
export function ownPayload (payload: Uint8Array): Uint8Array {
  if (payload.byteLength * RETAINED_MAX_RATIO >= payload.buffer.byteLength) return payload
  // memory of its own, not a slice of Node's shared 8 KiB pool (Buffer.from):
  // a small copy there would keep its whole slab, the same problem again
  const copy = Buffer.allocUnsafeSlow(payload.byteLength)
  copy.set(payload)
  return copy
}
