/**
 * Reading a probe's arrivals against its send schedule (research notes §1.1, "How the arrival
 * timeline classifies the problem"). Patterns are recognised by ratios to the probe's own gaps —
 * "was event n here before event n+1 was sent?" — so a slow network does not read as a hop. But
 * no hold a reader would not notice makes a problem (NOTICEABLE_MS, whatever the interval), and
 * holds close to that are borderline: the doctor measures again before it says so (issue 15).
 */
import type { Finding } from './diagnosis.ts';
import { releaseShape, type Release } from './releases.ts';
import {
  BORDERLINE_MS,
  isHeld,
  isNoticeable,
  maxHoldOf,
  NOISE_MS,
  NOTICEABLE_MS,
  type PlacedEvent,
} from './schedule.ts';
import { formatBytes, formatMs, median, round } from './stats.ts';
import type { Timeline } from './timeline.ts';
import { largest, smallest } from './extremes.ts';

/** Arrivals squeezed into this share of the send span mean one release at the end. */
const SQUEEZED = 0.15;
/** Below this share of held events the stream flows; jitter holds a few. */
const HELD_SHARE = 0.3;
/** Irregular holds are a problem when at least this share of events is held noticeably. */
const NOTICED_SHARE = 0.1;
/**
 * Fewer noticeable holds than this are as likely one busy moment of this machine as a hop (a
 * short probe crosses the share with two): measured again, as a hop holds streams again.
 */
const NOTICED_FEW = 3;
/** Irregular holds under this, in no pattern, are measured again before they are a problem. */
const UNPATTERNED_MS = 1000;
/** A hop that releases at least this often delays a stream; a slower one buffers it. */
const DELAYING_PERIOD_MS = 1000;

