/**
 * Turning a finding into a cause: which hops it is blamed on and the fixes for them. Headers name
 * hops; when none does, the numbers may suggest some (a 50 s cut: HAProxy), and the cause says
 * they are only suspected. Compression is blamed first when the stream came compressed and bursty.
 */
import type { Cause, Finding, Severity } from './diagnosis.ts';
import { hopsOf, type Fingerprint, type HopId } from './fingerprints.ts';
import type { FixKind } from './fix-table.ts';
import { genericFix, hopFix, keepaliveFix, type Fix } from './fixes.ts';

const HOLDING_KINDS: readonly FixKind[] = [
  'buffering',
  'one-behind',
  'headers-held',
  'periodic',
  'not-streaming',
];

export function toCause(
  finding: Finding,
  fingerprints: readonly Fingerprint[],
  severity: Severity,
): Cause {
  const has = (signal: Fingerprint['signal']): boolean =>
    fingerprints.some((f) => f.signal === signal);
  let kinds = [...finding.fixKinds];
  if (has('content-encoding') && kinds.some((k) => HOLDING_KINDS.includes(k))) {
    // A compressor is the likeliest holder; a proxy buffer only if a header shows one too.
    const bufferSeen = has('accel-consumed') || has('content-length');
    kinds = ['compression', ...kinds.filter((k) => k !== 'buffering' || bufferSeen)];
  }
  const named = hopsOf(fingerprints);
  let fixes = fixesOf(kinds, named);
  let hops = hopsWithFixes(fixes, named);
  let suspected = false;
  if (fixes.length === 0) {
    const candidates = [...(finding.candidates ?? []), ...periodCandidates(finding)];
    fixes = fixesOf(kinds, candidates);
    hops = hopsWithFixes(fixes, candidates);
    suspected = fixes.length > 0;
    const primary = kinds[0];
    if (primary !== undefined) fixes.push(genericFix(primary, finding.fixDetail));
  }
  if (kinds.includes('idle-timeout')) fixes.push(keepaliveFix(finding.fixDetail?.cutMs));
  return {
    id: finding.id,
    severity,
    title: finding.title,
    evidence: finding.evidence,
    measures: finding.measures,
    hops: hops.length > 0 ? hops : named,
    suspected,
    fixes,
  };
}

function fixesOf(kinds: readonly FixKind[], hops: readonly HopId[]): Fix[] {
  const fixes: Fix[] = [];
  for (const kind of kinds) {
    for (const hop of hops) {
      const fix = hopFix(kind, hop);
      if (fix !== undefined && !fixes.some((f) => f.text === fix.text)) fixes.push(fix);
    }
  }
  return fixes;
}

function hopsWithFixes(fixes: readonly Fix[], hops: readonly HopId[]): HopId[] {
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
