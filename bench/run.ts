/**
 * `npm run bench`: Sluice's streaming overhead measured side by side with nginx, on loopback, in
 * one run. For each point (streams at once) and repetition, the same load goes to the upstream
 * directly, through nginx (buffering off) and through Sluice; what a target adds is measured
 * against direct in the same repetition. Medians over repetitions; results in docs/bench/.
 * `--quick` is a smoke run (under two minutes); `--reps N` repeats every point N times;
 * `--points 1,1000` runs only those points (numbers of streams).
 * Sluice runs twice, with its metrics scraped and without metrics: the report shows what they
 * cost as ratios (bench/metrics-overhead.ts). `--throughput` adds the throughput point
 * (bench/throughput.ts): events per second at p99 under 50 ms, nginx and Sluice on every core.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { LoadJob, LoadResult } from './loadgen.ts';
import { cpuModel, cpuSeconds, peakRss, rssKiB } from './procfs.ts';
import { HARNESS_CORE, HAS_TASKSET, startChild, TARGET_CORE } from './processes.ts';
import {
  renderChart,
  renderTable,
  type PointSummary,
  type RunRecord,
  summarize,
} from './report.ts';
import {
  DEFAULT_TARGETS,
  direct,
  type MeasuredName,
  SCRAPE_EVERY_MS,
  startTarget,
  startUpstream,
  type Target,
  TARGET_NAMES,
} from './targets.ts';
import { renderThroughput, runThroughput } from './throughput.ts';

export interface Point {
  readonly concurrency: number;
  /** Streams each of the `concurrency` slots runs back to back (more samples at C=1). */
  readonly rounds?: number;
  readonly events: number;
  readonly intervalMs: number;
  readonly reps: number;
}

/** ~250-byte events, as in DESIGN.md's reference run. */
const PAD = 70;

const FULL: readonly Point[] = [
  { concurrency: 1, rounds: 20, events: 20, intervalMs: 20, reps: 3 },
  { concurrency: 100, events: 50, intervalMs: 100, reps: 3 },
  { concurrency: 1000, events: 50, intervalMs: 100, reps: 3 },
  // 5000 streams at a longer interval keep the harness near 10 000 events/s on its core.
  { concurrency: 5000, events: 20, intervalMs: 500, reps: 2 },
];

const QUICK: readonly Point[] = [
  { concurrency: 1, rounds: 10, events: 20, intervalMs: 10, reps: 1 },
  { concurrency: 100, events: 20, intervalMs: 100, reps: 1 },
  { concurrency: 1000, events: 20, intervalMs: 100, reps: 1 },
];

/** Run on each fresh target process before it is measured, not recorded. */
const WARM_UP: Point = { concurrency: 50, events: 20, intervalMs: 5, reps: 1 };