export function probeTimingFindings(
  timeline: Timeline,
  placed: readonly PlacedEvent[],
  releases: readonly Release[],
  cacheHit: boolean,
  replayedToken = false,
): Finding[] {
  if (placed.length === 0) return [];
  const sent = placed.map((e) => e.sentMs);
  const arrived = placed.map((e) => e.arrivalMs);
  const sendSpan = largest(sent) - smallest(sent);
  const arrivalSpan = largest(arrived) - smallest(arrived);
  const minLag = smallest(placed.map((e) => e.lagMs));
  const maxHold = maxHoldOf(placed);
  const measures = {
    events: placed.length,
    send_span_ms: round(sendSpan, 0.1),
    arrival_span_ms: round(arrivalSpan, 0.1),
    releases: releases.filter((r) => r.events > 0).length,
  };

  const replay = replayFinding(
    timeline,
    placed,
    minLag,
    sendSpan,
    arrivalSpan,
    cacheHit,
    replayedToken,
  );
  if (replay !== undefined) return [replay];

  const headers = headersHeld(timeline, placed);
  const shape = releaseShape(releases);
  const carrying = releases.filter((r) => r.events > 0);
  // Borderline: the largest hold is noticeable, but not by much; or every long hold was at the
  // start (a hop or this machine slow to begin), which the next measurement tells from a hop.
  const near = maxHold < BORDERLINE_MS;
  const started = slowStart(placed, carrying);
  const withHeaders = (f: Finding): Finding[] => [
    {
      ...f,
      borderline: (f.borderline ?? near) || started !== undefined,
      evidence: [
        ...f.evidence,
        ...(headers === undefined ? [] : [headers.evidence[0] ?? '']),
        ...(started === undefined
          ? []
          : [
              `the long holds were all at the start: the first ${started} events came together, the rest flowed — a slow start of a hop or of this machine, measured again`,
            ]),
      ],
    },
  ];

  const behind = oneBehind(placed);
  // Whatever the pattern, holds nobody notices are no problem; only one-behind is judged by its
  // shape, since its hold is the gap to the next event: with a model that pauses, the pause.
  if (maxHold < NOTICEABLE_MS) {
    return behind === undefined
      ? []
      : [{ ...behind, measures: { ...measures, ...behind.measures }, borderline: true }];
  }
  // Nothing came before the last event was sent: one release of the whole body, however many
  // pieces it arrived in (Varnish writes its stored body 16 KiB at a time; a loaded machine may
  // part them). The clocks' offset is at least 0 — the server starts its stream after our request
  // — so this holds without knowing it; a wait in the doctor itself does not count.
  const lastSent = largest(sent);
  const heldToTheEnd = placed.every((e) => e.arrivalMs - e.ownStallMs >= lastSent);
  if (
    carrying.length >= 2 &&
    shape.knownSize !== undefined &&
    heldShare(placed) >= HELD_SHARE &&
    !heldToTheEnd
  ) {
    return withHeaders(sizeFinding(shape.sizeBytes ?? 0, shape.knownSize, carrying, measures));
  }
  if (
    placed.length >= 3 &&
    sendSpan >= 2 * NOISE_MS &&
    (heldToTheEnd || arrivalSpan <= SQUEEZED * sendSpan)
  ) {
    const first = placed[0];
    return withHeaders({
      id: 'fully-buffered',
      title: 'fully buffered: every event arrived at once, at the end',
      evidence: [
        `all ${placed.length} events arrived within ${formatMs(arrivalSpan)}, though sent over ${formatMs(sendSpan)}`,
        ...(heldToTheEnd ? ['none arrived before the last one was sent'] : []),
        `first event at ${formatMs(first?.arrivalMs ?? 0)}, sent at ${formatMs(first?.sentMs ?? 0)}: held ${formatMs(first?.holdMs ?? 0)}`,
        `${timeline.reads.length} read(s) carried the body`,
      ],
      measures: { ...measures, first_event_hold_ms: round(first?.holdMs ?? 0, 0.1) },
      fixKinds: ['buffering'],
      // In pieces of a buffer size, all after the end: a hop holding the whole body (Varnish
      // writes it 16 KiB at a time), or a size buffer whose every release came late on a busy
      // machine (nginx's 4 KiB over HTTP/2 under four loads, once). Measured again.
      borderline: heldToTheEnd && carrying.length >= 2 && shape.knownSize !== undefined,
    });
  }

  const share = heldShare(placed);
  // Headers and the first event late together, the rest on time: a slow start, of a hop or of
  // this machine (a CI run under four loads: 271 ms, once, behind a streaming Varnish). One
  // measurement cannot tell which; the next one does.
  if (share < HELD_SHARE)
    return headers === undefined
      ? []
      : [
          {
            ...headers,
            borderline: true,
            evidence: [
              ...headers.evidence,
              'the rest flowed: measured again, as a slow start may be this machine’s',
            ],
          },
        ];

  if (behind !== undefined) {
    const gap = behind.measures['gap_ms'] ?? 0;
    return withHeaders({
      ...behind,
      measures: { ...measures, ...behind.measures },
      borderline: gap < BORDERLINE_MS,
    });
  }

  const inBursts = carrying.filter((r) => r.events >= 2).reduce((sum, r) => sum + r.events, 0);
  const bursty =
    carrying.filter((r) => r.events >= 2).length >= 2 && inBursts >= 0.5 * placed.length;
  // One stall is neither a timer nor a buffer: it is said as one, below.
  const stall = oneStall(carrying);
  // A steady probe makes a size buffer look periodic too; a known buffer size was ruled out above,
  // so a steady rhythm reads as a timer, and the evidence says what else it could be.
  if (bursty && shape.periodic && stall === undefined) {
    const finding = periodicFinding(shape.periodMs ?? 0, maxHold, carrying, timeline, measures);
    if (!shape.sizesCluster) return withHeaders(finding);
    const caveat = `the bursts are also about ${formatBytes(shape.sizeBytes ?? 0)} each: at a steady send rate a buffer of that size would look the same (rerun with another --pad to tell)`;
    return withHeaders({ ...finding, evidence: [...finding.evidence, caveat] });
  }
  // Releases of one event each are the stream flowing, whatever their size: no buffer.
  if (
    bursty &&
    shape.sizesCluster &&
    stall === undefined &&
    (median(carrying.map((r) => r.events)) ?? 0) >= 2
  ) {
    return withHeaders(sizeFinding(shape.sizeBytes ?? 0, undefined, carrying, measures));
  }
  const noticedCount = placed.filter(isNoticeable).length;
  const noticed = noticedCount / placed.length;
  if (noticed < NOTICED_SHARE) return headers === undefined ? [] : [headers];
  return withHeaders({
    id: 'irregular-delays',
    title: 'events held back irregularly',
    evidence: [
      `${Math.round(share * 100)} % of events arrived after the next one was due (held past half the send gap)`,
      `${Math.round(noticed * 100)} % were held ${formatMs(NOTICEABLE_MS)} or more, long enough to notice; largest hold ${formatMs(maxHold)}`,
      bursty ? 'they arrive in bursts of no regular size or period' : 'no regular burst pattern',
      ...(stall === undefined
        ? []
        : [
            `all but a few came in one release of ${stall} events, the others one at a time: one stall of a hop or of this machine, not a buffer — measured again`,
          ]),
    ],
    measures: {
      ...measures,
      held_share: round(share, 0.01),
      noticed_share: round(noticed, 0.01),
      max_hold_ms: round(maxHold, 0.1),
    },
    fixKinds: ['buffering'],
    // One stall on a busy machine is not a hop that holds streams, nor are holds under a second
    // with no pattern (four loads on two cores held a healthy H2O's events up to 275 ms): the
    // next measurement decides — a hop that holds streams holds them again.
    borderline:
      near ||
      noticed < 2 * NOTICED_SHARE ||
      noticedCount < NOTICED_FEW ||
      stall !== undefined ||
      (!bursty && maxHold < UNPATTERNED_MS),
  });
}

