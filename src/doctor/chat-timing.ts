/**
 * Reading a chat stream's arrivals when send times are unknown (`--key` mode): only the arrival
 * pattern speaks. A model emits tokens one by one, so a healthy chain shows about one event per
 * read; many events per release, or one release for everything, mean something held them.
 */
import type { Finding } from './diagnosis.ts';
import { releaseShape, type Release } from './releases.ts';
import { BORDERLINE_MS, NOTICEABLE_MS } from './schedule.ts';
import { formatBytes, formatMs, gaps, median, round } from './stats.ts';
import type { Timeline } from './timeline.ts';

export function chatTimingFindings(timeline: Timeline, releases: readonly Release[]): Finding[] {
  const findings: Finding[] = [];
  const events = timeline.events;
  const carrying = releases.filter((r) => r.events > 0);
  const contentLength = timeline.headers['content-length'];
  // A short answer from a fast model can fit one read by itself: one release means a buffer only
  // when there were enough events to have spread out.
  const oneRelease = events.length >= 8 && carrying.length === 1;
  if (events.length > 0 && (oneRelease || contentLength !== undefined)) {
    const only = carrying[0];
    findings.push({
      id: 'not-streaming',
      title: 'not streaming: the whole answer arrived as one body',
      evidence: [
        carrying.length === 1
          ? `all ${events.length} events arrived in one release of ${formatBytes(only?.bytes ?? 0)} at ${formatMs(only?.t ?? 0)}`
          : `${events.length} events in ${carrying.length} releases`,
        ...(contentLength === undefined
          ? []
          : [`Content-Length: ${contentLength} on an event stream`]),
      ],
      measures: { events: events.length, releases: carrying.length },
      fixKinds: ['not-streaming', 'buffering'],
    });
  } else if (events.length >= 8 && carrying.length >= 2) {
    const perRelease = median(carrying.map((r) => r.events)) ?? 0;
    const pause = median(gaps(carrying.map((r) => r.t))) ?? 0;
    // A pause between bursts a reader notices; shorter ones are a fast model, not a buffer.
    if (perRelease >= 4 && pause >= NOTICEABLE_MS) {
      const borderline = pause < BORDERLINE_MS;
      const shape = releaseShape(releases);
      const sizes = carrying.map((r) => formatBytes(r.bytes)).join(', ');
      const evidence = [
        `${events.length} events arrived in ${carrying.length} bursts (median ${perRelease} events each, ${formatMs(pause)} apart)`,
        `burst sizes on the wire: ${sizes}`,
        'send times are unknown in --key mode: judged from arrivals alone',
      ];
      const measures = {
        events: events.length,
        releases: carrying.length,
        events_per_release: perRelease,
      };
      if (shape.knownSize !== undefined || (shape.sizesCluster && !shape.periodic)) {
        const size = shape.knownSize ?? shape.sizeBytes ?? 0;
        findings.push({
          id: 'size-bursts',
          title: `size-quantised bursts of about ${formatBytes(size)}`,
          evidence,
          measures: { ...measures, buffer_bytes: Math.round(size) },
          fixKinds: ['buffering'],
          borderline,
        });
      } else if (shape.periodic) {
        findings.push({
          id: 'periodic-flush',
          title: `periodic flush about every ${formatMs(shape.periodMs ?? 0)}`,
          evidence,
          measures: { ...measures, period_ms: round(shape.periodMs ?? 0, 0.1) },
          fixKinds: ['periodic'],
          fixDetail: { periodMs: shape.periodMs ?? 0 },
          borderline,
          // As for the probe: released at least every second, the answer flows, late.
          verdict: (shape.periodMs ?? 0) < 1000 ? 'delayed' : 'buffered',
        });
      } else {
        findings.push({
          id: 'irregular-delays',
          title: 'events arrive in bursts',
          evidence,
          measures,
          fixKinds: ['buffering'],
          borderline,
        });
      }
    }
  }
  const held = headersWithFirstToken(timeline);
  if (held !== undefined) findings.push(held);
  return findings;
}

/**
 * Headers only with the first token, a second or more after connecting. Some servers do this
 * themselves, so in --key mode it is a warning; long first tokens then trip first-byte timeouts.
 */
function headersWithFirstToken(timeline: Timeline): Finding | undefined {
  const headersMs = timeline.phases.headersMs;
  const first = timeline.events[0];
  const connected = timeline.phases.tlsMs ?? timeline.phases.connectMs ?? 0;
  if (headersMs === undefined || first === undefined) return undefined;
  if (Math.abs(first.t - headersMs) > 5 || headersMs - connected < 1000) return undefined;
  return {
    id: 'headers-held',
    title: 'headers arrived only with the first token',
    evidence: [
      `headers at ${formatMs(headersMs)}, first event at ${formatMs(first.t)}, connected at ${formatMs(connected)}`,
      'a hop (or the server) holds headers until the first body bytes',
    ],
    measures: { headers_ms: round(headersMs, 0.1), first_event_ms: round(first.t, 0.1) },
    fixKinds: ['headers-held'],
  };
}
