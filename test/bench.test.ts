/**
 * The benchmark's own parts, so `npm run bench` cannot rot between runs: the harness stops
 * every process it started (a child's own children included), a small load through each kind
 * of target arrives complete and is counted, and the report computes what a target adds over
 * the direct run and flags a missed target. No figure is asserted: speed lives in the
 * benchmark, not in tests.
 */
import { benchUser, readBenchUser } from '../bench/bench-request.ts';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { LoadJob, LoadResult } from '../bench/loadgen.ts';
import { startChild } from '../bench/processes.ts';
import { cpuRatios } from '../bench/cpu-ratios.ts';
import { checks, type RunRecord, renderTable, summarize } from '../bench/report.ts';
import type { Point } from '../bench/run.ts';
import {
  direct,
  startTarget,
  startUpstream,
  type Target,
  TARGET_NAMES,
  type Upstream,
} from '../bench/targets.ts';
import { livingInGroup } from './support/process.ts';
import { spawnSluice } from './support/sluice-process.ts';

const LOADGEN = fileURLToPath(new URL('../bench/loadgen.ts', import.meta.url));
describe('bench harness', () => {
  let upstream: Upstream;
  const targets: Target[] = [];
  before(async () => {
    upstream = await startUpstream(0);
    targets.push(direct(upstream));
    // The baseline (another checkout's Sluice) is this one here: it starts and serves alike.
    const baseline = fileURLToPath(new URL('..', import.meta.url));
    for (const name of TARGET_NAMES)
      targets.push(await startTarget(name, upstream, 0, { baseline }));
  });
  after(async () => {
    for (const target of targets) await target.stop();
    await upstream.child.stop();
  });

  it('delivers every event of every stream through each target, and counts them', async () => {
    for (const target of targets) {
      const job: LoadJob = {
        url: target.url,
        headers: target.headers,
        concurrency: 4,
        rounds: 2,
        events: 5,
        intervalMs: 1,
        pad: 10,
        rampMs: 0,
        deadlineMs: 20_000,
      };
      const child = await startChild(process.execPath, [LOADGEN, JSON.stringify(job)], {
        core: 1,
      });
      const result = await child.firstJson<LoadResult>();
      assert.deepEqual(
        { streams: result.streams, complete: result.complete, events: result.events },
        { streams: 8, complete: 8, events: 40 },
        `${target.name}: ${result.errors.join(', ')}`,
      );
      assert.equal(result.lostEvents, 0);
    }
  });

  it('restarts a target as a fresh process on the same port', async () => {
    const nginx = targets.find((t) => t.name === 'nginx');
    assert.ok(nginx);
    const before = nginx.pids();
    await nginx.restart();
    const after = nginx.pids();
    assert.ok(after.length >= 2, 'ready means serving: the fresh master and its worker, counted');
    assert.deepEqual(livingInGroup(before[0] ?? 0), [], 'the old master and workers are gone');
    assert.deepEqual(livingInGroup(after[0] ?? 0).sort(), [...after].sort());
    assert.ok(after.every((pid) => !before.includes(pid)));
    const response = await fetch(nginx.url, { method: 'POST', body: '{}' });
    assert.equal(response.status, 200);
    await response.text();
  });

  it('stops a child together with the processes it started', async () => {
    const nginx = await startTarget('nginx', upstream, 0);
    const pids = nginx.pids();
    assert.ok(pids.length >= 2, 'an nginx master and its worker');
    await nginx.stop();
    assert.deepEqual(
      livingInGroup(pids[0] ?? 0),
      [],
      'no nginx process outlives stop(), workers included',
    );
  });
});

