/**
 * How often does `sluice doctor` cry wolf on a busy machine? Starts Sluice, nginx with the
 * streaming config and HAProxy with http-no-delay — all healthy — keeps every core busy with
 * CPU hogs, and runs the doctor (30 events × 50 ms, the suite's probe) round-robin on the three
 * until `--runs` are done or `--max-minutes` have passed. Any verdict but `ok` is a false alarm.
 *
 *   node bench/doctor-false-alarms.ts [--runs 60] [--hogs N] [--max-minutes 10]
 *
 * It also counts the runs whose first measurement was borderline and was measured again.
 */
import { cpus, availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { startCpuHogs } from '../test/support/cpu-hogs.ts';
import { startHaproxy } from '../test/support/intermediaries/haproxy.ts';
import { probeArgs, runDoctor } from '../test/support/intermediaries/doctor-run.ts';
import { proxyServerBlock, startNginx } from '../test/support/nginx.ts';
import { startTestSluice } from '../test/support/sluice.ts';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '60' },
    hogs: { type: 'string', default: String(availableParallelism()) },
    'max-minutes': { type: 'string', default: '10' },
  },
});
const runs = bounded(values.runs, 'runs', 1, 500);
const hogCount = bounded(values.hogs, 'hogs', 0, 8);
const maxMinutes = bounded(values['max-minutes'], 'max-minutes', 1, 60);

function bounded(text: string, name: string, min: number, max: number): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`--${name} must be an integer from ${min} to ${max}; got "${text}"`);
  }
  return value;
}

const PROBE = probeArgs({ events: 30, intervalMs: 50, pad: 512, silenceMs: 0 });

const sluice = await startTestSluice({ SLUICE_LOG_LEVEL: 'warn' });
const port = Number(new URL(sluice.url).port);
const nginx = await startNginx({
  serverBlock: proxyServerBlock({
    upstreamPort: port,
    locationExtra:
      'proxy_buffering off;\nproxy_http_version 1.1;\nproxy_set_header Connection "";\ngzip off;',
  }),
});
const haproxy = await startHaproxy({ upstreamPort: port, defaults: 'option http-no-delay' });
const hogs = await startCpuHogs(hogCount, maxMinutes * 60 + 60);

const targets = [
  ['sluice', sluice.url],
  ['nginx', nginx.url],
  ['haproxy', haproxy.url],
] as const;
const alarms: string[] = [];
let done = 0;
let remeasured = 0;
const deadline = Date.now() + maxMinutes * 60_000;
try {
  while (done < runs && Date.now() < deadline) {
    const [name, url] = targets[done % targets.length] ?? targets[0];
    const run = await runDoctor([url, '--json', ...PROBE]);
    done++;
    const json = run.json;
    if (json === undefined) throw new Error(`the doctor printed no JSON:\n${run.stderr}`);
    if (json.earlier.length > 0) remeasured++;
    if (json.verdict !== 'ok') {
      const cause = json.causes[0];
      alarms.push(
        `${name}: ${json.verdict} (${cause?.id ?? '?'}: ${cause?.evidence.join('; ') ?? ''})`,
      );
    }
    process.stderr.write(
      `${done}/${runs} ${name} ${json.verdict}${json.earlier.length > 0 ? ' (measured twice)' : ''}\n`,
    );
  }
} finally {
  await hogs.stop();
  await haproxy.stop();
  await nginx.stop();
  await sluice.stop();
}

const rate = done === 0 ? 0 : (100 * alarms.length) / done;
const lines = [
  `date: ${new Date().toISOString()}`,
  `machine: ${cpus()[0]?.model ?? 'unknown CPU'}, ${availableParallelism()} cores, ${hogCount} CPU hogs (yes > /dev/null)`,
  `runs: ${done} (sluice, nginx, haproxy in turn; 30 events × 50 ms each)`,
  `false alarms: ${alarms.length} of ${done} (${rate.toFixed(1)} %)`,
  `measured twice (first result borderline): ${remeasured}`,
  ...alarms.map((a) => `  ${a}`),
];
process.stdout.write(`${lines.join('\n')}\n`);
