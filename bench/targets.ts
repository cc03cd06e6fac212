/**
 * What the benchmark measures: the upstream reached directly (the floor), through Debian's
 * nginx with buffering off (the C reference), and through Sluice (auth, metering and usage
 * accounting on, as deployed). Each runs on the target core.
 */
import type { ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { childrenOf } from './procfs.ts';
import { firstJsonLine, startChild, stopChild } from './processes.ts';

export type TargetName = 'direct' | 'nginx' | 'node' | 'sluice';

export interface Target {
  readonly name: TargetName;
  /** Where the load generator sends `POST …/chat/completions`. */
  readonly url: string;
  readonly headers: Record<string, string>;
  /** The processes whose CPU and memory count (none for direct). */
  pids(): number[];
  stop(): Promise<void>;
}

export interface Upstream {
  readonly port: number;
  readonly child: ChildProcess;
}

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export async function startUpstream(core: number): Promise<Upstream> {
  const child = startChild(process.execPath, [here('./upstream.ts')], { core });
  const { port } = await firstJsonLine<{ port: number }>(child);
  return { port, child };
}

export function direct(upstream: Upstream): Target {
  return {
    name: 'direct',
    url: `http://127.0.0.1:${upstream.port}/v1/chat/completions`,
    headers: {},
    pids: () => [],
    stop: () => Promise.resolve(),
  };
}

export async function startNginx(upstream: Upstream, core: number): Promise<Target> {
  const prefix = mkdtempSync(join(tmpdir(), 'sluice-bench-nginx-'));
  const port = await freePort();
  writeFileSync(
    join(prefix, 'nginx.conf'),
    `user root;
daemon off;
worker_processes 1;
worker_rlimit_nofile 30000;
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log warn;
events { worker_connections 20000; }
http {
  access_log ${prefix}/access.log;
  client_body_temp_path ${prefix}/body;
  proxy_temp_path ${prefix}/proxy;
  upstream model { server 127.0.0.1:${upstream.port}; keepalive 1024; }
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
  const child = startChild(
    '/usr/sbin/nginx',
    ['-p', `${prefix}/`, '-c', join(prefix, 'nginx.conf'), '-e', join(prefix, 'error.log')],
    { core },
  );
  await waitForPort(port);
  const pid = child.pid ?? 0;
  return {
    name: 'nginx',
    url: `http://127.0.0.1:${port}/v1/chat/completions`,
    headers: {},
    pids: () => [pid, ...childrenOf(pid)],
    async stop() {
      await stopChild(child);
      rmSync(prefix, { recursive: true, force: true });
    },
  };
}

/** The Node.js floor (bench/node-relay.ts): a bare relay, for context beside Sluice. */
export async function startNodeFloor(upstream: Upstream, core: number): Promise<Target> {
  const child = startChild(process.execPath, [here('./node-relay.ts'), String(upstream.port)], {
    core,
  });
  const { port } = await firstJsonLine<{ port: number }>(child);
  const pid = child.pid ?? 0;
  return {
    name: 'node',
    url: `http://127.0.0.1:${port}/v1/chat/completions`,
    headers: {},
    pids: () => [pid],
    stop: () => stopChild(child),
  };
}

export async function startSluice(upstream: Upstream, core: number): Promise<Target> {
  const dataDir = mkdtempSync(join(tmpdir(), 'sluice-bench-data-'));
  const port = await freePort();
  const env = {
    ...process.env,
    SLUICE_DATA_DIR: dataDir,
    BASE_URL: `http://127.0.0.1:${upstream.port}`,
    OPENAI_API_KEY: 'sk-bench',
    SLUICE_LOG_LEVEL: 'info',
    PORT: String(port),
    SLUICE_ADMIN_KEY: '',
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
  // BENCH_CPU_PROF=DIR writes a V8 CPU profile of Sluice there (open it in Chrome DevTools).
  const profile =
    process.env.BENCH_CPU_PROF === undefined
      ? []
      : ['--cpu-prof', '--cpu-prof-interval=250', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`];
  const child = startChild(process.execPath, [...profile, here('../bin/sluice.js'), 'serve'], {
    core,
    env,
    stderrFile: join(dataDir, 'sluice.log'),
  });
  await waitForPort(port);
  const pid = child.pid ?? 0;
  return {
    name: 'sluice',
    url: `http://127.0.0.1:${port}/v1/chat/completions`,
    headers: { authorization: `Bearer ${key}` },
    pids: () => [pid],
    async stop() {
      await stopChild(child);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        resolve(typeof address === 'object' && address !== null ? address.port : 0);
      });
    });
  });
}

async function waitForPort(port: number, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => {
        resolve(false);
      });
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on ${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