/**
 * The events of the one release that holds most of those that came together, when the rest
 * came one at a time: a single stall (a hop, or this machine, descheduled for a while).
 */
function oneStall(carrying: readonly Release[]): number | undefined {
  const together = carrying.filter((r) => r.events >= 2);
  const most = Math.max(0, largest(together.map((r) => r.events)));
  const inTogether = together.reduce((sum, r) => sum + r.events, 0);
  const single = carrying.length - together.length;
  return most >= 0.8 * inTogether && single >= 2 * together.length ? most : undefined;
}

/**
 * The events of the first release, when every noticeable hold was among them and at least as
 * many came after it without one: the stream began late and then flowed.
 */
function slowStart(
  placed: readonly PlacedEvent[],
  carrying: readonly Release[],
): number | undefined {
  const first = carrying[0]?.events ?? 0;
  if (first < 2 || first > placed.length / 2) return undefined;
  return placed.slice(first).some(isNoticeable) ? undefined : first;
}

function heldShare(placed: readonly PlacedEvent[]): number {
  return placed.filter(isHeld).length / placed.length;
}

/**
 * A recording: the stream began before we asked. Arrival minus send time cannot go below zero on
 * a live stream (the server starts after our request), whatever the clocks; on a replay it does.
 */
function replayFinding(
  timeline: Timeline,
  placed: readonly PlacedEvent[],
  minLag: number,
  sendSpan: number,
  arrivalSpan: number,
  cacheHit: boolean,
  replayedToken: boolean,
): Finding | undefined {
  const margin = Math.max(50, 0.05 * sendSpan);
  const firstEpoch = timeline.events.find((e) => e.epochMs !== undefined)?.epochMs;
  // Wall clocks of two machines may disagree by seconds: only a stale stamp plus squeezed arrivals counts.
  const staleMs = firstEpoch === undefined ? 0 : timeline.startedEpochMs - firstEpoch;
  const squeezed = placed.length >= 2 && arrivalSpan <= 0.5 * sendSpan;
  const byLag = minLag < -margin;
  const byStamp = staleMs > 5000 && squeezed;
  const byHeader = cacheHit && squeezed;
  if (!byLag && !byStamp && !byHeader && !replayedToken) return undefined;
  const evidence: string[] = [];
  if (replayedToken)
    evidence.push(
      "the probe answered with another run's token: this stream was recorded for another request",
    );
  if (byLag) {
    const early = placed.reduce((a, b) => (b.lagMs < a.lagMs ? b : a));
    evidence.push(
      `event ${early.seq} arrived ${formatMs(early.arrivalMs)} after the request began but was sent ` +
        `${formatMs(early.sentMs)} into its stream: the stream began before this request`,
    );
  }
  if (staleMs > 1000)
    evidence.push(`the first event is stamped ${formatMs(staleMs)} before the request`);
  if (cacheHit) evidence.push('a cache header says HIT');
  evidence.push(
    `${placed.length} events arrived within ${formatMs(arrivalSpan)}, sent over ${formatMs(sendSpan)}`,
  );
  return {
    id: 'cached-replay',
    title: 'cached replay: a cache served a recording of an earlier stream',
    evidence,
    measures: {
      min_lag_ms: round(minLag, 0.1),
      stamp_age_ms: round(staleMs),
      arrival_span_ms: round(arrivalSpan, 0.1),
    },
    fixKinds: ['cache'],
  };
}

