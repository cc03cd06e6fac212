/**
 * Turning a finding into a cause: which hops it is blamed on and the fixes for them. Headers name
 * hops; when none does, the numbers may suggest some (a 50 s cut: HAProxy), and the cause says
 * they are only suspected. Compression is blamed first when the stream came compressed and bursty.
 *
 * A hop that names itself is not the culprit for being the only one that does (issue 15: a cut
 * by a silent HAProxy was blamed on the nginx in front of it). When the path shows a hop that
 * adds no header, a fault that no header ties to a named hop is not pinned: the cause says where
 * it may sit, marks the guess, and lists the fixes of every suspect, the silent one first.
 */
import type { Cause, Finding, Severity } from './diagnosis.ts';
import { type Fingerprint, HOP_NAMES, type HopId, hopsOf } from './fingerprints.ts';
import type { FixKind } from './fix-table.ts';
import { genericFix, hopFix, keepaliveFix, type Fix } from './fixes.ts';
import { describeHops, namedIds, type PathView } from './path.ts';

const HOLDING_KINDS: readonly FixKind[] = [
  'buffering',
  'one-behind',
  'headers-held',
  'periodic',
  'not-streaming',
];

/** nginx's proxy buffer sizes (one or two memory pages): with X-Accel-Buffering gone, nginx's own. */
const NGINX_BUFFERS = [4096, 8192];

export function toCause(
  finding: Finding,
  fingerprints: readonly Fingerprint[],
  severity: Severity,
  path?: PathView,
): Cause {
  const has = (signal: Fingerprint['signal']): boolean =>
    fingerprints.some((f) => f.signal === signal);
  let kinds = [...finding.fixKinds];
  if (has('content-encoding') && kinds.some((k) => HOLDING_KINDS.includes(k))) {
    // A compressor is the likeliest holder; a proxy buffer only if a header shows one too.
    const bufferSeen = has('accel-consumed') || has('content-length');
    kinds = ['compression', ...kinds.filter((k) => k !== 'buffering' || bufferSeen)];
  }
  const named = path === undefined ? hopsOf(fingerprints) : namedIds(path);
  const silent = path?.silent ?? [];
  const base = {
    id: finding.id,
    severity,
    title: finding.title,
    evidence: finding.evidence,
    measures: finding.measures,
    ...(finding.borderline === undefined ? {} : { borderline: finding.borderline }),
    ...(finding.verdict === undefined ? {} : { verdict: finding.verdict }),
    finding,
  };
  const primary = kinds[0];
  const extra = kinds.includes('idle-timeout') ? [keepaliveFix(finding.fixDetail?.cutMs)] : [];

  if (silent.length > 0 && kinds.length > 0 && !pinned(finding, kinds, has)) {
    const silentSuspects = unique(silent.flatMap((s) => s.candidates));
    const numbers = unique([...(finding.candidates ?? []), ...periodCandidates(finding)]);
    const suspects = unique([...silentSuspects, ...numbers, ...named]);
    const fixes = fixesOf(kinds, suspects);
    if (primary !== undefined) fixes.push(genericFix(primary, finding.fixDetail));
    const others = path === undefined ? '' : describeHops(path.named);
    const where = silent.map((s) => s.where).join('; or ');
    return {
      ...base,
      evidence: [...finding.evidence, ...silent.map((s) => s.evidence)],
      hops: hopsWithFixes(fixes, suspects),
      suspected: true,
      suspect:
        others === '' ? `not named by any header: ${where}` : `not pinned: ${where}, or ${others}`,
      fixes: [...fixes, ...extra],
    };
  }

  let fixes = fixesOf(kinds, named);
  let hops = hopsWithFixes(fixes, named);
  let suspected = false;
  let suspect: string | undefined;
  if (fixes.length === 0) {
    const candidates = unique([...(finding.candidates ?? []), ...periodCandidates(finding)]);
    fixes = fixesOf(kinds, candidates);
    hops = hopsWithFixes(fixes, candidates);
    suspected = fixes.length > 0;
    if (suspected) {
      suspect = `not named by any header; suspected from the numbers: ${hops.map((h) => HOP_NAMES[h]).join(', ')}`;
    }
    if (primary !== undefined) fixes.push(genericFix(primary, finding.fixDetail));
  }
  return {
    ...base,
    hops: hops.length > 0 ? hops : named,
    suspected,
    ...(suspect === undefined ? {} : { suspect }),
    fixes: [...fixes, ...extra],
  };
}

/**
 * A header ties the fault to a named hop, whatever else is on the path: the compressor shows in
 * Content-Encoding, a cache in its HIT header, and nginx's buffer in its size once it took
 * X-Accel-Buffering.
 */
function pinned(
  finding: Finding,
  kinds: readonly FixKind[],
  has: (signal: Fingerprint['signal']) => boolean,
): boolean {
  if (kinds[0] === 'compression') return true;
  if (kinds.includes('cache') && has('cache-hit')) return true;
  const size = finding.measures['buffer_bytes'];
  return (
    finding.id === 'size-bursts' &&
    has('accel-consumed') &&
    size !== undefined &&
    NGINX_BUFFERS.includes(size)
  );
}

function unique<T>(items: readonly T[]): T[] {
  return items.filter((item, i) => items.indexOf(item) === i);
}

/** The hops' own fixes for these kinds, kind by kind, each text once. */
export function fixesOf(kinds: readonly FixKind[], hops: readonly HopId[]): Fix[] {
  const fixes: Fix[] = [];
  for (const kind of kinds) {
    for (const hop of hops) {
      const fix = hopFix(kind, hop);
      if (fix !== undefined && !fixes.some((f) => f.text === fix.text)) fixes.push(fix);
    }
  }
  return fixes;
}

/** The hops some fix is for. */
export function hopsWithFixes(fixes: readonly Fix[], hops: readonly HopId[]): HopId[] {
  return hops.filter((hop) => fixes.some((f) => f.hop === hop));
}

/**
 * A flush every 150–450 ms is the kernel's 200 ms cork timer (tcp(7), TCP_CORK) plus the next
 * write: HAProxy sends bodies with MSG_MORE unless `option http-no-delay`.
 */
function periodCandidates(finding: Finding): HopId[] {
  const period = finding.fixDetail?.periodMs;
  return period !== undefined && period >= 150 && period <= 450 ? ['haproxy'] : [];
}
