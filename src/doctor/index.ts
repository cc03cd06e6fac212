/** `sluice doctor`: capture one stream through a deployed chain, classify it, name the hop, print the fix. */
export { apiName, CHAT_APIS, type ChatApi, endMarker } from './apis.ts';
export { capture, type CaptureRequest } from './capture.ts';
export { chainDiagnoses, type ChainCulprit, type ChainResult } from './chain.ts';
export { classify } from './classify.ts';
export { compareDiagnoses, type Comparison } from './compare.ts';
export {
  type Cause,
  type CauseId,
  type Diagnosis,
  type Severity,
  type Verdict,
  verdictOf,
  worstVerdict,
} from './diagnosis.ts';
export {
  HOP_NAMES,
  hopsOf,
  readFingerprints,
  type Fingerprint,
  type FingerprintContext,
  type HopId,
  type SignalId,
} from './fingerprints.ts';
export { FIX_TABLE, type FixKind } from './fix-table.ts';
export { fixSummary, genericFix, hopFix, keepaliveFix, type Fix } from './fixes.ts';
export { chainJson, comparisonJson, diagnosisJson, type DoctorJson } from './json.ts';
export {
  escapeHtml,
  htmlChainReport,
  htmlComparisonReport,
  htmlReport,
  type HtmlReportOptions,
} from './html-report.ts';
export {
  KNOWN_TIMEOUTS,
  matchTimeouts,
  type CutKind,
  type KnownTimeout,
} from './known-timeouts.ts';
export { type PathHop, type PathView, type SilentHop } from './path.ts';
export { renderChain, renderComparison, renderReport } from './report.ts';
export { DOCTOR_HEADER, requestViewOf } from './request-view.ts';
export {
  CHAT_PROMPT,
  chatRequest,
  DEFAULT_PROBE,
  defaultTimeoutMs,
  probeRequest,
} from './request.ts';
export {
  diagnose,
  diagnoseBoth,
  diagnoseChain,
  requestFor,
  type CaptureFn,
  type DoctorTarget,
} from './run.ts';
export { timelineStrip } from './strip.ts';
export type {
  CaptureMode,
  EndKind,
  EventRecord,
  Phases,
  ProbeShape,
  ReadRecord,
  RequestView,
  StreamEnd,
  Timeline,
} from './timeline.ts';
