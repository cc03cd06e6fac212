/**
 * `node bench/throughput-counters.ts`: what exact limits across workers cost per request. One
 * limited request takes an admission and, at its end, a lease end. Measured three ways, each
 * with a key and a user limited (rpm, max_streams — the case that costs most):
 *
 * - `memory`: `MemoryCounters` in the process (one Sluice process, today's default);
 * - `workers`: a worker's `RemoteCounters` asking the primary over node:cluster's IPC channel
 *   (`--workers N` without REDIS_URL) — the primary's CPU counted too;
 * - `redis`: `RedisCounters` on the Redis at 127.0.0.1:6379 (REDIS_URL, with or without workers).
 *
 * For each: the time one request waits for its admission and end, one after another (latency),
 * and the CPU both processes spend per request with 64 requests in flight. Bounded: 3000
 * requests per measurement, loopback only. Prints a JSON line and a small table.
 */
import cluster from 'node:cluster';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Channel, primaryEndpoint, workerEndpoint } from '../src/server/cluster-channel.ts';
import {
  type Counters,
  type CountersCall,
  CountersHost,
  MemoryCounters,
  RedisCounters,
  RemoteCounters,
} from '../src/metering/limits/index.ts';
import { NO_LIMITS } from '../src/store/types.ts';
import type { Subject } from '../src/metering/limits/index.ts';

const REQUESTS = 3000;
const IN_FLIGHT = 64;
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

const options = {
  budgetSource: () => Promise.resolve({ tokens: 0, cost: 0 }),
};

/** A key and its user, limited so that nothing is refused but every counter is touched. */
function subjects(): Subject[] {
  const limits = { ...NO_LIMITS, rpm: 1e9, maxStreams: 1e6 };
  return [
    { kind: 'key', id: `k-${randomUUID()}`, limits },
    { kind: 'user', id: `u-${randomUUID()}`, limits },
  ];
}

export interface CostFigures {
  /** Microseconds from admit to lease end done, one request at a time (median). */
  readonly latencyUs: number;
  /** CPU microseconds per request of the process asking (and of the primary, for workers). */
  readonly cpuUs: number;
  readonly primaryCpuUs?: number;
}

async function one(counters: Counters, who: Subject[]): Promise<void> {
  const admission = await counters.admit(who, randomUUID(), Date.now());
  if (!admission.ok) throw new Error('refused');
  await admission.lease.end({ tokens: 10, cost: null });
}

async function measure(
  counters: Counters,
  primaryCpu?: () => Promise<number>,
): Promise<CostFigures> {
  const who = subjects();
  for (let i = 0; i < 200; i++) await one(counters, who); // warm up
  const times = new Float64Array(REQUESTS);
  for (let i = 0; i < REQUESTS; i++) {
    const start = performance.now();
    await one(counters, who);
    times[i] = (performance.now() - start) * 1000;
  }
  times.sort();
  const cpu = process.cpuUsage();
  const primaryBefore = await primaryCpu?.();
  let next = 0;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next++ < REQUESTS) await one(counters, who);
    }),
  );
  const used = process.cpuUsage(cpu);
  const primaryAfter = await primaryCpu?.();
  return {
    latencyUs: Math.round(times[REQUESTS >> 1] ?? 0),
    cpuUs: Math.round((used.user + used.system) / REQUESTS),
    ...(primaryBefore === undefined || primaryAfter === undefined
      ? {}
      : { primaryCpuUs: Math.round((primaryAfter - primaryBefore) / REQUESTS) }),
  };
}

async function primary(): Promise<void> {
  const results: Record<string, CostFigures> = {};
  const memory = new MemoryCounters(options);
  results.memory = await measure(memory);
  await memory.close();

  const host = new CountersHost(new MemoryCounters(options));
  cluster.setupPrimary({ silent: false });
  const worker = cluster.fork();
  const channel = new Channel(workerEndpoint(worker));
  channel.answer('counters', (call) => host.serve(String(worker.id), call as CountersCall));
  channel.answer('cpu', () => {
    const used = process.cpuUsage();
    return used.user + used.system;
  });
  results.workers = (await channel.call('measure', null, 120_000)) as CostFigures;
  worker.kill();
  await host.close();

  const redis = new RedisCounters({
    ...options,
    url: REDIS_URL,
    keyPrefix: `bench-${randomUUID()}:`,
  });
  results.redis = await measure(redis);
  await redis.close();

  process.stdout.write(`${JSON.stringify(results)}\n`);
  process.stderr.write(
    [
      '| counters | latency per request (admit + end) | CPU per request |',
      '|---|---|---|',
      ...Object.entries(results).map(
        ([name, r]) =>
          `| ${name} | ${r.latencyUs} µs | ${r.cpuUs} µs${r.primaryCpuUs === undefined ? '' : ` + ${r.primaryCpuUs} µs in the primary`} |`,
      ),
    ].join('\n') + '\n',
  );
}

async function worker(): Promise<void> {
  const channel = new Channel(primaryEndpoint());
  channel.answer('measure', async () => {
    const remote = new RemoteCounters((call) => channel.call('counters', call));
    return measure(remote, async () => (await channel.call('cpu')) as number);
  });
  // Kept alive by the channel until the primary kills it.
  await sleep(0);
}

if (cluster.isPrimary) await primary();
else await worker();