async function main(): Promise<void> {
  // `--page`: the chat page's work per frame instead (bench/page-render.ts; its flags follow).
  if (process.argv[2] === '--page') {
    await (await import('./page-render.ts')).pageBench(process.argv.slice(3));
    return;
  }
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      targets: { type: 'string', default: DEFAULT_TARGETS.join(',') },
      reps: { type: 'string' },
      throughput: { type: 'boolean', default: false },
      points: { type: 'string' },
    },
  });
  const reps = values.reps === undefined ? undefined : repetitions(values.reps);
  const points = chosenPoints(values.quick ? QUICK : FULL, values.points).map((p) =>
    reps === undefined ? p : { ...p, reps },
  );
  const names = targetNames(values.targets);
  const machine = `${cpuModel()}, ${cpus().length} cores`;
  const pinning = !HAS_TASKSET
    ? 'none (taskset missing): targets and harness share the cores'
    : cpus().length <= HARNESS_CORE
      ? 'none (one core): targets and harness share it'
      : `taskset: targets on core ${TARGET_CORE}, load generator and upstream on core ${HARNESS_CORE}`;
  log(`machine: ${machine}; pinning: ${pinning}`);

  const upstream = await startUpstream(HARNESS_CORE);
  const targets: Target[] = [direct(upstream)];
  for (const name of names) targets.push(await startTarget(name, upstream, TARGET_CORE));
  const records: RunRecord[] = [];
  try {
    for (const point of points) {
      for (let rep = 0; rep < point.reps; rep++) {
        // Interleave: each repetition visits the targets in a rotated order.
        const order = targets.map((_, i) => targets[(i + rep) % targets.length] as Target);
        for (const target of order) {
          // A fresh process (started, or restarted after its last measurement), warmed up: a
          // first request pays for lazy compilation, connection pools and caches; a short
          // unrecorded run keeps that out of the figures.
          await measure(target, WARM_UP, 0);
          const record = await measure(target, point, rep);
          // Restarted now, not before its next turn: its connections go with its process. Left
          // running, each target measured kept its keep-alive connections to the upstream (up
          // to 5000, for minutes), and by the fifth target at 5000 streams they and their
          // TIME_WAITs held most of loopback's ephemeral ports towards the upstream: the next
          // targets could not connect (nginx's 502s, first bytes of seconds).
          await target.restart();
          records.push(record);
          log(
            `C=${point.concurrency} rep ${rep + 1}/${point.reps} ${target.name}: delay p50 ${record.load.delayMs.p50.toFixed(2)} ms, ` +
              `p99 ${record.load.delayMs.p99.toFixed(2)} ms, ttfb p50 ${record.load.ttfbMs.p50.toFixed(2)} ms, ` +
              `failed ${record.load.failed}${record.load.failed > 0 ? ` (first: ${record.load.errors[0] ?? '?'})` : ''}, cpu ${record.cpuS.toFixed(2)} s, harness ${((100 * record.load.harnessCpuS) / record.load.wallS).toFixed(0)} %` +
              (record.load.scrapes === undefined
                ? ''
                : `, scrapes ${record.load.scrapes.count} (${record.load.scrapes.failed} failed, ${Math.round(record.load.scrapes.bytes / 1024)} KiB)`),
          );
        }
      }
    }
  } finally {
    for (const target of targets) await target.stop();
    await upstream.child.stop();
  }

  const summaries: PointSummary[] = points.map((p) =>
    summarize(
      p,
      records.filter((r) => r.point === p),
    ),
  );
  const date = new Date().toISOString().slice(0, 10);
  const out = fileURLToPath(new URL('../docs/bench/', import.meta.url));
  mkdirSync(out, { recursive: true });
  const table =
    renderTable(summaries, { date, machine, pinning, quick: values.quick }) +
    (values.throughput ? `\n${renderThroughput(await runThroughput(log))}` : '');
  // A quick or partial run never replaces the full results.
  const file = values.quick ? 'quick.md' : values.points !== undefined ? 'points.md' : 'results.md';
  writeFileSync(`${out}${file}`, table);
  if (file === 'results.md') {
    writeFileSync(
      `${out}results.json`,
      JSON.stringify({ date, machine, pinning, summaries }, null, 2) + '\n',
    );
    writeFileSync(`${out}chart.svg`, renderChart(summaries, date));
  }
  process.stdout.write(`\n${table}`);
}

async function measure(target: Target, point: Point, rep: number): Promise<RunRecord> {
  const streamMs = point.events * point.intervalMs;
  const job: LoadJob = {
    url: target.url,
    headers: target.headers,
    concurrency: point.concurrency,
    ...(point.rounds === undefined ? {} : { rounds: point.rounds }),
    events: point.events,
    intervalMs: point.intervalMs,
    pad: PAD,
    rampMs: point.concurrency === 1 ? 0 : streamMs,
    deadlineMs: 2 * streamMs * (point.rounds ?? 1) + 30_000,
    ...(target.scrape === undefined
      ? {}
      : { scrape: { ...target.scrape, everyMs: SCRAPE_EVERY_MS } }),
  };
  const idleKiB = rssKiB(target.pids());
  const cpuBefore = cpuSeconds(target.pids());
  const peak = peakRss(() => target.pids());
  const child = await startChild(
    process.execPath,
    [fileURLToPath(new URL('./loadgen.ts', import.meta.url)), JSON.stringify(job)],
    { core: HARNESS_CORE },
  );
  const load = await child.firstJson<LoadResult>();
  const peakKiB = peak.stop();
  return {
    point,
    rep,
    target: target.name,
    load,
    cpuS: cpuSeconds(target.pids()) - cpuBefore,
    idleKiB,
    peakKiB,
  };
}

/** `--targets nginx,pipe,sluice`: which to measure beside direct, in the order of TARGET_NAMES. */
function targetNames(list: string): MeasuredName[] {
  const asked = list.split(',').map((name) => name.trim());
  for (const name of asked) {
    if (name !== 'direct' && !(TARGET_NAMES as readonly string[]).includes(name)) {
      // Nothing has been started yet: a usage error ends the run here (exit status 2).
      log(
        `--targets: unknown target "${name}"; choose from ${TARGET_NAMES.join(', ')} (direct always runs).`,
      );
      process.exit(2);
    }
  }
  return TARGET_NAMES.filter((name) => asked.includes(name));
}

/** `--points 1,1000`: only the points with these numbers of streams (all by default). */
function chosenPoints(all: readonly Point[], text: string | undefined): readonly Point[] {
  if (text === undefined) return all;
  const wanted = text.split(',').map(Number);
  const chosen = all.filter((p) => wanted.includes(p.concurrency));
  if (chosen.length !== wanted.length) {
    log(`--points: choose from ${all.map((p) => p.concurrency).join(', ')}; got "${text}".`);
    process.exit(2);
  }
  return chosen;
}

/** `--reps N`: a whole number from 1 to 20. */
function repetitions(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 20) {
    log(`--reps: a whole number from 1 to 20; got "${text}".`);
    process.exit(2);
  }
  return n;
}

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

await main();
