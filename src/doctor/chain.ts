/**
 * `--chain URL1,URL2,…`: the same probe at each point of a chain, outermost first (the public
 * URL, then the address behind the CDN, behind nginx, … Sluice itself). Going from Sluice
 * outwards, the first point that shows the problem while the point behind it streams puts the
 * problem between the two: in the hop that answers there, whatever it says about itself. What
 * that hop is comes from what differs between the two points, both ways: a `Server` or `Via`
 * only the outer one shows, headers it added to the request, or its habit of writing names.
 */
import { toCause } from './attribution.ts';
import type { Cause, Diagnosis, Verdict } from './diagnosis.ts';
import { worstVerdict } from './diagnosis.ts';
import type { Fingerprint } from './fingerprints.ts';
import type { PathHop, PathView, SilentHop } from './path.ts';

export interface ChainResult {
  readonly verdict: Verdict;
  /** One diagnosis per point, outermost first. */
  readonly runs: readonly Diagnosis[];
  /** Where the problem first appears; absent when every point streams. */
  readonly culprit?: ChainCulprit;
  /** One paragraph for the report. */
  readonly summary: string;
}

export interface ChainCulprit {
  /** The point whose hop holds the problem (an index into `runs`). */
  readonly index: number;
  /** The hop, in words: "nginx at 127.0.0.1:8080", "the hop answering at 127.0.0.1:8081". */
  readonly name: string;
  /** The problem, attributed to that hop alone. */
  readonly cause: Cause;
}

export function chainDiagnoses(runs: readonly Diagnosis[]): ChainResult {
  const verdict = worstVerdict(runs.map((d) => d.verdict));
  const bad = (i: number): boolean => runs[i] !== undefined && runs[i].verdict !== 'ok';
  let index: number | undefined;
  for (let i = runs.length - 1; i >= 0; i--) {
    if (bad(i) && (i === runs.length - 1 || !bad(i + 1))) {
      index = i;
      break;
    }
  }
  const hosts = runs.map(label);
  if (index === undefined) {
    return { verdict, runs, summary: `every point streams: ${hosts.join(', ')}` };
  }
  const here = runs[index];
  const behind = runs[index + 1];
  if (here === undefined) throw new Error('the culprit is one of the runs');
  const primary = here.causes[0];
  const segment = segmentOf(here, behind, hosts[index] ?? '');
  const cause = segmentCause(here, behind, segment);
  const name =
    segment.named.length > 0
      ? `${segment.named.map((h) => h.name).join(' and ')} at ${hosts[index] ?? ''}`
      : `the hop answering at ${hosts[index] ?? ''}`;
  const problem = `${here.verdict} (${primary?.title ?? here.verdict})`;
  const outerOk = runs.slice(0, index).filter((d) => d.verdict === 'ok');
  const caveat =
    outerOk.length > 0
      ? ` (yet ${outerOk.map(label).join(', ')} streamed this time: the problem may come and go)`
      : '';
  const summary =
    behind === undefined
      ? `the problem is there already at the innermost point, ${hosts[index] ?? ''}: ${problem}. ` +
        'It sits behind that point (between it and Sluice) or in the server itself' +
        caveat
      : `the problem first appears at ${hosts[index] ?? ''}: ${hosts[index + 1] ?? ''} streams, ` +
        `${hosts[index] ?? ''} is ${problem}. So it sits in ${name}` +
        (segment.named.length === 0 && segment.silent.length === 0
          ? ', which names itself nowhere'
          : '') +
        caveat;
  return { verdict, runs, culprit: { index, name, cause }, summary };
}

function label(d: Diagnosis): string {
  return new URL(d.timeline.url).host;
}

/** What the outer point shows that the one behind it does not: the hop between them. */
function segmentOf(here: Diagnosis, behind: Diagnosis | undefined, host: string): PathView {
  const path = here.path;
  const key = (h: PathHop): string => h.hop ?? h.name;
  const innerNamed = new Set(behind?.path.named.map(key) ?? []);
  const innerSilent = new Set(behind?.path.silent.map((s) => s.evidence) ?? []);
  const named = path.named.filter((h) => !innerNamed.has(key(h)));
  const silent: SilentHop[] = path.silent
    .filter((s) => !innerSilent.has(s.evidence))
    .map((s) => ({ ...s, where: `the hop answering at ${host}` }));
  const forwarders = path.forwarders - (behind?.path.forwarders ?? 0);
  return {
    ...path,
    named,
    silent,
    forwarders,
    atLeast: named.length + silent.length,
  };
}

/** The point's primary problem, attributed to the segment's hops only. */
function segmentCause(here: Diagnosis, behind: Diagnosis | undefined, segment: PathView): Cause {
  const primary = here.causes.find((c) => c.severity === 'problem') ?? here.causes[0];
  if (primary?.finding === undefined) {
    if (primary === undefined) throw new Error('a diagnosis always has a cause');
    return primary;
  }
  const seenBehind = new Set((behind?.fingerprints ?? []).map(fingerprintKey));
  const fingerprints = here.fingerprints.filter((f) => !seenBehind.has(fingerprintKey(f)));
  return toCause(primary.finding, fingerprints, primary.severity, segment);
}

function fingerprintKey(f: Fingerprint): string {
  return `${f.signal}:${f.header}:${f.hop ?? ''}`;
}
