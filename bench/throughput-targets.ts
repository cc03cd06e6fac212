/**
 * The throughput point's targets (bench/throughput.ts), each free to use every core of the
 * machine — no pinning, unlike the latency points: nginx with `worker_processes auto`, and
 * Sluice as deployed (a key, metering, limits checked, metrics read every second) with one
 * process and with `--workers N`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../test/support/ports.ts';
import { type ChildHandle, startProcess } from '../test/support/process.ts';
import { childrenOf } from './procfs.ts';
import { METRICS_TOKEN, nginxConfig, SLUICE_BIN, sluiceSetup } from './target-setup.ts';
import type { Scrape } from './targets.ts';

export interface ThroughputTarget {
  /** `nginx (auto)`, `sluice ×1`, `sluice ×2` … */
  readonly name: string;
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly scrape?: Scrape;
  /** Every process of the target: its CPU counts. */
  pids(): number[];
  stop(): Promise<void>;
}

/** One answered request through the target: it serves, not just listens. */
async function answers(port: number, headers: Record<string, string>): Promise<void> {
  const response = await fetch(`http://127.0.0.1:${port}/v1/models`, {
    headers,
    signal: AbortSignal.timeout(15_000),
  });
  await response.arrayBuffer();
}

export async function startNginxAuto(upstreamPort: number): Promise<ThroughputTarget> {
  const prefix = mkdtempSync(join(tmpdir(), 'sluice-bench-nginx-auto-'));
  const port = await freePort();
  const child = await startProcess(
    '/usr/sbin/nginx',
    nginxConfig(prefix, port, upstreamPort, 'auto'),
    {
      name: 'nginx',
      readyPort: port,
      readyTimeoutMs: 15_000,
      holdParent: true,
    },
  );
  await answers(port, {});
  return {
    name: 'nginx (auto)',
    url: `http://127.0.0.1:${port}/v1/chat/completions`,
    headers: {},
    pids: () => [child.pid, ...childrenOf(child.pid)],
    async stop() {
      await child.stop();
      rmSync(prefix, { recursive: true, force: true });
    },
  };
}

/** Sluice with `workers` processes (1: no primary, as `sluice serve` runs by default). */
export async function startSluiceWorkers(
  upstreamPort: number,
  workers: number,
): Promise<ThroughputTarget> {
  const port = await freePort();
  const { env, dataDir, key } = sluiceSetup(SLUICE_BIN, port, upstreamPort, {
    SLUICE_LOG_FORMAT: 'json', // for the primary's "listening" line
    SLUICE_WORKERS: String(workers),
  });
  const child = await startProcess(process.execPath, [SLUICE_BIN, 'serve'], {
    name: 'sluice',
    env,
    readyPort: port,
    readyTimeoutMs: 15_000,
    holdParent: true,
  });
  await everyWorkerListening(child);
  const headers = { authorization: `Bearer ${key}` };
  await answers(port, headers);
  return {
    name: `sluice ×${workers}`,
    url: `http://127.0.0.1:${port}/v1/chat/completions`,
    headers,
    scrape: {
      url: `http://127.0.0.1:${port}/metrics`,
      headers: { authorization: `Bearer ${METRICS_TOKEN}` },
    },
    pids: () => [child.pid, ...childrenOf(child.pid)],
    async stop() {
      await child.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The port opens with the first worker; the primary says "listening" once all of them do. */
async function everyWorkerListening(child: ChildHandle): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!/"msg":"listening"/.test(child.output())) {
    if (Date.now() > deadline) throw new Error(`sluice never listened:\n${child.output()}`);
    await sleep(50);
  }
}
