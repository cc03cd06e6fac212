/**
 * The throughput point's targets (bench/throughput.ts), each free to use every core of the
 * machine — no pinning, unlike the latency points: nginx with `worker_processes auto`, and
 * Sluice as deployed (a key, metering, limits checked, metrics read every second) with one
 * process and with `--workers N`.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { freePort } from '../test/support/ports.ts';
import { type ChildHandle, startProcess } from '../test/support/process.ts';
import { childrenOf } from './procfs.ts';
import { METRICS_TOKEN, type Scrape } from './targets.ts';

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

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

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
  writeFileSync(
    join(prefix, 'nginx.conf'),
    `user root;
daemon off;
worker_processes auto;
worker_rlimit_nofile 30000;
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log warn;
events { worker_connections 20000; }
http {
  access_log ${prefix}/access.log;
  client_body_temp_path ${prefix}/body;
  proxy_temp_path ${prefix}/proxy;
  upstream model { server 127.0.0.1:${upstreamPort}; keepalive 1024; }
  server {
    listen 127.0.0.1:${port} backlog=8192;
    location / {
      proxy_pass http://model;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
      proxy_read_timeout 3600s;
    }
  }
}
`,
  );
  const child = await startProcess(
    '/usr/sbin/nginx',
    ['-p', `${prefix}/`, '-c', join(prefix, 'nginx.conf'), '-e', join(prefix, 'error.log')],
    { name: 'nginx', readyPort: port, readyTimeoutMs: 15_000, holdParent: true },
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
  const dataDir = mkdtempSync(join(tmpdir(), 'sluice-bench-throughput-'));
  const port = await freePort();
  const env = {
    ...process.env,
    SLUICE_DATA_DIR: dataDir,
    BASE_URL: `http://127.0.0.1:${upstreamPort}`,
    OPENAI_API_KEY: 'sk-bench',
    SLUICE_LOG_LEVEL: 'info',
    SLUICE_LOG_FORMAT: 'json',
    PORT: String(port),
    SLUICE_ADMIN_KEY: '',
    SLUICE_METRICS_TOKEN: METRICS_TOKEN,
    SLUICE_WORKERS: String(workers),
  };
  const cli = (args: string[], input?: string) =>
    execFileSync(process.execPath, [here('../bin/sluice.js'), ...args], {
      env,
      input,
      encoding: 'utf8',
    });
  cli(['users', 'add', 'loadtest', '--password-stdin'], 'a long benchmark passphrase\n');
  const { key } = JSON.parse(cli(['keys', 'create', '--user', 'loadtest', '--json'])) as {
    key: string;
  };
  const child = await startProcess(process.execPath, [here('../bin/sluice.js'), 'serve'], {
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
