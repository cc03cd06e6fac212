import { InvalidProbeParameterError } from '../errors/index.ts';
import type { ProbeRequestView } from './request-view.ts';

/** How the synthetic probe stream is shaped. Every parameter is bounded: it is served without a key. */
export interface ProbeParams {
  /** Events to send, each numbered. */
  readonly events: number;
  /** Gap between events. */
  readonly intervalMs: number;
  /** Bytes of padding per event, to find size-triggered buffers. */
  readonly pad: number;
  /** One silent gap (no keepalive) after the first event, to find idle timeouts. */
  readonly silenceMs: number;
}

export const PROBE_LIMITS = {
  events: { min: 1, max: 1000, default: 20 },
  interval_ms: { min: 0, max: 60_000, default: 100 },
  pad: { min: 0, max: 65_536, default: 0 },
  silence_ms: { min: 0, max: 900_000, default: 0 },
  /** events × interval_ms: the paced part of a probe lasts at most ten minutes. */
  pacedMs: 600_000,
} as const;

export function parseProbeParams(query: URLSearchParams): ProbeParams {
  const read = (name: 'events' | 'interval_ms' | 'pad' | 'silence_ms'): number => {
    const limits = PROBE_LIMITS[name];
    const given = query.getAll(name);
    // Given twice, a proxy that checks one and Sluice that reads the other would disagree.
    if (given.length > 1)
      throw new InvalidProbeParameterError(name, `${name} is given ${given.length} times.`);
    const text = given[0];
    if (text === undefined || text === '') return limits.default;
    // Digits only: `Number` also reads `0x10`, `1e3` and ` 5`.
    const value = /^\d{1,7}$/.test(text) ? Number(text) : NaN;
    if (!Number.isInteger(value) || value < limits.min || value > limits.max) {
      throw new InvalidProbeParameterError(
        name,
        `${name} must be an integer from ${limits.min} to ${limits.max}; got "${text}".`,
      );
    }
    return value;
  };
  const params = {
    events: read('events'),
    intervalMs: read('interval_ms'),
    pad: read('pad'),
    silenceMs: read('silence_ms'),
  };
  if (params.events * params.intervalMs > PROBE_LIMITS.pacedMs) {
    throw new InvalidProbeParameterError(
      'interval_ms',
      `events × interval_ms must not exceed ${PROBE_LIMITS.pacedMs} ms; got ${params.events * params.intervalMs}.`,
    );
  }
  return params;
}

/**
 * One probe event's data. `elapsed_ms` is the server's send time since the stream began; the
 * first event also says what the request looked like on arrival (`request`, see
 * request-view.ts). Readers that know only `seq`, `elapsed_ms` and `t` read on unchanged.
 */
export function probeEventData(
  seq: number,
  of: number,
  elapsedMs: number,
  pad: string,
  request?: ProbeRequestView,
): string {
  return JSON.stringify({
    seq,
    of,
    elapsed_ms: Math.round(elapsedMs * 1000) / 1000,
    t: Date.now(),
    ...(request === undefined ? {} : { request }),
    pad,
  });
}
