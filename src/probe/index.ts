export { Probe, type ProbeOptions } from './probe.ts';
export { parseProbeParams, probeEventData, PROBE_LIMITS, type ProbeParams } from './params.ts';
export { addressKind, requestView } from './hop-headers.ts';
export {
  type AddressKind,
  DOCTOR_HEADER,
  DOCTOR_TOKEN,
  type ProbeRequestView,
  REFLECTION_LIMITS,
} from './request-view.ts';
export {
  parseUpstreamComment,
  UPSTREAM_COMMENT,
  UPSTREAM_READS,
  upstreamComment,
  type UpstreamRead,
  type UpstreamView,
} from './upstream-view.ts';
