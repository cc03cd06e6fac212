/** The benchmark's results: per-point summaries, a markdown table and an SVG chart. */
import { renderCpuRatios } from './cpu-ratios.ts';
import type { LoadResult } from './loadgen.ts';
import { type MetricsOverhead, metricsOverhead, renderOverhead } from './metrics-overhead.ts';
import type { Point } from './run.ts';
import { median, round } from './stats.ts';
import { TARGET_NAMES, type TargetName } from './targets.ts';

export interface RunRecord {
  readonly point: Point;
  readonly rep: number;
  readonly target: TargetName;
  readonly load: LoadResult;
  readonly cpuS: number;
  readonly idleKiB: number;
  readonly peakKiB: number;
}

export interface TargetSummary {
  /** Per-event delay added over direct, ms (medians over repetitions). */
  readonly addedP50: number;
  readonly addedP99: number;
  readonly addedMax: number;
  readonly addedTtfbP50: number;
  readonly addedTtfbP99: number;
  readonly cpuPer1000: number;
  readonly peakMiB: number;
  readonly kibPerStream: number;
  readonly failed: number;
  readonly lostEvents: number;
  readonly harnessCpuPct: number;
}

export interface PointSummary {
  readonly point: Point;
  readonly targets: Readonly<Partial<Record<TargetName, TargetSummary>>>;
  /** `sluice` over `sluice-no-metrics`, when both ran. */
  readonly metrics?: MetricsOverhead;
}

export function summarize(point: Point, records: readonly RunRecord[]): PointSummary {
  const baseline = (rep: number) =>
    records.find((r) => r.target === 'direct' && r.rep === rep)?.load;
  const targets: Partial<Record<TargetName, TargetSummary>> = {};
  for (const name of ['direct', ...TARGET_NAMES] as const) {
    const runs = records.filter((r) => r.target === name);
    if (runs.length === 0) continue;
    const added = (pick: (l: LoadResult) => number) =>
      median(
        runs.map((r) => pick(r.load) - (name === 'direct' ? 0 : pick(baseline(r.rep) ?? r.load))),
      );
    targets[name] = {
      addedP50: round(
        added((l) => l.delayMs.p50),
        3,
      ),
      addedP99: round(
        added((l) => l.delayMs.p99),
        3,
      ),
      addedMax: round(
        added((l) => l.delayMs.max),
        3,
      ),
      addedTtfbP50: round(
        added((l) => l.ttfbMs.p50),
        3,
      ),
      addedTtfbP99: round(
        added((l) => l.ttfbMs.p99),
        3,
      ),
      cpuPer1000: round(median(runs.map((r) => r.cpuS / (Math.max(1, r.load.events) / 1000))), 4),
      peakMiB: round(median(runs.map((r) => r.peakKiB / 1024)), 1),
      kibPerStream: round(median(runs.map((r) => (r.peakKiB - r.idleKiB) / point.concurrency)), 1),
      failed: runs.reduce((n, r) => n + r.load.failed, 0),
      lostEvents: runs.reduce((n, r) => n + r.load.lostEvents, 0),
      harnessCpuPct: round(median(runs.map((r) => (100 * r.load.harnessCpuS) / r.load.wallS)), 0),
    };
  }
  const metrics = metricsOverhead(records);
  return { point, targets, ...(metrics === undefined ? {} : { metrics }) };
}

