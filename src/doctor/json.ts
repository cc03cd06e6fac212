/**
 * `sluice doctor --json` (DESIGN.md contract): verdict, ttfb_ms, first_event_ms, events,
 * timeline, causes[{id, evidence, fix}], plus more that scripts may find useful.
 */
import type { Comparison } from './compare.ts';
import type { Diagnosis, Verdict } from './diagnosis.ts';
import { fixSummary } from './fixes.ts';
import { round } from './stats.ts';

export interface DoctorJson {
  readonly verdict: Verdict;
  readonly url: string;
  readonly mode: string;
  readonly ttfb_ms: number | null;
  readonly first_event_ms: number | null;
  readonly done_ms: number | null;
  readonly events: number;
  readonly expected_events: number | null;
  readonly status: number | null;
  readonly end: Diagnosis['timeline']['end'];
  readonly phases: Diagnosis['timeline']['phases'];
  readonly headers: Readonly<Record<string, string>>;
  readonly hops: readonly string[];
  readonly fingerprints: readonly {
    header: string;
    value: string;
    hop: string | null;
    meaning: string;
  }[];
  readonly causes: readonly CauseJson[];
  readonly timeline: readonly TimelineRow[];
  readonly reads: readonly { t: number; bytes: number }[];
}

interface CauseJson {
  readonly id: string;
  readonly severity: string;
  readonly title: string;
  readonly evidence: readonly string[];
  readonly measures: Readonly<Record<string, number>>;
  readonly hops: readonly string[];
  readonly suspected: boolean;
  /** All fixes as text, one per line. */
  readonly fix: string;
  readonly fixes: readonly {
    hop: string;
    text: string;
    where: string | null;
    snippet: string | null;
  }[];
}

/** One event; sent_ms and hold_ms only for the probe, whose events carry their send times. */
interface TimelineRow {
  readonly seq: number;
  readonly arrival_ms: number;
  readonly sent_ms: number | null;
  readonly hold_ms: number | null;
  readonly read: number;
  readonly bytes: number;
}

export function diagnosisJson(d: Diagnosis): DoctorJson {
  const t = d.timeline;
  const placed = new Map((d.placed ?? []).map((p) => [p.seq, p]));
  return {
    verdict: d.verdict,
    url: t.url,
    mode: t.mode,
    ttfb_ms: t.phases.firstByteMs ?? t.phases.headersMs ?? null,
    first_event_ms: t.events[0]?.t ?? null,
    done_ms: t.doneMs ?? null,
    events: t.events.length,
    expected_events: t.probe?.events ?? null,
    status: t.status ?? null,
    end: t.end,
    phases: t.phases,
    headers: t.headers,
    hops: d.hops,
    fingerprints: d.fingerprints.map((f) => ({
      header: f.header,
      value: f.value,
      hop: f.hop ?? null,
      meaning: f.meaning,
    })),
    causes: d.causes.map((c) => ({
      id: c.id,
      severity: c.severity,
      title: c.title,
      evidence: c.evidence,
      measures: c.measures,
      hops: c.hops,
      suspected: c.suspected,
      fix: fixSummary(c.fixes),
      fixes: c.fixes.map((f) => ({
        hop: f.hop,
        text: f.text,
        where: f.where ?? null,
        snippet: f.snippet ?? null,
      })),
    })),
    timeline: t.events.map((e) => {
      const p = placed.get(e.seq);
      return {
        seq: e.seq,
        arrival_ms: e.t,
        sent_ms: e.sentMs ?? null,
        hold_ms: p === undefined ? null : round(p.holdMs, 0.01),
        read: e.read,
        bytes: e.bytes,
      };
    }),
    reads: t.reads,
  };
}

/** With --compare: the run that found a problem (or the first) on top, both in `compare.runs`. */
export function comparisonJson(
  c: Comparison,
): DoctorJson & { compare: { difference: string; runs: DoctorJson[] } } {
  const runs = c.runs.map(diagnosisJson);
  const top = runs.find((r) => r.verdict === c.verdict) ?? runs[0];
  if (top === undefined) throw new Error('a comparison has two runs');
  return { ...top, verdict: c.verdict, compare: { difference: c.difference, runs } };
}