/** Headers arrived with the first event, and that event was held: Sluice sends headers at once. */
function headersHeld(timeline: Timeline, placed: readonly PlacedEvent[]): Finding | undefined {
  const headersMs = timeline.phases.headersMs;
  const firstSeq = smallest(placed.map((p) => p.seq));
  const first = placed.find((e) => e.seq === firstSeq);
  if (headersMs === undefined || first === undefined) return undefined;
  const interval = timeline.probe?.intervalMs ?? first.nextGapMs;
  const together = Math.abs(first.arrivalMs - headersMs) <= Math.max(2, 0.1 * interval);
  if (!together || first.holdMs <= Math.max(0.5 * interval, NOTICEABLE_MS)) return undefined;
  return {
    id: 'headers-held',
    title: 'headers held until the first body bytes',
    evidence: [
      `headers arrived at ${formatMs(headersMs)}, with the first event, which was held ${formatMs(first.holdMs)}; Sluice sends headers at once`,
    ],
    measures: { headers_ms: round(headersMs, 0.1), first_event_hold_ms: round(first.holdMs, 0.1) },
    fixKinds: ['headers-held'],
    borderline: first.holdMs < BORDERLINE_MS,
  };
}

/** Each event arrives when the next one is sent: lag ≈ the send gap, the last one flushed by the end. */
function oneBehind(placed: readonly PlacedEvent[]): Finding | undefined {
  const lastSeq = largest(placed.map((e) => e.seq));
  const candidates = placed.filter((e) => e.seq !== lastSeq);
  if (candidates.length < 3) return undefined;
  const behind = candidates.filter(
    (e) => e.holdMs > NOISE_MS && Math.abs(e.holdMs - e.nextGapMs) <= 0.35 * e.nextGapMs,
  );
  if (behind.length < 0.7 * candidates.length) return undefined;
  const gap = candidates[0]?.nextGapMs ?? 0;
  return {
    id: 'one-behind',
    title: 'one event behind: each event arrives only when the next one is sent',
    evidence: [
      `${behind.length} of ${candidates.length} events were held about one send gap (${formatMs(gap)}) and arrived with the next`,
      'the last event arrived on time, flushed by the end of the stream',
      'each hold lasts until the next event: with a model that pauses, as long as the pause',
    ],
    measures: { behind: behind.length, of: candidates.length, gap_ms: round(gap, 0.1) },
    fixKinds: ['one-behind'],
  };
}

function sizeFinding(
  sizeBytes: number,
  knownSize: number | undefined,
  carrying: readonly Release[],
  measures: Record<string, number>,
): Finding {
  const named =
    knownSize === undefined ? `about ${formatBytes(sizeBytes)}` : formatBytes(knownSize);
  // What such a buffer is depends on the hop blamed: classify adds it (buffer-sizes.ts).
  return {
    id: 'size-bursts',
    title: `size-quantised bursts: a buffer of ${named} releases events when it fills`,
    evidence: [
      `events arrived in ${carrying.length} bursts of ${carrying.map((r) => r.events).join(', ')} events`,
      `burst sizes on the wire: ${carrying.map((r) => formatBytes(r.bytes)).join(', ')} (the last one flushed by the end)`,
    ],
    measures: { ...measures, buffer_bytes: Math.round(knownSize ?? sizeBytes) },
    fixKinds: ['buffering'],
  };
}

/**
 * A hop that releases on a timer. Below a second the stream still flows, late by up to a period
 * (HAProxy's ~200 ms without http-no-delay): delayed. Slower, it comes in lumps: buffered.
 */
function periodicFinding(
  periodMs: number,
  maxHold: number,
  carrying: readonly Release[],
  timeline: Timeline,
  measures: Record<string, number>,
): Finding {
  const interval = timeline.probe?.intervalMs ?? 0;
  const delaying = periodMs < DELAYING_PERIOD_MS;
  return {
    id: 'periodic-flush',
    title: `periodic flush: a hop releases data every ${formatMs(periodMs)}, not per event`,
    evidence: [
      `events arrived in ${carrying.length} bursts of ${carrying.map((r) => r.events).join(', ')} events, about ${formatMs(periodMs)} apart`,
      `they were sent every ${formatMs(interval)}; burst sizes on the wire: ${carrying.map((r) => formatBytes(r.bytes)).join(', ')}`,
      delaying
        ? `each event waits up to ${formatMs(maxHold)}: the stream flows, late and in small batches`
        : `events wait up to ${formatMs(maxHold)}: the text comes in lumps`,
    ],
    measures: { ...measures, period_ms: round(periodMs, 0.1), max_hold_ms: round(maxHold, 0.1) },
    fixKinds: ['periodic'],
    fixDetail: { periodMs },
    verdict: delaying ? 'delayed' : 'buffered',
  };
}