export function renderTable(
  summaries: readonly PointSummary[],
  meta: { date: string; machine: string; pinning: string; quick: boolean },
): string {
  const lines = [
    `# Sluice benchmark${meta.quick ? ' (quick run)' : ''}`,
    '',
    `${meta.date} · ${meta.machine} · pinning: ${meta.pinning}.`,
    'Delays and TTFB are what each target adds over the direct run of the same repetition (medians over repetitions); `direct` shows its absolute values. CPU is the target processes’ user+system time per 1000 relayed events; memory is resident set size (peak, and peak minus idle per open stream, from 100 streams up). Every measurement starts on a fresh, warmed-up target process. Sluice runs with a key, usage metering (SQLite), limits checks and metrics on (`/metrics` read every second), as deployed; `sluice-no-metrics` is the same Sluice without metrics. `node` is the Node.js floor (bench/node-relay.ts): node:http in, undici out, chunks framed straight to the socket, nothing else — what any relay on Node pays.',
  ];
  if (summaries.some((s) => s.targets.baseline !== undefined)) {
    lines.push(
      '`baseline` is the Sluice of another checkout (`BENCH_BASELINE`), set up and measured as `sluice` is, in the same repetitions: before and after a change, in one run.',
    );
  }
  if (summaries.some((s) => s.targets.pipe !== undefined)) {
    lines.push(
      '`pipe` (bench/pipe-relay.ts) is beneath that floor: a TCP byte pipe in Node, no HTTP parsed or framed — what Node costs before any HTTP library does anything.',
    );
  }
  lines.push('');
  for (const { point, targets } of summaries) {
    lines.push(
      `## ${point.concurrency} stream${point.concurrency === 1 ? '' : 's'}${point.rounds === undefined ? '' : ` × ${point.rounds} in a row`} · ${point.events} events every ${point.intervalMs} ms · ${point.reps} repetition${point.reps === 1 ? '' : 's'}`,
      '',
      '| target | delay p50 / p99 / max (ms) | TTFB p50 / p99 (ms) | CPU s / 1000 events | peak RSS (MiB) | KiB per stream | failed / lost events | harness CPU |',
      '|---|---|---|---|---|---|---|---|',
    );
    for (const [name, t] of Object.entries(targets)) {
      const base = name === 'direct';
      const d = (v: number) => (base ? String(v) : signed(v));
      const own = (v: number) => (base ? '–' : String(v));
      lines.push(
        `| ${name} | ${d(t.addedP50)} / ${d(t.addedP99)} / ${d(t.addedMax)} | ${d(t.addedTtfbP50)} / ${d(t.addedTtfbP99)} | ${own(t.cpuPer1000)} | ${own(t.peakMiB)} | ${point.concurrency < 100 ? '–' : own(t.kibPerStream)} | ${t.failed} / ${t.lostEvents} | ${t.harnessCpuPct} % |`,
      );
    }
    lines.push('');
  }
  lines.push(
    ...renderCpuRatios(summaries),
    ...renderOverhead(
      summaries.flatMap(({ point, metrics }) =>
        metrics === undefined ? [] : [{ concurrency: point.concurrency, overhead: metrics }],
      ),
    ),
    '## Targets (DESIGN.md)',
    '',
    ...checks(summaries).map((c) => `- ${c.ok ? 'met' : '**missed**'}: ${c.text}`),
    '',
  );
  return lines.join('\n');
}

/** +0.12, −0.3: an added figure may be negative (noise, or a hop that smooths bursts). */
function signed(v: number): string {
  return v < 0 ? `−${-v}` : `+${v}`;
}

export function checks(summaries: readonly PointSummary[]): { ok: boolean; text: string }[] {
  const at = (c: number) => summaries.find((s) => s.point.concurrency === c)?.targets;
  const out: { ok: boolean; text: string }[] = [];
  const k = at(1000);
  if (k?.sluice && k.nginx) {
    out.push({
      ok: k.sluice.addedP50 <= 0.5,
      text: `added delay p50 at 1000 streams ≤ 0.5 ms: ${k.sluice.addedP50} ms`,
    });
    out.push({
      ok: k.sluice.addedP99 <= k.nginx.addedP99,
      text: `added delay p99 at 1000 streams no worse than nginx: ${k.sluice.addedP99} vs ${k.nginx.addedP99} ms`,
    });
  }
  const one = at(1);
  if (one?.sluice)
    out.push({
      ok: one.sluice.addedTtfbP50 <= 1,
      text: `added TTFB p50 at 1 stream ≤ 1 ms: ${one.sluice.addedTtfbP50} ms`,
    });
  for (const s of summaries) {
    const { sluice, nginx } = s.targets;
    if (sluice && nginx && s.point.concurrency >= 100) {
      out.push({
        ok: sluice.cpuPer1000 <= 2 * nginx.cpuPer1000,
        text: `CPU per 1000 events ≤ 2 × nginx at ${s.point.concurrency} streams: ${sluice.cpuPer1000} vs ${nginx.cpuPer1000} s (${round(sluice.cpuPer1000 / nginx.cpuPer1000, 2)} ×)`,
      });
    }
    if (sluice && s.point.concurrency >= 1000) {
      out.push({
        ok: sluice.kibPerStream <= 40,
        text: `memory ≤ 40 KiB per open stream at ${s.point.concurrency}: ${sluice.kibPerStream} KiB`,
      });
    }
    if (sluice) {
      out.push({
        ok: sluice.failed === 0 && sluice.lostEvents === 0,
        text: `no failed or incomplete streams at ${s.point.concurrency}: ${sluice.failed} failed, ${sluice.lostEvents} events lost`,
      });
    }
  }
  return out;
}

