/**
 * Synthetic probe timelines whose first event says how the request arrived at Sluice (the
 * probe's `request`), for the doctor's path and attribution tests.
 */
import type { ProbeShape, RequestView, Timeline } from '../../src/doctor/index.ts';
import { probeTimeline, scheduleOf, SSE_HEADERS } from './intermediaries/synthetic-timeline.ts';

/** What nginx returns by default: its Server, and X-Accel-Buffering taken. */
export const NGINX_HEADERS: Readonly<Record<string, string>> = (() => {
  const { 'x-accel-buffering': _gone, ...rest } = SSE_HEADERS;
  return { ...rest, server: 'nginx/1.22.1' };
})();

const HEALTHY: ProbeShape = { events: 5, intervalMs: 100, pad: 0, silenceMs: 0 };

/** A hop that writes every header name in lower case (HAProxy 2.x) is on the path. */
export const LOWER_CASED: Partial<RequestView> = {
  spelling: { host: 'host', 'x-sluice-doctor': 'x-sluice-doctor' },
};

/** As nginx (default config) passes it on: HTTP/1.0, a fresh `Host`, other names untouched. */
export const THROUGH_NGINX: Partial<RequestView> = {
  httpVersion: '1.0',
  spelling: { host: 'Host', 'x-sluice-doctor': 'x-Sluice-doctor' },
};

/** `request` set on the first event of `timeline`. */
export function withArrival(timeline: Timeline, request: Partial<RequestView>): Timeline {
  const view: RequestView = {
    httpVersion: '1.1',
    headers: {},
    // As the doctor writes them.
    spelling: { host: 'host', 'x-sluice-doctor': 'x-Sluice-doctor' },
    ...request,
  };
  const [first, ...rest] = timeline.events;
  if (first === undefined) throw new Error('the timeline has events');
  return { ...timeline, events: [{ ...first, request: view }, ...rest] };
}

/** A healthy timeline whose first event carries `request`, as the probe sends it. */
export function arrivedAs(
  request: Partial<RequestView>,
  headers: Readonly<Record<string, string>> = SSE_HEADERS,
  extra: Partial<Timeline> = {},
): Timeline {
  const timeline = probeTimeline({
    probe: HEALTHY,
    arrivals: scheduleOf(HEALTHY).map((s) => s + 3),
    headers,
  });
  return withArrival({ ...timeline, ...extra }, request);
}
