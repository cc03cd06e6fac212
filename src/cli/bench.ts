/**
 * `sluice bench`: the streaming benchmark (bench/run.ts, also `npm run bench`) from the CLI. It
 * needs a source checkout — the harness and Debian's nginx are development tools, not part of
 * the image — so this only finds the harness and runs it with the same Node.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { type Command, CommandFailure, EXIT } from './command.ts';

const HARNESS = fileURLToPath(new URL('../../bench/run.ts', import.meta.url));

export const bench: Command = {
  name: 'bench',
  help: `Usage: sluice bench [--quick] [--targets LIST] [--reps N] [--points LIST] [--throughput]
       sluice bench --page [page options]

Runs the streaming benchmark on loopback: a fake upstream, a load generator, and the targets
in turn — the upstream directly, Debian's nginx with buffering off, a bare Node.js relay (the
runtime's floor), Sluice with auth, metering and metrics on (its /metrics read every second)
and the same Sluice without metrics — at 1, 100, 1000 and 5000 concurrent streams. Prints a
table of what each target adds (per-event delay, time to first byte, CPU per 1000 events,
memory per stream) and what metrics cost (with over without, as ratios), and writes
docs/bench/results.md, results.json and chart.svg. Same as "npm run bench".

Options:
  --quick          a smoke run (1, 100 and 1000 streams, one repetition; under two minutes),
                   written to docs/bench/quick.md
  --targets LIST   which to measure beside direct, comma-separated, from nginx, pipe, node,
                   raw, sluice, sluice-no-metrics, baseline, portkey (default all but pipe,
                   raw, baseline and portkey; pipe is a TCP byte pipe in Node, below the floor;
                   raw a Node relay owning its upstream sockets; baseline is the Sluice of the checkout in BENCH_BASELINE, for before/after
                   in one run; portkey is the Portkey gateway, a TypeScript peer, installed
                   from the npm registry on first use)
  --reps N         repeat every point N times (1-20) instead of its usual 1 to 3
  --points LIST    only these points, by number of streams (e.g. 1,1000), written to
                   docs/bench/points.md
  --throughput     add the throughput point: the most events per second with p99 added delay
                   under 50 ms, for nginx (worker_processes auto) and Sluice at 1 and N workers
  --page           measure the chat page instead: main-thread work per frame in Chromium while
                   a long answer streams (bench/page-render.ts; the options after it are its own)

Needs nginx (/usr/sbin/nginx) and a source checkout. Exit status: 0 the run finished (whether
or not every target was met), 1 it could not run, 2 bad usage.
`,
  async run(args) {
    if (!existsSync(HARNESS)) {
      throw new CommandFailure(
        'the benchmark runs from a source checkout (bench/run.ts is not here); clone Sluice and run "npm run bench".',
      );
    }
    // The page bench has flags of its own: everything after --page is its to read.
    if (args[0] === '--page') return await runHarness(args);
    const { values } = parseArgs({
      args: [...args],
      options: {
        quick: { type: 'boolean', default: false },
        targets: { type: 'string' },
        reps: { type: 'string' },
        points: { type: 'string' },
        throughput: { type: 'boolean', default: false },
      },
      strict: true,
    });
    return await runHarness([
      ...(values.quick ? ['--quick'] : []),
      ...(values.targets === undefined ? [] : ['--targets', values.targets]),
      ...(values.reps === undefined ? [] : ['--reps', values.reps]),
      ...(values.points === undefined ? [] : ['--points', values.points]),
      ...(values.throughput ? ['--throughput'] : []),
    ]);
  },
};

async function runHarness(args: readonly string[]): Promise<number> {
  const child = spawn(process.execPath, [HARNESS, ...args], { stdio: 'inherit' });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  // The harness exits 2 for bad usage (an unknown --targets name, a bad --reps), as sluice does.
  return code === 0 ? EXIT.ok : code === EXIT.usage ? EXIT.usage : EXIT.failure;
}