const SERIES = [
  { name: 'nginx', label: 'nginx (buffering off)', color: '#8a8f98' },
  { name: 'pipe', label: 'Node byte pipe', color: '#dbe7f7' },
  { name: 'node', label: 'bare Node relay', color: '#b9d3f5' },
  { name: 'raw', label: 'Node relay, raw upstream sockets', color: '#9cc0ee' },
  { name: 'sluice', label: 'Sluice', color: '#2f7de1' },
  { name: 'sluice-no-metrics', label: 'Sluice, no metrics', color: '#1b4f91' },
  { name: 'baseline', label: 'Sluice, baseline', color: '#f0a04b' },
] as const;

/** Added per-event delay p99 and CPU per 1000 events, nginx and the Node floors beside Sluice. */
export function renderChart(summaries: readonly PointSummary[], date: string): string {
  const width = 860;
  const gap = 90;
  const h = 220;
  const series = SERIES.filter(({ name }) => summaries.some((s) => s.targets[name] !== undefined));
  const barW = Math.min(20, Math.floor((gap - 10) / Math.max(1, series.length)) - 2);
  const panel = (title: string, x0: number, pick: (t: TargetSummary) => number, unit: string) => {
    const values = summaries.map((s) => series.map(({ name }) => s.targets[name]));
    const max = Math.max(0.001, ...values.flat().map((t) => (t === undefined ? 0 : pick(t))));
    let svg = `<text x="${x0}" y="30" font-size="14" font-weight="bold">${title}</text>`;
    summaries.forEach((s, i) => {
      const x = x0 + 10 + i * gap;
      series.forEach(({ name, color }, j) => {
        const t = s.targets[name];
        if (t === undefined) return;
        const value = pick(t);
        const bh = Math.max(1, (Math.max(0, value) / max) * h);
        const bx = x + j * (barW + 2);
        svg += `<rect x="${bx}" y="${50 + h - bh}" width="${barW}" height="${bh}" fill="${color}"><title>${name}: ${value} ${unit}</title></rect>`;
        svg += `<text x="${bx + barW / 2}" y="${45 + h - bh}" font-size="8" text-anchor="middle">${round(value, 2)}</text>`;
      });
      svg += `<text x="${x + (series.length * (barW + 2)) / 2}" y="${50 + h + 16}" font-size="11" text-anchor="middle">C=${s.point.concurrency}</text>`;
    });
    return svg;
  };
  const legend = series
    .map(
      ({ label, color }, i) =>
        `<rect x="${10 + i * 170}" y="300" width="12" height="12" fill="${color}"/><text x="${26 + i * 170}" y="310" font-size="11">${label}</text>`,
    )
    .join('\n');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="330" font-family="sans-serif">
<rect width="100%" height="100%" fill="white"/>
${panel('Added delay p99 (ms)', 10, (t) => t.addedP99, 'ms')}
${panel('CPU s per 1000 events', 440, (t) => t.cpuPer1000, 's')}
${legend}
<text x="${width - 10}" y="310" font-size="10" text-anchor="end">npm run bench · ${date}</text>
</svg>
`;
}
