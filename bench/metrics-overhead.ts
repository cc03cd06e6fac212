/**
 * What metrics cost Sluice, from one run: `sluice` (metrics on, `/metrics` read every second)
 * against `sluice-no-metrics` (the same Sluice with its metrics module swapped for one that does
 * nothing, bench/without-metrics.ts). Each repetition measures both within minutes of each other
 * on the same upstream, so they are compared repetition by repetition — ratios for CPU and
 * memory, differences for delays — and the medians of those are reported.
 */
import type { RunRecord } from './report.ts';
import { median, round } from './stats.ts';

export interface MetricsOverhead {
  /** Repetitions that measured both. */
  readonly pairs: number;
  /** CPU seconds per 1000 events with metrics and without (medians). */
  readonly cpuOn: number;
  readonly cpuOff: number;
  /** CPU with over without: the median of the repetitions' ratios, and their range. */
  readonly cpuRatio: number;
  readonly cpuRatioMin: number;
  readonly cpuRatioMax: number;
  /** Per-event delay and time to first byte with metrics minus without, ms. */
  readonly delayP50Ms: number;
  readonly delayP99Ms: number;
  readonly ttfbP50Ms: number;
  /** Memory per open stream with metrics over without; undefined below 100 streams. */
  readonly memoryRatio: number | undefined;
  /** Scrapes of `/metrics` while `sluice` was measured, and how many failed. */
  readonly scrapes: number;
  readonly scrapeFailures: number;
}

/** Undefined unless the records hold both targets in at least one repetition. */
export function metricsOverhead(records: readonly RunRecord[]): MetricsOverhead | undefined {
  const pairs: [RunRecord, RunRecord][] = [];
  for (const on of records) {
    if (on.target !== 'sluice') continue;
    const off = records.find((r) => r.target === 'sluice-no-metrics' && r.rep === on.rep);
    if (off !== undefined) pairs.push([on, off]);
  }
  if (pairs.length === 0) return undefined;
  const cpu = (r: RunRecord) => r.cpuS / (Math.max(1, r.load.events) / 1000);
  const kib = (r: RunRecord) => (r.peakKiB - r.idleKiB) / r.point.concurrency;
  const each = (f: (on: RunRecord, off: RunRecord) => number) =>
    median(pairs.map(([on, off]) => f(on, off)));
  const concurrency = pairs[0]?.[0].point.concurrency ?? 0;
  const cpuRatios = pairs.map(([on, off]) => cpu(on) / cpu(off));
  return {
    pairs: pairs.length,
    cpuOn: round(median(pairs.map(([on]) => cpu(on))), 4),
    cpuOff: round(median(pairs.map(([, off]) => cpu(off))), 4),
    cpuRatio: round(median(cpuRatios), 3),
    cpuRatioMin: round(Math.min(...cpuRatios), 3),
    cpuRatioMax: round(Math.max(...cpuRatios), 3),
    delayP50Ms: round(
      each((on, off) => on.load.delayMs.p50 - off.load.delayMs.p50),
      3,
    ),
    delayP99Ms: round(
      each((on, off) => on.load.delayMs.p99 - off.load.delayMs.p99),
      3,
    ),
    ttfbP50Ms: round(
      each((on, off) => on.load.ttfbMs.p50 - off.load.ttfbMs.p50),
      3,
    ),
    memoryRatio:
      concurrency < 100
        ? undefined
        : round(
            each((on, off) => kib(on) / kib(off)),
            3,
          ),
    scrapes: pairs.reduce((n, [on]) => n + (on.load.scrapes?.count ?? 0), 0),
    scrapeFailures: pairs.reduce((n, [on]) => n + (on.load.scrapes?.failed ?? 0), 0),
  };
}

/** The report's section on metrics: a row per point that measured both. */
export function renderOverhead(
  rows: readonly { readonly concurrency: number; readonly overhead: MetricsOverhead }[],
): string[] {
  if (rows.length === 0) return [];
  const signed = (v: number) => (v < 0 ? `−${-v}` : `+${v}`);
  return [
    '## What metrics cost',
    '',
    '`sluice` runs with its metrics on and `/metrics` read every second with its token (Prometheus usually scrapes every 15 s or more); `sluice-no-metrics` is the same Sluice with `src/telemetry/metrics.ts` swapped for a stand-in that does nothing (bench/without-metrics.ts). Compared repetition by repetition: CPU and memory as with ÷ without, delays as with − without, medians over the repetitions (the CPU ratio with its range). CPU time is read in 10 ms clock ticks: at one stream a run uses a few of them.',
    '',
    '| streams | CPU, with ÷ without | CPU s / 1000 events, with / without | delay p50 / p99, with − without (ms) | TTFB p50, with − without (ms) | KiB per stream, with ÷ without | scrapes (failed) |',
    '|---|---|---|---|---|---|---|',
    ...rows.map(
      ({ concurrency, overhead: o }) =>
        `| ${concurrency} | **${o.cpuRatio} ×**${o.pairs === 1 ? '' : ` (${o.cpuRatioMin}–${o.cpuRatioMax}, ${o.pairs} pairs)`} | ${o.cpuOn} / ${o.cpuOff} | ${signed(o.delayP50Ms)} / ${signed(o.delayP99Ms)} | ${signed(o.ttfbP50Ms)} | ${o.memoryRatio === undefined ? '–' : `${o.memoryRatio} ×`} | ${o.scrapes} (${o.scrapeFailures}) |`,
    ),
    '',
  ];
}
