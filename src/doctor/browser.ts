/**
 * The doctor's pure half, for the web page's bundle (web/src/doctor): classification, the chart
 * geometry and the HTML report, and the types they read. Nothing here, or in what it imports,
 * may touch Node (no `node:` modules, no Buffer): `tsc -p web` type-checks this graph without
 * Node's types, so such an import fails the build. The capture and the CLI's requests live in
 * index.ts.
 */
export {
  DEFAULT_CHART_BOX,
  timelineChart,
  type ChartBox,
  type ChartMark,
  type TimelineChart,
} from './chart.ts';
export { classify } from './classify.ts';
export { DEFAULT_PROBE } from './default-probe.ts';
export {
  isBorderline,
  type Cause,
  type Diagnosis,
  type EarlierRun,
  type Severity,
  type Verdict,
} from './diagnosis.ts';
export { HOP_NAMES, type Fingerprint, type HopId } from './fingerprints.ts';
export type { Fix } from './fixes.ts';
export { htmlReport } from './html-report.ts';
export type { PathView } from './path.ts';
export { DOCTOR_HEADER, doctorToken, requestViewOf } from './request-view.ts';
export { placeEvents } from './schedule.ts';
export { watchStalls } from './stall-watch.ts';
export { formatMs } from './stats.ts';
export type {
  EndKind,
  EventRecord,
  Phases,
  ProbeShape,
  ReadRecord,
  RequestView,
  StreamEnd,
  Timeline,
} from './timeline.ts';
