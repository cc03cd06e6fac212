/**
 * `sluice doctor --json` (DESIGN.md contract): verdict, ttfb_ms, first_event_ms, events,
 * timeline, causes[{id, evidence, fix}], plus more that scripts may find useful.
 */
import type { ChainResult } from './chain.ts';
import type { Comparison } from './compare.ts';
import type { Diagnosis, Verdict } from './diagnosis.ts';
import { fixSummary } from './fixes.ts';
import { round } from './stats.ts';

export interface DoctorJson {
  readonly verdict: Verdict;
  readonly url: string;
  readonly mode: string;
  /** Chat mode: `chat`, `messages` or `responses` (`--api`); null for the probe. */
  readonly api: string | null;
  readonly ttfb_ms: number | null;
  readonly first_event_ms: number | null;
  readonly done_ms: number | null;
  readonly events: number;
  readonly expected_events: number | null;
  readonly status: number | null;
  readonly end: Diagnosis['timeline']['end'];
  readonly phases: Diagnosis['timeline']['phases'];
  /** `http/1.1` or `h2` (with --http2); null when no connection was made. */
  readonly protocol: string | null;
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
  /** The hops on the path, as the probe saw the request arrive (null without a probe). */
  readonly path: PathJson | null;
  /** Earlier measurements, when a borderline result was measured again. */
  readonly earlier: readonly { verdict: string; cause: string; title: string }[];
}

interface PathJson {
  /** The HTTP version of the request that reached Sluice. */
  readonly http_version: string | null;
  /** Hops between the doctor and Sluice, at least. */
  readonly at_least: number;
  readonly named: readonly { hop: string | null; name: string; evidence: readonly string[] }[];
  /** Hops that add no header, inferred from what they did to the request. */
  readonly silent: readonly {
    where: string;
    evidence: string;
    candidates: readonly string[];
    count: number;
  }[];
  /** X-Forwarded-For (or Forwarded) entries. */
  readonly forwarders: number;
  /** The probe echoed another run's token: a recording. */
  readonly replayed: boolean;
  readonly notes: readonly string[];
  /** The hop headers that reached Sluice, addresses as their kind. */
  readonly request_headers: Readonly<Record<string, string>>;
}

interface CauseJson {
  readonly id: string;
  readonly severity: string;
  readonly title: string;
  readonly evidence: readonly string[];
  readonly measures: Readonly<Record<string, number>>;
  readonly hops: readonly string[];
  readonly suspected: boolean;
  /** With `suspected`: who may be at fault, in words. */
  readonly suspect: string | null;
  /** The doctor measured again before saying so (or would have, had this been the first run). */
  readonly borderline: boolean;
  /** All fixes as text, one per line. */
  readonly fix: string;
  readonly fixes: readonly {
    hop: string;
    text: string;
    where: string | null;
    snippet: string | null;
    /** A fix for a hop only suspected: a guess, not a finding. */
    suspected: boolean;
  }[];
}

/** One event; sent_ms and hold_ms only for the probe, whose events carry their send times. */
interface TimelineRow {
  readonly seq: number;
  readonly arrival_ms: number;
  readonly sent_ms: number | null;
  readonly hold_ms: number | null;
  /** Lateness a stall of the doctor's own process may explain, not counted in hold_ms. */
  readonly own_stall_ms: number | null;
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
    api: t.mode === 'chat' ? (t.api ?? 'chat') : null,
    ttfb_ms: t.phases.firstByteMs ?? t.phases.headersMs ?? null,
    first_event_ms: t.events[0]?.t ?? null,
    done_ms: t.doneMs ?? null,
    events: t.events.length,
    expected_events: t.probe?.events ?? null,
    status: t.status ?? null,
    end: t.end,
    phases: t.phases,
    protocol: t.protocol ?? null,
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
      suspect: c.suspect ?? null,
      borderline: c.borderline ?? false,
      fix: fixSummary(c.fixes),
      fixes: c.fixes.map((f) => ({
        hop: f.hop,
        text: f.text,
        where: f.where ?? null,
        snippet: f.snippet ?? null,
        suspected: c.suspected && f.hop !== 'sluice' && f.hop !== 'any',
      })),
    })),
    timeline: t.events.map((e) => {
      const p = placed.get(e.seq);
      return {
        seq: e.seq,
        arrival_ms: e.t,
        sent_ms: e.sentMs ?? null,
        hold_ms: p === undefined ? null : round(p.holdMs, 0.01),
        own_stall_ms: p === undefined ? null : round(p.ownStallMs, 0.01),
        read: e.read,
        bytes: e.bytes,
      };
    }),
    reads: t.reads,
    path: pathJson(d),
    earlier: d.earlier ?? [],
  };
}

function pathJson(d: Diagnosis): PathJson | null {
  const p = d.path;
  if (!p.seen) return null;
  return {
    http_version: p.httpVersion ?? null,
    at_least: p.atLeast,
    named: p.named.map((h) => ({ hop: h.hop ?? null, name: h.name, evidence: h.evidence })),
    silent: p.silent.map((s) => ({
      where: s.where,
      evidence: s.evidence,
      candidates: s.candidates,
      count: s.count,
    })),
    forwarders: p.forwarders,
    replayed: p.replayed,
    notes: p.notes,
    request_headers: p.requestHeaders,
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

/**
 * With --chain: the point where the problem first appears (or the outermost) on top, every
 * point in `chain.runs`, and the problem attributed to that point's hop in `chain.culprit`.
 */
export function chainJson(c: ChainResult): DoctorJson & {
  chain: {
    summary: string;
    culprit: { index: number; url: string; name: string; cause: CauseJson } | null;
    runs: DoctorJson[];
  };
} {
  const runs = c.runs.map(diagnosisJson);
  const top = runs[c.culprit?.index ?? 0];
  if (top === undefined) throw new Error('a chain has runs');
  const culprit = c.culprit;
  const at = culprit === undefined ? undefined : c.runs[culprit.index];
  const cause =
    culprit === undefined || at === undefined
      ? undefined
      : diagnosisJson({ ...at, causes: [culprit.cause] }).causes[0];
  return {
    ...top,
    verdict: c.verdict,
    chain: {
      summary: c.summary,
      culprit:
        culprit === undefined || cause === undefined
          ? null
          : { index: culprit.index, url: top.url, name: culprit.name, cause },
      runs,
    },
  };
}
