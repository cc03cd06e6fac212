/**
 * `node bench/first-byte.ts`: what each target adds to the time to first byte of one stream,
 * measured in pairs. The benchmark's one-stream point runs each target for a few seconds in
 * turn, so a machine whose speed drifts (a shared VM, other work on it) moves one target's
 * figure against another's by more than the differences being looked for. Here one request
 * goes to each target in turn, again and again, each on its own kept-alive connection as the
 * benchmark's client has it: every target sees the same moments of the machine, and what a
 * target adds is the median of its per-round differences to the upstream reached directly.
 *
 * Targets as in `npm run bench` (`--targets nginx,node,sluice,baseline`; `baseline` needs
 * `BENCH_BASELINE=DIR`), each on the target core with the client and upstream on the other.
 * Prints a table; nothing is written.
 */
import { execFileSync } from 'node:child_process';
import { Agent, request } from 'node:http';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { HARNESS_CORE, HAS_TASKSET, TARGET_CORE } from './processes.ts';
import { median, percentile, round } from './stats.ts';
import {
  direct,
  type MeasuredName,
  startTarget,
  startUpstream,
  type Target,
  TARGET_NAMES,
} from './targets.ts';
import { benchUser } from './bench-request.ts';

const WARM_UP_ROUNDS = 50;

const { values } = parseArgs({
  options: {
    targets: { type: 'string', default: 'nginx,node,sluice' },
    rounds: { type: 'string', default: '500' },
    /** Events per stream and their interval: the stream is read to its end before the next. */
    events: { type: 'string', default: '3' },
    'interval-ms': { type: 'string', default: '5' },
  },
});
const rounds = wholeNumber('--rounds', values.rounds, 1, 100_000);
const events = wholeNumber('--events', values.events, 1, 1000);
const intervalMs = wholeNumber('--interval-ms', values['interval-ms'], 0, 1000);
const names = values.targets.split(',').map((name) => name.trim());
for (const name of names) {
  if (!(TARGET_NAMES as readonly string[]).includes(name)) {
    process.stderr.write(
      `--targets: unknown target "${name}"; choose from ${TARGET_NAMES.join(', ')}.\n`,
    );
    process.exit(2);
  }
}

// The client is this process: on the harness core, beside the upstream, as the load generator.
if (HAS_TASKSET && availableParallelism() > HARNESS_CORE)
  execFileSync('taskset', ['-a', '-p', '-c', String(HARNESS_CORE), String(process.pid)], {
    stdio: 'ignore',
  });
const upstream = await startUpstream(HARNESS_CORE);
const targets: Target[] = [direct(upstream)];
const firstBytes: number[][] = [[]];
try {
  for (const name of names) {
    targets.push(await startTarget(name as MeasuredName, upstream, TARGET_CORE));
    firstBytes.push([]);
  }
  const agents = targets.map(() => new Agent({ keepAlive: true, maxSockets: 1 }));
  const body = JSON.stringify({
    model: 'bench',
    stream: true,
    messages: [{ role: 'user', content: 'benchmark' }],
    user: benchUser({ events, intervalMs, pad: 70 }),
  });
  for (let round = -WARM_UP_ROUNDS; round < rounds; round++) {
    // A rotated order, so no target is always the one right after another.
    for (let k = 0; k < targets.length; k++) {
      const i = (k + Math.max(0, round)) % targets.length;
      const ms = await firstByteMs(targets[i] as Target, agents[i] as Agent, body);
      if (round >= 0) firstBytes[i]?.push(ms);
    }
  }
  for (const agent of agents) agent.destroy();
} finally {
  for (const target of targets) await target.stop();
  await upstream.child.stop();
}

const floor = firstBytes[0] ?? [];
const lines = [
  `First byte of one stream, ${rounds} rounds of one request per target (${events} events every ${intervalMs} ms), medians; added = median of the paired differences to direct.`,
  '',
  '| target | first byte p50 / p90 (ms) | added p50 (ms) |',
  '|---|---|---|',
];
targets.forEach((target, i) => {
  const own = firstBytes[i] ?? [];
  const added = own.map((ms, round) => ms - (floor[round] ?? Number.NaN));
  lines.push(
    `| ${target.name} | ${round(median(own), 3)} / ${round(percentile(own, 90), 3)} | ${i === 0 ? '–' : round(median(added), 3)} |`,
  );
});
process.stdout.write(`${lines.join('\n')}\n`);

/** One streaming request, read to its end; ms from sending it to its first body byte. */
function firstByteMs(target: Target, agent: Agent, body: string): Promise<number> {
  const url = new URL(target.url);
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    let first: bigint | undefined;
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        agent,
        headers: {
          ...target.headers,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
        },
      },
      (res) => {
        res.on('data', () => {
          first ??= process.hrtime.bigint();
        });
        res.on('end', () => {
          if (res.statusCode !== 200 || first === undefined)
            reject(new Error(`${target.name}: HTTP ${res.statusCode ?? 0}`));
          else resolve(Number(first - started) / 1e6);
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.setTimeout(30_000, () => req.destroy(new Error(`${target.name}: no answer in 30 s`)));
    req.end(body);
  });
}

function wholeNumber(flag: string, text: string, min: number, max: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max) {
    process.stderr.write(`${flag}: a whole number from ${min} to ${max}; got "${text}".\n`);
    process.exit(2);
  }
  return n;
}
