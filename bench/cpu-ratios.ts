/**
 * CPU per relayed event as ratios of one run: each target's CPU seconds per 1000 events over
 * nginx's (the C reference, DESIGN.md's target is 2 ×) and over the bare Node relay's (what any
 * relay on Node pays). The machine's speed drifts between runs (a shared VM: 10–40 %), the
 * ratios of one run much less; a `baseline` Sluice in the same run gives a change's before and
 * after as ratios too.
 */
import type { PointSummary, TargetSummary } from './report.ts';
import { round } from './stats.ts';

export interface CpuRatio {
  readonly concurrency: number;
  readonly target: string;
  readonly cpuPer1000: number;
  readonly overNginx: number | undefined;
  readonly overNode: number | undefined;
  /** Over the baseline Sluice, for the Sluice targets when a baseline ran. */
  readonly overBaseline: number | undefined;
}

const SLUICES = new Set(['sluice', 'sluice-no-metrics']);

export function cpuRatios(summaries: readonly PointSummary[]): CpuRatio[] {
  const rows: CpuRatio[] = [];
  for (const { point, targets } of summaries) {
    const { nginx, node, baseline } = targets;
    if (nginx === undefined && node === undefined) continue;
    const over = (t: TargetSummary, base: TargetSummary | undefined) =>
      base === undefined || base.cpuPer1000 <= 0
        ? undefined
        : round(t.cpuPer1000 / base.cpuPer1000, 2);
    for (const [name, t] of Object.entries(targets)) {
      if (name === 'direct') continue;
      rows.push({
        concurrency: point.concurrency,
        target: name,
        cpuPer1000: t.cpuPer1000,
        overNginx: name === 'nginx' ? undefined : over(t, nginx),
        overNode: name === 'node' ? undefined : over(t, node),
        overBaseline: SLUICES.has(name) ? over(t, baseline) : undefined,
      });
    }
  }
  return rows;
}

export function renderCpuRatios(summaries: readonly PointSummary[]): string[] {
  const rows = cpuRatios(summaries);
  if (rows.length === 0) return [];
  const withBaseline = rows.some((r) => r.overBaseline !== undefined);
  const cell = (v: number | undefined) => (v === undefined ? '–' : `${v} ×`);
  return [
    '## CPU per 1000 events, as ratios of this run',
    '',
    `Each target's CPU seconds per 1000 relayed events over nginx's (DESIGN.md's target for Sluice: ≤ 2 ×) and over the bare Node relay's${withBaseline ? ', and the Sluice targets over the baseline Sluice (`BENCH_BASELINE`)' : ''}. CPU time is read in 10 ms clock ticks: at one stream a run uses a few of them.`,
    '',
    `| streams | target | CPU s / 1000 events | × nginx | × bare Node relay |${withBaseline ? ' × baseline |' : ''}`,
    `|---|---|---|---|---|${withBaseline ? '---|' : ''}`,
    ...rows.map(
      (r) =>
        `| ${r.concurrency} | ${r.target} | ${r.cpuPer1000} | ${cell(r.overNginx)} | ${cell(r.overNode)} |${withBaseline ? ` ${cell(r.overBaseline)} |` : ''}`,
    ),
    '',
  ];
}