describe('bench report', () => {
  const point: Point = { concurrency: 1000, events: 10, intervalMs: 100, reps: 2 };
  const load = (p50: number, p99: number, ttfb: number, failed = 0): LoadResult => ({
    streams: 1000,
    complete: 1000 - failed,
    failed,
    lostEvents: failed * 10,
    events: 10_000 - failed * 10,
    delayMs: { p50, p99, max: p99 * 2 },
    ttfbMs: { p50: ttfb, p99: ttfb * 2 },
    harnessCpuS: 1,
    wallS: 10,
    errors: [],
  });
  const record = (
    target: RunRecord['target'],
    rep: number,
    l: LoadResult,
    cpuS: number,
    kib: number,
  ): RunRecord => ({
    point,
    rep,
    target,
    load: l,
    cpuS,
    idleKiB: 50_000,
    peakKiB: 50_000 + kib * 1000,
  });
  const records = [
    record('direct', 0, load(0.1, 1, 0.3), 0, 0),
    record('direct', 1, load(0.2, 2, 0.4), 0, 0),
    record('nginx', 0, load(0.12, 1.5, 0.35), 0.15, 16),
    record('nginx', 1, load(0.22, 2.5, 0.45), 0.15, 16),
    record('sluice', 0, load(0.15, 4, 0.6), 0.4, 50),
    record('sluice', 1, load(0.25, 5, 0.7, 1), 0.4, 50),
  ];

  it('measures what each target adds over the direct run of the same repetition', () => {
    const { nginx, sluice, direct: floor } = summarize(point, records).targets;
    assert.ok(nginx && sluice && floor);
    assert.equal(nginx.addedP50, 0.02);
    assert.equal(nginx.addedP99, 0.5);
    assert.equal(sluice.addedP99, 3);
    assert.equal(sluice.addedTtfbP50, 0.3);
    assert.equal(sluice.cpuPer1000, 0.04);
    assert.equal(sluice.kibPerStream, 50);
    assert.deepEqual([sluice.failed, sluice.lostEvents], [1, 10]);
    assert.equal(floor.addedP50, 0.15, 'direct shows its own, absolute figures');
  });

  it('flags missed targets and renders them', () => {
    const summaries = [summarize(point, records)];
    const found = checks(summaries);
    const missed = found.filter((c) => !c.ok).map((c) => c.text);
    assert.ok(missed.some((t) => t.startsWith('added delay p99 at 1000 streams no worse')));
    assert.ok(missed.some((t) => t.startsWith('CPU per 1000 events ≤ 2 × nginx')));
    assert.ok(missed.some((t) => t.startsWith('memory ≤ 40 KiB')));
    assert.ok(found.some((c) => c.ok && c.text.startsWith('added delay p50 at 1000 streams')));
    assert.ok(missed.includes('no failed or incomplete streams at 1000: 1 failed, 10 events lost'));
    const table = renderTable(summaries, {
      date: '2026-11-24',
      machine: 'test',
      pinning: 'none',
      quick: false,
    });
    assert.match(table, /\| sluice \| \+0\.05 \/ \+3 \/ \+6 \|/);
    assert.match(table, /- \*\*missed\*\*: memory ≤ 40 KiB per open stream at 1000: 50 KiB/);
  });

  it('puts CPU per event as ratios of the run: over nginx, the Node relay and a baseline', () => {
    const more = [
      ...records,
      record('node', 0, load(0.13, 2, 0.5), 0.2, 40),
      record('node', 1, load(0.23, 3, 0.6), 0.2, 40),
      record('baseline', 0, load(0.16, 4, 0.7), 0.8, 50),
      record('baseline', 1, load(0.26, 5, 0.8), 0.8, 50),
    ];
    const summaries = [summarize(point, more)];
    const rows = cpuRatios(summaries);
    const sluice = rows.find((r) => r.target === 'sluice');
    assert.deepEqual(
      sluice && [sluice.overNginx, sluice.overNode, sluice.overBaseline],
      [2.67, 2, 0.5],
    );
    const nginx = rows.find((r) => r.target === 'nginx');
    assert.deepEqual(nginx && [nginx.overNginx, nginx.overNode, nginx.overBaseline], [
      undefined,
      0.75,
      undefined,
    ]);
    const table = renderTable(summaries, { date: 'd', machine: 'm', pinning: 'p', quick: true });
    assert.match(table, /\| 1000 \| sluice \| 0\.04 \| 2\.67 × \| 2 × \| 0\.5 × \|/);
  });
});

describe('bench tools', () => {
  const run = (script: string, args: string[]) =>
    new Promise<string>((resolve, reject) => {
      execFile(
        process.execPath,
        [fileURLToPath(new URL(`../bench/${script}`, import.meta.url)), ...args],
        { timeout: 60_000 },
        (error, stdout, stderr) => {
          if (error !== null) reject(new Error(`${script}: ${stderr}`, { cause: error }));
          else resolve(stdout);
        },
      );
    });

  it("routing: Sluice's own chooser relieves the slower self-hosted server, round-robin does not", async () => {
    const out = await run('routing.ts', ['--requests', '4000']);
    const scenario = out.split('\n\n').find((block) => block.includes('self-hosted')) ?? '';
    const meanOf = (strategy: string) =>
      Number(new RegExp(`${strategy}\\S*\\s+([\\d.]+) s`).exec(scenario)?.[1]);
    assert.ok(
      meanOf('least in flight \\(Sluice\\)') < meanOf('weighted round-robin') / 10,
      scenario,
    );
    assert.match(out, /big-quota 75 %, small-quota 25 %/, 'weights kept when nothing differs');
  });

  it('relay-cost: the relay hides usage and the client gets what it would have asked for', async () => {
    const hidden = JSON.parse(await run('relay-cost.ts', ['--events', '2000'])) as {
      bytesPerEvent: number;
      cpuMicrosecondsPerEvent: number;
    };
    const asked = JSON.parse(await run('relay-cost.ts', ['--events', '2000', '--asked'])) as {
      bytesPerEvent: number;
    };
    assert.equal(hidden.bytesPerEvent, asked.bytesPerEvent, '"usage":null cut from every event');
    assert.ok(Number.isFinite(hidden.cpuMicrosecondsPerEvent), 'a figure, whatever its size');
  });

  it('first-byte: one request per target in turn, each target’s first byte and what it adds', async () => {
    const table = await run('first-byte.ts', ['--targets', 'node', '--rounds', '3']);
    assert.match(table, /^\| direct \| [\d.]+ \/ [\d.]+ \| – \|$/m);
    assert.match(table, /^\| node \| [\d.]+ \/ [\d.]+ \| -?[\d.]+ \|$/m);
  });
});

