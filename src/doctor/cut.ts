/**
 * A stream that ended without its end marker (`[DONE]`, `message_stop`, …): when, measured from what, and which known hop timeout
 * that matches (research notes §1.1, "Cut after N seconds"). An idle cut comes N s after the last
 * byte and keepalives prevent it; a total cut comes N s after the start whatever flows.
 */
import { endMarker } from './apis.ts';
import type { Finding } from './diagnosis.ts';
import type { HopId } from './fingerprints.ts';
import { matchTimeouts, type CutKind } from './known-timeouts.ts';
import { formatMs, gaps, median, round } from './stats.ts';
import type { Timeline } from './timeline.ts';

export function cutFinding(timeline: Timeline): Finding | undefined {
  const { end } = timeline;
  if ((end.kind !== 'eof' && end.kind !== 'reset') || timeline.doneMs !== undefined)
    return undefined;
  const lastByte = timeline.reads.at(-1)?.t ?? timeline.phases.headersMs ?? 0;
  const idleMs = end.t - lastByte;
  const totalMs = end.t;
  const probe = timeline.probe;
  const expectedGap = probe?.intervalMs ?? median(gaps(timeline.events.map((e) => e.t))) ?? 1000;
  const inSilence =
    probe !== undefined &&
    probe.silenceMs > 0 &&
    probe.events > 1 &&
    timeline.events.length > 0 &&
    timeline.events.every((e) => e.seq === 0);
  const kind: CutKind = inSilence || idleMs >= Math.max(3 * expectedGap, 1000) ? 'idle' : 'total';
  const measured = kind === 'idle' ? idleMs : totalMs;
  const matches = matchTimeouts(measured, kind);
  const received =
    probe === undefined
      ? `${timeline.events.length} events`
      : `${timeline.events.length} of ${probe.events} events`;
  const how =
    end.kind === 'reset'
      ? `the connection broke (${end.code ?? end.message ?? 'reset'})`
      : 'the body ended cleanly';
  const evidence = [
    `${received} arrived, then ${how} at ${formatMs(end.t)} without ${endMarker(timeline.api)}`,
    kind === 'idle'
      ? `${formatMs(idleMs)} after the last byte${inSilence ? ", inside the probe's deliberate silence (no keepalives)" : ''}: an idle timeout`
      : `${formatMs(totalMs)} after the start while bytes were still flowing (last byte ${formatMs(idleMs)} before): a total-duration limit`,
    matches.length > 0
      ? `matches: ${matches.map((m) => `${m.seconds} s ${m.what}`).join('; ')}`
      : `no known default matches: a configured ${kind} timeout of about ${formatSeconds(measured)}`,
  ];
  const candidates: HopId[] = [];
  for (const m of matches)
    for (const hop of m.hops) if (!candidates.includes(hop)) candidates.push(hop);
  return {
    id: kind === 'idle' ? 'idle-cut' : 'total-cut',
    title:
      kind === 'idle'
        ? `cut after ${formatSeconds(idleMs)} of silence (idle timeout)`
        : `cut ${formatSeconds(totalMs)} after the start (total-duration limit)`,
    evidence,
    measures: {
      cut_ms: round(end.t, 0.1),
      idle_ms: round(idleMs, 0.1),
      total_ms: round(totalMs, 0.1),
      matched_timeout_s: matches[0]?.seconds ?? round(measured / 1000, 0.1),
      events: timeline.events.length,
    },
    fixKinds: [kind === 'idle' ? 'idle-timeout' : 'total-timeout'],
    fixDetail: { cutMs: measured },
    candidates,
  };
}

/** "2.0 s", "61 s": whole seconds above ten, tenths below. */
function formatSeconds(ms: number): string {
  const s = ms / 1000;
  return s < 10 ? `${s.toFixed(1)} s` : `${Math.round(s)} s`;
}
