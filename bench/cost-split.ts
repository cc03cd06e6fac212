/**
 * `node bench/cost-split.ts`: each target's CPU split into what a request costs (accept, auth,
 * body, routing, the upstream request, the record, the end) and what an event costs (read,
 * frame, tap, write). The benchmark's CPU per 1000 events mixes the two at 50 events a stream;
 * where to look for savings depends on which one a target pays more of.
 *
 * Two loads per target and repetition, both opened over the same ramp so requests arrive at
 * the same rate: `--streams` streams of 2 events, and as many of `--events` events, at 100 ms.
 * The CPU the long streams cost beyond the short ones is per event; what the short ones cost
 * beyond their events, per request. Medians over `--reps` (default 3), each repetition visiting
 * the targets in a rotated order on warmed-up processes, pinned as in `npm run bench`. Prints the
 * table and writes it to docs/bench/cost-split.md. Targets as in `npm run bench` (default
 * nginx,node,sluice).
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { LoadJob, LoadResult } from './loadgen.ts';
import { cpuModel, cpuSeconds } from './procfs.ts';
import { HARNESS_CORE, startChild, TARGET_CORE } from './processes.ts';
import { median, round } from './stats.ts';
import {
  type MeasuredName,
  startTarget,
  startUpstream,
  type Target,
  TARGET_NAMES,
} from './targets.ts';

const SHORT = 2;
const INTERVAL_MS = 100;
const PAD = 70;

const { values } = parseArgs({
  options: {
    targets: { type: 'string', default: 'nginx,node,sluice' },
    streams: { type: 'string', default: '500' },
    events: { type: 'string', default: '42' },
    reps: { type: 'string', default: '3' },
  },
});
const names = values.targets.split(',').map((name) => {
  if (!(TARGET_NAMES as readonly string[]).includes(name))
    throw new Error(`--targets: unknown target "${name}"; choose from ${TARGET_NAMES.join(', ')}.`);
  return name as MeasuredName;
});
const streams = whole(values.streams, 'streams', 10, 2000);
const long = whole(values.events, 'events', SHORT + 10, 200);
const reps = whole(values.reps, 'reps', 1, 10);
const rampMs = long * INTERVAL_MS;

type Load = Pick<LoadJob, 'concurrency' | 'events' | 'intervalMs' | 'rampMs'>;
/** As the benchmark warms up each target: lazy compilation, pools and caches out of the way. */
const WARM_UP: Load = { concurrency: 50, events: 20, intervalMs: 5, rampMs: 0 };
const LOAD: Omit<Load, 'events'> = { concurrency: streams, intervalMs: INTERVAL_MS, rampMs };

interface Split {
  readonly perRequestUs: number;
  readonly perEventUs: number;
  readonly failed: number;
}

const upstream = await startUpstream(HARNESS_CORE);
const targets: Target[] = [];
const splits = new Map<string, Split[]>();
try {
  for (const name of names) targets.push(await startTarget(name, upstream, TARGET_CORE));
  for (let rep = 0; rep < reps; rep++) {
    for (let i = 0; i < targets.length; i++) {
      const target = targets[(i + rep) % targets.length] as Target;
      // Not counted: V8 keeps optimising on its own threads (their CPU is the process's) for a
      // while after a warm-up; a second round lets that settle before the short load.
      await cpuOf(target, WARM_UP);
      await cpuOf(target, WARM_UP);
      const short = await cpuOf(target, { ...LOAD, events: SHORT });
      const longer = await cpuOf(target, { ...LOAD, events: long });
      const perEvent = (longer.cpuS - short.cpuS) / (streams * (long - SHORT));
      const split = {
        perEventUs: 1e6 * perEvent,
        perRequestUs: 1e6 * (short.cpuS / streams - SHORT * perEvent),
        failed: short.failed + longer.failed,
      };
      splits.set(target.name, [...(splits.get(target.name) ?? []), split]);
      process.stderr.write(
        `rep ${rep + 1}/${reps} ${target.name}: ${round(split.perRequestUs, 0)} µs per request, ${round(split.perEventUs, 1)} µs per event, ${split.failed} failed\n`,
      );
    }
  }
} finally {
  for (const target of targets) await target.stop();
  await upstream.child.stop();
}
const report = table();
writeFileSync(new URL('../docs/bench/cost-split.md', import.meta.url), report);
process.stdout.write(report);

async function cpuOf(target: Target, load: Load): Promise<{ cpuS: number; failed: number }> {
  const job: LoadJob = {
    url: target.url,
    headers: target.headers,
    ...load,
    pad: PAD,
    deadlineMs: 2 * (load.rampMs + load.events * load.intervalMs) + 30_000,
  };
  const before = cpuSeconds(target.pids());
  const child = await startChild(
    process.execPath,
    [fileURLToPath(new URL('./loadgen.ts', import.meta.url)), JSON.stringify(job)],
    { core: HARNESS_CORE },
  );
  const result = await child.firstJson<LoadResult>();
  return { cpuS: cpuSeconds(target.pids()) - before, failed: result.failed };
}

function table(): string {
  const rows = names.map((name) => {
    const runs = splits.get(name) ?? [];
    return {
      name,
      request: median(runs.map((s) => s.perRequestUs)),
      event: median(runs.map((s) => s.perEventUs)),
      failed: runs.reduce((sum, s) => sum + s.failed, 0),
    };
  });
  /** `value` over `of`'s, for another target when `of` was measured. */
  const ratio = (name: string, value: number, of: string, key: 'request' | 'event') => {
    const base = rows.find((r) => r.name === of)?.[key];
    return name === of || base === undefined || base <= 0 ? '–' : `${round(value / base, 2)} ×`;
  };
  const lines = [
    `CPU per request and per event · ${new Date().toISOString().slice(0, 10)} · ${cpuModel()} · ${streams} streams of ${SHORT} and of ${long} events every ${INTERVAL_MS} ms, opened over ${rampMs / 1000} s · medians of ${reps}`,
    '',
    '| target | µs per request | × nginx | × node | µs per event | × nginx | × node | failed |',
    '|---|---|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.name} | ${round(r.request, 0)} | ${ratio(r.name, r.request, 'nginx', 'request')} | ${ratio(r.name, r.request, 'node', 'request')} | ${round(r.event, 1)} | ${ratio(r.name, r.event, 'nginx', 'event')} | ${ratio(r.name, r.event, 'node', 'event')} | ${r.failed} |`,
    ),
  ];
  return `${lines.join('\n')}\n`;
}

function whole(text: string, flag: string, min: number, max: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new Error(`--${flag}: a whole number from ${min} to ${max}; got "${text}".`);
  return n;
}