describe('sluice bench', () => {
  const bin = fileURLToPath(new URL('../bin/sluice.js', import.meta.url));
  const sluiceBench = (args: string[]) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = execFile(
        process.execPath,
        [bin, 'bench', ...args],
        { timeout: 30_000 },
        (_error, stdout, stderr) => {
          resolve({ code: child.exitCode, stdout, stderr });
        },
      );
    });

  it('refuses an unknown --targets name with exit status 2 before it starts anything', async () => {
    const { code, stderr } = await sluiceBench(['--quick', '--targets', 'nginx,ngnix']);
    assert.equal(code, 2, stderr);
    assert.match(stderr, /unknown target "ngnix"; choose from nginx, pipe, node, raw, sluice/);
    assert.doesNotMatch(stderr, /machine:/, 'the run did not begin');
  });

  it('says what it can run: the throughput point, the page, the baseline target', async () => {
    const { code, stdout, stderr } = await sluiceBench(['--help']);
    assert.equal(code, 0, stderr);
    for (const word of ['--throughput', '--page', 'baseline', 'BENCH_BASELINE']) {
      assert.ok(stdout.includes(word), `${word} in:\n${stdout}`);
    }
  });

  it('refuses a --points number the run has no point for, before it starts anything', async () => {
    const { code, stderr } = await sluiceBench(['--points', '1,7']);
    assert.equal(code, 2, stderr);
    assert.match(stderr, /--points: choose from 1, 100, 1000, 5000; got "1,7"/);
    assert.doesNotMatch(stderr, /machine:/, 'the run did not begin');
  });

  it('hands --page and the flags after it to the page bench, which checks them first', async () => {
    const { code, stderr } = await sluiceBench(['--page', '--tokens', '0']);
    assert.equal(code, 2, stderr);
    assert.match(stderr, /--tokens: a whole number above 0; got "0"/);
    assert.doesNotMatch(stderr, /machine:/, 'the run did not begin');
  });
});

describe('sluice serve', () => {
  it('runs with a small young generation, in the same process it was started as', async () => {
    const sluice = await spawnSluice({});
    try {
      const pid = sluice.child.pid ?? 0;
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      assert.ok(argv.includes('--max-semi-space-size=4'), argv.join(' '));
      assert.equal((await fetch(`${sluice.url}/healthz`)).status, 200);
    } finally {
      sluice.child.kill('SIGTERM');
      await sluice.exited;
    }
  });

  it('runs with glibc set to give memory back, unless the environment says otherwise', async () => {
    const environOf = (pid: number | undefined) =>
      readFileSync(`/proc/${pid ?? 0}/environ`, 'utf8').split('\0');
    const plain = await spawnSluice({});
    const own = await spawnSluice({ MALLOC_ARENA_MAX: '4' });
    try {
      const environ = environOf(plain.child.pid);
      assert.ok(environ.includes('MALLOC_ARENA_MAX=2'), environ.join(' '));
      assert.ok(environ.includes(`MALLOC_MMAP_THRESHOLD_=${1024 * 1024}`), environ.join(' '));
      const given = environOf(own.child.pid);
      assert.ok(given.includes('MALLOC_ARENA_MAX=4'), given.join(' '));
      assert.ok(!given.includes('MALLOC_ARENA_MAX=2'), given.join(' '));
      assert.ok(given.includes(`MALLOC_MMAP_THRESHOLD_=${1024 * 1024}`), given.join(' '));
    } finally {
      for (const sluice of [plain, own]) {
        sluice.child.kill('SIGTERM');
        await sluice.exited;
      }
    }
  });

  it('leaves a young-generation size given in NODE_OPTIONS alone', async () => {
    const sluice = await spawnSluice({ NODE_OPTIONS: '--max-semi-space-size=8' });
    try {
      const argv = readFileSync(`/proc/${sluice.child.pid ?? 0}/cmdline`, 'utf8');
      assert.ok(!argv.includes('--max-semi-space-size=4'), argv);
    } finally {
      sluice.child.kill('SIGTERM');
      await sluice.exited;
    }
  });
});

describe('bench request', () => {
  it('names the stream in the user field, and reads back only what it wrote', () => {
    const params = { events: 5, intervalMs: 1, pad: 10 };
    assert.deepEqual(readBenchUser(benchUser(params)), params);
    for (const user of [
      undefined,
      42,
      'alice',
      'sluice-bench 5 1',
      'sluice-bench 5 -1 10',
      'sluice-bench 5 x 10',
    ])
      assert.equal(readBenchUser(user), undefined, String(user));
  });
});
