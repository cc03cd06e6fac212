/** How lint findings are printed: compiler-style lines for people, JSON for scripts. */
import type { Finding, LintResult, Severity } from './findings.ts';

/** `file:line: severity: message (fix: …)`, one per finding, then a summary line. */
export function formatLintText(result: LintResult): string {
  const lines = result.findings.map(
    (f) =>
      `${f.file}:${f.line}: ${f.severity}: ${f.message}${f.location === undefined ? '' : ` [${f.location}]`} (fix: ${f.fix})`,
  );
  lines.push(summary(result));
  return `${lines.join('\n')}\n`;
}

export function formatLintJson(result: LintResult): string {
  const counts = countBySeverity(result.findings);
  return `${JSON.stringify(
    {
      ok: counts.error === 0,
      ...counts,
      locations: result.locations,
      files: result.files,
      findings: result.findings,
    },
    null,
    2,
  )}\n`;
}

export function countBySeverity(findings: readonly Finding[]): Record<Severity, number> {
  const counts: Record<Severity, number> = { error: 0, warning: 0, note: 0 };
  for (const finding of findings) counts[finding.severity]++;
  return counts;
}

function summary(result: LintResult): string {
  const counts = countBySeverity(result.findings);
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  const verdict =
    counts.error === 0 ? 'nothing here breaks streaming' : 'streams are held back or cut';
  return `${plural(counts.error, 'error')}, ${plural(counts.warning, 'warning')}, ${plural(counts.note, 'note')} in ${plural(result.locations.length, 'proxying location')} (${plural(result.files.length, 'file')}): ${verdict}.`;
}
