/**
 * `--compare URL2`: the same probe through two paths (say, Sluice directly and through nginx).
 * Whatever differs between the two results sits on the path one takes and the other does not.
 */
import { type Diagnosis, type Verdict, worstVerdict } from './diagnosis.ts';
import { HOP_NAMES, type Fingerprint } from './fingerprints.ts';

export interface Comparison {
  readonly verdict: Verdict;
  /** One paragraph: where the difference appears and what it is. */
  readonly difference: string;
  readonly runs: readonly [Diagnosis, Diagnosis];
}

export function compareDiagnoses(a: Diagnosis, b: Diagnosis): Comparison {
  const verdict = worstVerdict([a.verdict, b.verdict]);
  const nameA = label(a);
  const nameB = label(b);
  let difference: string;
  if (a.verdict === 'ok' && b.verdict === 'ok') {
    difference = `no difference: both ${nameA} and ${nameB} stream`;
  } else if (a.verdict === 'ok' || b.verdict === 'ok') {
    const [good, bad] = a.verdict === 'ok' ? [a, b] : [b, a];
    const extra = headerDifferences(good, bad);
    difference =
      `the difference appears between ${label(good)} and ${label(bad)}: ${label(bad)} is ` +
      `${bad.verdict} (${primaryTitle(bad)}) while ${label(good)} streams, so the problem sits ` +
      `on the part of the path only ${label(bad)} takes` +
      (extra.length > 0 ? `; there, ${extra.join('; ')}` : '');
  } else if (primaryId(a) === primaryId(b)) {
    difference =
      `both ${nameA} and ${nameB} show the same problem (${primaryTitle(a)}): it sits on the ` +
      'part of the path they share, or in the server itself';
  } else {
    difference =
      `${nameA} is ${a.verdict} (${primaryTitle(a)}) and ${nameB} is ${b.verdict} ` +
      `(${primaryTitle(b)}): more than one hop misbehaves`;
  }
  return { verdict, difference, runs: [a, b] };
}

function label(d: Diagnosis): string {
  const url = new URL(d.timeline.url);
  return url.host;
}

function primaryId(d: Diagnosis): string {
  return d.causes[0]?.id ?? 'healthy';
}

function primaryTitle(d: Diagnosis): string {
  return d.causes[0]?.title ?? d.verdict;
}

/**
 * Fingerprints the bad path shows and the good one does not, as readable clauses; then what the
 * probe saw arrive only on the bad path (hops named on the request, a silent hop's habits).
 */
function headerDifferences(good: Diagnosis, bad: Diagnosis): string[] {
  const key = (f: Fingerprint): string => `${f.signal}:${f.header}:${f.hop ?? ''}`;
  const seen = new Set(good.fingerprints.map(key));
  const clauses: string[] = [];
  for (const f of bad.fingerprints) {
    if (seen.has(key(f)) || f.signal === 'accel-passed') continue;
    if (f.signal === 'hop' && f.hop !== undefined) {
      clauses.push(`${f.header}: ${f.value} names ${HOP_NAMES[f.hop]}`);
    } else {
      clauses.push(f.meaning);
    }
  }
  const named = new Set(good.path.named.map((h) => h.name));
  for (const hop of bad.path.named) {
    const onRequest = hop.evidence.filter((e) => e.endsWith('on the request'));
    if (!named.has(hop.name) && onRequest.length > 0)
      clauses.push(`${onRequest.join(', ')} names ${hop.name}`);
  }
  const silent = new Set(good.path.silent.map((h) => h.evidence));
  for (const hop of bad.path.silent) {
    if (!silent.has(hop.evidence)) clauses.push(`${hop.where}: ${hop.evidence}`);
  }
  return clauses;
}
