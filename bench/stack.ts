// The work every benchmark asks of a libp2p stack, as one interface that our
// stack (ours.ts) and js-libp2p (js.ts) both implement. A worker process
// (worker.ts) runs one side of one benchmark through it, so the runner
// measures ours and js-libp2p on exactly the same work.

export type StackName = 'ours' | 'js'
export type MuxerName = 'yamux' | 'mplex'

/** Streams and connections a benchmark needs at once: above every default limit. */
export const BENCH_MAX_STREAMS = 2_000
export const BENCH_MAX_CONNECTIONS = 20_000

/** The perf protocol (libp2p/specs perf/perf.md): both stacks serve it. */
export const PERF_PROTOCOL = '/perf/1.0.0'
export const ECHO_PROTOCOL = '/echo/1.0.0'

export interface BenchServer {
  /** A dialable multiaddr ending in /p2p/<peer ID>. */
  addr: string
  connectionCount: () => number
  close: () => Promise<void>
}

export interface BenchClient {
  /** perf: upload `up` bytes, download `down`; returns seconds from stream open to EOF. */
  perf: (addr: string, up: number, down: number) => Promise<number>
  /** Dial a fresh connection (from the next of the client's identities), ping once, close it; returns ms from dial to the ping reply. */
  dialPing: (addr: string) => Promise<number>
  /** Opens `count` new connections to `addr` and leaves them open and idle. */
  openIdle: (addr: string, count: number) => Promise<void>
  /** One connection, `count` concurrent echo streams of `size` bytes each way; returns ms. */
  streams: (addr: string, count: number, size: number) => Promise<number>
  close: () => Promise<void>
}

export interface Stack {
  listen: (muxer: MuxerName) => Promise<BenchServer>
  /** `identities`: dialer identities dialPing takes in turn (default 1), all made and started here. */
  client: (muxer: MuxerName, identities?: number) => Promise<BenchClient>
}

/** A shared payload for echo streams: a byte pattern, so a lost or misplaced byte is seen. */
export function patternBytes (size: number): Uint8Array {
  const out = new Uint8Array(size)
  for (let i = 0; i < size; i++) out[i] = (i * 31 + 7) & 0xff
  return out
}

export function sameBytes (a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b)
}
