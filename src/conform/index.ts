// The conformance prober (issue 7): cases against a live libp2p peer. Re-exports only.
export { runConformance, ALL_CASES, DEFAULT_STEP_TIMEOUT_MS, DEFAULT_CASE_TIMEOUT_MS, type CaseResult, type ConformSummary, type ConformOptions } from './runner.js'
export { pass, fail, notApplicable, type ConformCase, type CaseOutcome, type CaseStatus } from './case.js'
export { parseTarget, openRaw, openSecured, openMuxed, select, type Target, type Dialer, type NoiseTamper, type Secured, type MuxerProtocol } from './connect.js'
export { Wire } from './wire.js'
export { YamuxProbe, type YamuxStreamRecord } from './yamux-probe.js'
export { MplexProbe, type MplexStreamRecord } from './mplex-probe.js'
export { formatHeader, formatRow, formatSummary } from './report.js'
export {
  playYamuxScript, playMplexScript, stepBytes, yamuxStep, mplexStep, yamuxFrameFromJson, mplexFrameFromJson, describeYamuxReaction, describeMplexReaction, SETTLE_MS,
  type Script, type ScriptStep, type PlayMode, type YamuxJsonFrame, type MplexJsonFrame, type YamuxSnapshot, type MplexSnapshot, type YamuxStreamSnapshot, type MplexStreamSnapshot
} from './script.js'
export { localErrorCode } from './local-error.js'
