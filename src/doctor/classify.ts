/**
 * The doctor's verdict on one recorded timeline: pure, so recorded and synthetic timelines test
 * it without sockets. Order matters: a stream that never started needs no timing analysis; a cut
 * stream is judged on what did arrive too; compression is a problem only if arrivals are bursty.
 */
import { endMarker } from './apis.ts';
import { toCause } from './attribution.ts';
import { withBufferHint } from './buffer-sizes.ts';
import { chatTimingFindings } from './chat-timing.ts';
import { cutFinding } from './cut.ts';
import { type Cause, type Diagnosis, type Finding, verdictOf, WARNING_IDS } from './diagnosis.ts';
import { failureFinding } from './failures.ts';
import { readFingerprints } from './fingerprints.ts';
import { namedIds, pathOf } from './path.ts';
import { probeTimingFindings } from './probe-timing.ts';
import { releasesOf } from './releases.ts';
import { isHeld, NOISE_MS, placeEvents } from './schedule.ts';
import { formatMs, round } from './stats.ts';
import type { Timeline } from './timeline.ts';
import { isUpstreamLeg, upstreamLegCause, withUpstreamLeg } from './upstream-leg.ts';
import { largest } from './extremes.ts';

export function classify(timeline: Timeline): Diagnosis {
  const isEventStream = (timeline.headers['content-type'] ?? '')
    .toLowerCase()
    .startsWith('text/event-stream');
  const fingerprints = readFingerprints(timeline.headers, {
    // Sluice's probe always sends X-Accel-Buffering: no, so its absence means a hop took it.
    sentAccelBuffering: timeline.mode === 'probe',
    isEventStream,
    ...(timeline.tlsIssuer === undefined ? {} : { tlsIssuer: timeline.tlsIssuer }),
  });
  const path = pathOf(timeline, fingerprints);
  const interval = timeline.probe?.intervalMs ?? 0;
  // Reads closer than a fifth of the send interval belong to one release (at least 2 ms apart
  // otherwise: a flush of several KiB may take two reads).
  const releases = releasesOf(timeline, Math.max(2, 0.2 * interval));
  const placed = timeline.mode === 'probe' ? placeEvents(timeline) : undefined;

  const findings: Finding[] = [];
  const failure = failureFinding(timeline);
  if (failure !== undefined) findings.push(failure);
  const ended =
    failure === undefined || failure.id === 'stalled' || failure.id === 'upstream-error';
  if (ended && isEventStream) {
    const cut = cutFinding(timeline);
    if (cut !== undefined && failure === undefined) findings.push(cut);
    if (placed !== undefined) {
      const cacheHit = fingerprints.some((f) => f.signal === 'cache-hit');
      findings.push(...probeTimingFindings(timeline, placed, releases, cacheHit, path.replayed));
    } else if (timeline.mode === 'chat') {
      findings.push(...withUpstreamLeg(timeline, chatTimingFindings(timeline, releases)));
    }
  }

  const causes: Cause[] = findings.map((f) =>
    isUpstreamLeg(f)
      ? upstreamLegCause(f, severityOf(f, timeline))
      : withBufferHint(toCause(f, fingerprints, severityOf(f, timeline), path), timeline),
  );
  const problems = causes.filter((c) => c.severity === 'problem');
  const compressed = fingerprints.find((f) => f.signal === 'content-encoding');
  if (compressed !== undefined && problems.length === 0) {
    causes.push(
      toCause(
        {
          id: 'compressed-stream',
          title: `a hop compresses the stream (${compressed.value}), but every event still arrived on time`,
          evidence: [
            `Content-Encoding: ${compressed.value} on text/event-stream; Sluice never compresses`,
            'this hop flushes its compressor per event today; one that does not would hold events back',
          ],
          measures: {},
          fixKinds: ['compression'],
        },
        fingerprints,
        'warning',
        path,
      ),
    );
  }
  const inspected = fingerprints.find((f) => f.signal === 'tls-inspection');
  if (inspected !== undefined) {
    causes.push({
      id: 'tls-inspection',
      severity: 'warning',
      title: `TLS is intercepted (certificate issued by ${inspected.value})`,
      evidence: [inspected.meaning],
      measures: {},
      hops: [],
      suspected: false,
      fixes: [
        {
          hop: 'any',
          text: 'Exclude this domain from TLS inspection in the antivirus or corporate proxy: they hold or batch streams.',
        },
      ],
    });
  }
  if (!causes.some((c) => c.severity === 'problem')) causes.unshift(healthy(timeline, placed));
  return {
    verdict: verdictOf(causes),
    causes: [...causes].sort((a, b) => rank(a.severity) - rank(b.severity)),
    fingerprints,
    hops: namedIds(path),
    timeline,
    ...(placed === undefined ? {} : { placed }),
    releases,
    path,
  };
}

function severityOf(finding: Finding, timeline: Timeline): Cause['severity'] {
  if (WARNING_IDS.includes(finding.id)) return 'warning';
  // Without send times, headers that wait for the first token may be the server's own habit.
  if (finding.id === 'headers-held' && timeline.mode === 'chat') return 'warning';
  return 'problem';
}

function rank(severity: Cause['severity']): number {
  return severity === 'problem' ? 0 : severity === 'ok' ? 1 : 2;
}

function healthy(timeline: Timeline, placed: Diagnosis['placed']): Cause {
  const evidence: string[] = [];
  const measures: Record<string, number> = { events: timeline.events.length };
  if (placed !== undefined && placed.length > 0) {
    const onTime = placed.filter((e) => !isHeld(e)).length;
    const maxHold = largest(placed.map((e) => e.holdMs));
    evidence.push(
      `${onTime} of ${placed.length} events arrived before the next one was sent`,
      `largest hold ${formatMs(maxHold)} at a ${formatMs(timeline.probe?.intervalMs ?? 0)} send interval`,
    );
    measures['on_time'] = onTime;
    measures['max_hold_ms'] = round(maxHold, 0.1);
    const stalled = placed.filter((e) => e.ownStallMs >= NOISE_MS);
    if (stalled.length > 0) {
      const longest = largest(stalled.map((e) => e.ownStallMs));
      evidence.push(
        `${stalled.length} event(s) waited in the doctor itself, up to ${formatMs(longest)}: its process stalled (a busy machine), so that wait is not counted as a hold`,
      );
      measures['own_stall_ms'] = round(longest, 0.1);
    }
  } else {
    evidence.push(`${timeline.events.length} events arrived one or a few per read`);
  }
  const headersMs = timeline.phases.headersMs;
  const first = timeline.events[0];
  if (headersMs !== undefined && first !== undefined) {
    evidence.push(`headers after ${formatMs(headersMs)}, first event after ${formatMs(first.t)}`);
  }
  if (timeline.doneMs !== undefined)
    evidence.push(`${endMarker(timeline.api)} at ${formatMs(timeline.doneMs)}`);
  return {
    id: 'healthy',
    severity: 'ok',
    title:
      placed === undefined
        ? 'streaming: events arrived spread out, one or a few per read'
        : 'streaming: every event arrived as it was sent',
    evidence,
    measures,
    hops: [],
    suspected: false,
    fixes: [],
  };
}
