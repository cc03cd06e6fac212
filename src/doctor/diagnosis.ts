/** What the doctor concludes: a verdict, and the causes behind it with evidence and fixes. */
import type { Fingerprint, HopId } from './fingerprints.ts';
import type { FixDetail, Fix } from './fixes.ts';
import type { FixKind } from './fix-table.ts';
import type { PathView } from './path.ts';
import type { Release } from './releases.ts';
import type { PlacedEvent } from './schedule.ts';
import type { Timeline } from './timeline.ts';

/** DESIGN.md, doctor `--json`. */
export type Verdict = 'ok' | 'buffered' | 'delayed' | 'cut' | 'unreachable' | 'error';

export type CauseId =
  | 'healthy'
  | 'fully-buffered'
  | 'size-bursts'
  | 'one-behind'
  | 'periodic-flush'
  | 'headers-held'
  | 'irregular-delays'
  | 'idle-cut'
  | 'total-cut'
  | 'cached-replay'
  | 'not-streaming'
  | 'stalled'
  | 'compressed-stream'
  | 'tls-inspection'
  | 'upstream-error'
  | 'http-error'
  | 'not-a-probe'
  | 'untrusted-certificate'
  | 'unreachable';

export type Severity = 'problem' | 'warning' | 'ok';

/** A finding before hops and fixes are attached. */
export interface Finding {
  readonly id: CauseId;
  readonly title: string;
  readonly evidence: readonly string[];
  /** The numbers behind the evidence, for --json. */
  readonly measures: Readonly<Record<string, number>>;
  /** Which kinds of fix apply; empty for findings with nothing to fix. */
  readonly fixKinds: readonly FixKind[];
  readonly fixDetail?: FixDetail;
  /** Hops suspected from the numbers alone (a cut time, a flush period), not named by headers. */
  readonly candidates?: readonly HopId[];
  /** Close enough to the thresholds that the doctor measures again before calling it a problem. */
  readonly borderline?: boolean;
  /** When the measured hold, not the kind, decides: a 200 ms flush timer delays, it does not buffer. */
  readonly verdict?: Verdict;
}

export interface Cause {
  readonly id: CauseId;
  readonly severity: Severity;
  readonly title: string;
  readonly evidence: readonly string[];
  readonly measures: Readonly<Record<string, number>>;
  /** The hops the fixes are for: named by headers, or suspected (then `suspected` says so). */
  readonly hops: readonly HopId[];
  readonly suspected: boolean;
  /** With `suspected`: who may be at fault, in words ("a hop between nginx and Sluice …"). */
  readonly suspect?: string;
  readonly fixes: readonly Fix[];
  readonly borderline?: boolean;
  /** Overrides the verdict of the cause's kind (see Finding.verdict). */
  readonly verdict?: Verdict;
  /** What it was made from, to attribute it again to one segment of a --chain. */
  readonly finding?: Finding;
}

/** An earlier measurement of the same target, kept when a borderline one was repeated. */
export interface EarlierRun {
  readonly verdict: Verdict;
  readonly cause: CauseId;
  readonly title: string;
}

export interface Diagnosis {
  readonly verdict: Verdict;
  /** Problems first; a healthy stream has one `healthy` cause, plus any warnings. */
  readonly causes: readonly Cause[];
  readonly fingerprints: readonly Fingerprint[];
  readonly hops: readonly HopId[];
  readonly timeline: Timeline;
  /** Probe events against their send schedule (absent in chat mode). */
  readonly placed?: readonly PlacedEvent[];
  readonly releases: readonly Release[];
  /** The hops on the path, both ways, and the silent ones. */
  readonly path: PathView;
  /** Measurements of the same target before this one (a borderline result is measured again). */
  readonly earlier?: readonly EarlierRun[];
}

const VERDICT_OF: Readonly<Record<CauseId, Verdict>> = {
  healthy: 'ok',
  'compressed-stream': 'ok',
  'tls-inspection': 'ok',
  'fully-buffered': 'buffered',
  'size-bursts': 'buffered',
  'periodic-flush': 'buffered',
  'cached-replay': 'buffered',
  'not-streaming': 'buffered',
  'one-behind': 'delayed',
  'headers-held': 'delayed',
  'irregular-delays': 'delayed',
  stalled: 'delayed',
  'idle-cut': 'cut',
  'total-cut': 'cut',
  'upstream-error': 'error',
  'http-error': 'error',
  'not-a-probe': 'error',
  'untrusted-certificate': 'unreachable',
  unreachable: 'unreachable',
};

/** Worst first: a stream that was cut and buffered is reported as cut. */
const VERDICT_ORDER: readonly Verdict[] = [
  'unreachable',
  'error',
  'cut',
  'buffered',
  'delayed',
  'ok',
];

export function verdictOf(
  causes: readonly (Pick<Cause, 'id' | 'severity'> & { readonly verdict?: Verdict })[],
): Verdict {
  const verdicts = causes
    .filter((c) => c.severity === 'problem')
    .map((c) => c.verdict ?? VERDICT_OF[c.id]);
  return VERDICT_ORDER.find((v) => verdicts.includes(v)) ?? 'ok';
}

/** Every problem is borderline: worth a second measurement before a verdict. */
export function isBorderline(diagnosis: Diagnosis): boolean {
  const problems = diagnosis.causes.filter((c) => c.severity === 'problem');
  return problems.length > 0 && problems.every((c) => c.borderline === true);
}

export function worstVerdict(verdicts: readonly Verdict[]): Verdict {
  return VERDICT_ORDER.find((v) => verdicts.includes(v)) ?? 'ok';
}

/** Findings that never fail the run: noted in the report, exit code 0. */
export const WARNING_IDS: readonly CauseId[] = ['compressed-stream', 'tls-inspection'];
