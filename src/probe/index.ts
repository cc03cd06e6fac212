export { Probe, type ProbeOptions } from './probe.ts';
export { parseProbeParams, probeEventData, PROBE_LIMITS, type ProbeParams } from './params.ts';
