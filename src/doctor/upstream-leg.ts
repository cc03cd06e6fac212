/**
 * Behind Sluice. Through a Sluice gateway, a `--key` stream ends with how the upstream's answer
 * reached Sluice (`probe/upstream-view.ts`), and the doctor reads those arrivals by the same rules
 * as its own. An answer already held on its way to Sluice was held between Sluice and the
 * provider — a relay at BASE_URL, a proxy in front of it, Sluice's egress proxy — whatever the
 * hops in front of Sluice do: the cause is put there, not on them. An answer that reached Sluice
 * as it was made and the doctor held was held in front of Sluice, and the cause says so.
 */
import type { UpstreamView } from '../probe/index.ts';
import { chatTimingFindings } from './chat-timing.ts';
import type { Cause, Finding, Severity } from './diagnosis.ts';
import { hopsOf, type HopId, readFingerprints } from './fingerprints.ts';
import { fixesOf, hopsWithFixes } from './attribution.ts';
import { fixesBehindSluice, genericFix } from './fixes.ts';
import { releasesOf } from './releases.ts';
import { formatMs } from './stats.ts';
import type { EventRecord, ReadRecord, Timeline } from './timeline.ts';

/** What a chat stream's arrivals can show a hop holding. */
const HOLDING: readonly Finding['id'][] = [
  'not-streaming',
  'size-bursts',
  'periodic-flush',
  'irregular-delays',
];

/** A finding about the way from Sluice to its provider, with what Sluice saw of it. */
export interface UpstreamLegFinding extends Finding {
  readonly upstream: UpstreamView;
}

export function isUpstreamLeg(finding: Finding): finding is UpstreamLegFinding {
  return 'upstream' in finding;
}

/**
 * The chat-mode findings with the way behind Sluice taken into account: a hold that was there
 * already when the answer reached Sluice replaces the doctor's own holding findings; otherwise
 * those say the answer reached Sluice in time.
 */
export function withUpstreamLeg(timeline: Timeline, front: readonly Finding[]): Finding[] {
  const upstream = timeline.upstream;
  if (upstream === undefined) return [...front];
  const counts = countsOf(upstream);
  const facts = hopFacts(upstream);
  const leg = upstreamTimeline(timeline, upstream);
  // Reads closer than 2 ms are one release, as the doctor's own in chat mode (classify.ts).
  const behind = chatTimingFindings(leg, releasesOf(leg, 2))
    .filter((f) => HOLDING.includes(f.id))
    .map((f): UpstreamLegFinding => ({
      ...f,
      title: `${f.title}, before Sluice`,
      evidence: [
        `Sluice received the answer so from its upstream (${counts}), before anything in front of it could hold it`,
        ...f.evidence.filter((e) => !e.startsWith('send times are unknown')),
        ...(facts.length === 0 ? [] : [`the way to the upstream: ${facts.join(' · ')}`]),
      ],
      upstream,
    }));
  if (behind.length > 0) return [...behind, ...front.filter((f) => !HOLDING.includes(f.id))];
  const inTime = `Sluice received the answer from its upstream as it was made (${counts}): the hold is between Sluice and the doctor`;
  return front.map((f) =>
    HOLDING.includes(f.id) ? { ...f, evidence: [...f.evidence, inTime] } : f,
  );
}

/** The cause of a hold behind Sluice: the hops the upstream's headers name, else suspects. */
export function upstreamLegCause(finding: UpstreamLegFinding, severity: Severity): Cause {
  const named = namedBehind(finding.upstream);
  const hops = [...named, 'upstream-leg' as const];
  // Hop by hop, the named hops' own fixes first (for the one behind Sluice), then the way's.
  const fixes = hops.flatMap((hop) =>
    hop === 'upstream-leg'
      ? fixesOf(finding.fixKinds, [hop])
      : fixesBehindSluice(finding.fixKinds, hop),
  );
  const kind = finding.fixKinds[0];
  if (fixes.length === 0 && kind !== undefined) fixes.push(genericFix(kind, finding.fixDetail));
  return {
    id: finding.id,
    severity,
    title: finding.title,
    evidence: finding.evidence,
    measures: finding.measures,
    hops: hopsWithFixes(fixes, hops),
    suspected: named.length === 0,
    ...(named.length === 0
      ? {
          suspect:
            'between Sluice and its provider: a relay at the upstream URL, a proxy in front of it, or the forward proxy Sluice goes out through',
        }
      : {}),
    fixes,
    ...(finding.borderline === undefined ? {} : { borderline: finding.borderline }),
    ...(finding.verdict === undefined ? {} : { verdict: finding.verdict }),
    finding,
  };
}

/** The upstream's reads as a timeline of their own, one event per event each completed. */
function upstreamTimeline(timeline: Timeline, upstream: UpstreamView): Timeline {
  const reads: ReadRecord[] = [];
  const events: EventRecord[] = [];
  upstream.reads.forEach(([t, bytes, count], read) => {
    reads.push({ t, bytes });
    for (let i = 0; i < count; i++) events.push({ t, read, bytes: 0, seq: events.length });
  });
  return {
    url: timeline.url,
    mode: 'chat',
    startedEpochMs: timeline.startedEpochMs,
    phases: {},
    headers: {},
    reads,
    events,
    comments: [],
    end: { kind: 'done', t: reads.at(-1)?.t ?? 0 },
  };
}

/** Hops the upstream's answer named (an admin's stream carries its `Server` and `Via`). */
function namedBehind(upstream: UpstreamView): HopId[] {
  const headers: Record<string, string> = {};
  if (upstream.server !== undefined) headers['server'] = upstream.server;
  if (upstream.via !== undefined) headers['via'] = upstream.via;
  const named = hopsOf(
    readFingerprints(headers, { sentAccelBuffering: false, isEventStream: true }),
  );
  return upstream.egress === 'proxy' ? [...named, 'egress-proxy'] : named;
}

/** One line on how the upstream's answer reached Sluice, for the report's `behind` field. */
export function describeUpstream(upstream: UpstreamView): string {
  const last = upstream.reads.at(-1)?.[0] ?? 0;
  return [
    `Sluice's upstream sent ${countsOf(upstream)}, the last ${formatMs(last)} after its headers`,
    ...hopFacts(upstream),
  ].join(' · ');
}

/** "40 events in 2 reads". */
function countsOf(upstream: UpstreamView): string {
  const reads = upstream.reads.length;
  const events = upstream.reads.reduce((n, [, , count]) => n + count, 0);
  const more = upstream.truncated === true ? ' or more' : '';
  return `${String(events)} event${events === 1 ? '' : 's'} in ${String(reads)} read${reads === 1 ? '' : 's'}${more}`;
}

/** What an admin's stream says of the way to the upstream: its headers, Sluice's proxy. */
function hopFacts(upstream: UpstreamView): string[] {
  const facts: string[] = [];
  if (upstream.server !== undefined) facts.push(`Server: ${upstream.server}`);
  if (upstream.via !== undefined) facts.push(`Via: ${upstream.via}`);
  if (upstream.egress === 'proxy') facts.push('through a forward proxy');
  if (upstream.egress === 'direct') facts.push('no forward proxy');
  return facts;
}
