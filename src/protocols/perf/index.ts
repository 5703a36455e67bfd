export { PERF_PROTOCOL, PERF_HEADER_LENGTH, MAX_PERF_DOWNLOAD_BYTES, PERF_WRITE_CHUNK, PERF_PROGRESS_INTERVAL_MS, PERF_SERVER_IDLE_TIMEOUT_MS } from './constants.js'
export { encodePerfRequest, decodePerfRequest } from './codec.js'
export { handlePerf, type PerfServerOptions, type PerfServerResult } from './server.js'
export { perfClient, type PerfClientOptions, type PerfProgress, type PerfResult } from './client.js'
