/** What `sluice nginx --lint` reports: one finding per problem, with where and how to fix it. */

/**
 * `error`: streams are held back, cut or replayed — exit 1. `warning`: works for Sluice's
 * streams today but is fragile or costly. `note`: does nothing for streaming, or worth knowing.
 */
export type Severity = 'error' | 'warning' | 'note';

export interface Finding {
  readonly severity: Severity;
  /** Stable id, e.g. `buffering-forced`, for scripts reading `--json`. */
  readonly rule: string;
  readonly file: string;
  readonly line: number;
  readonly message: string;
  readonly fix: string;
  /** The proxying location concerned, e.g. `location /v1/ in server chat.example.com`. */
  readonly location?: string;
}

export interface LintResult {
  readonly findings: readonly Finding[];
  /** Labels of the locations that proxy, i.e. where Sluice's streams are assumed to pass. */
  readonly locations: readonly string[];
  /** Files read, main first. */
  readonly files: readonly string[];
}

const ORDER: Readonly<Record<Severity, number>> = { error: 0, warning: 1, note: 2 };

/** By file (in reading order), line, then severity; one finding per rule and place. */
export function sortFindings(findings: readonly Finding[], files: readonly string[]): Finding[] {
  const seen = new Set<string>();
  const unique = findings.filter((f) => {
    const key = `${f.rule}\0${f.file}\0${f.line}\0${f.location ?? ''}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  const fileIndex = (file: string) => {
    const index = files.indexOf(file);
    return index === -1 ? files.length : index;
  };
  return unique.sort(
    (a, b) =>
      fileIndex(a.file) - fileIndex(b.file) ||
      a.line - b.line ||
      ORDER[a.severity] - ORDER[b.severity] ||
      a.rule.localeCompare(b.rule),
  );
}
