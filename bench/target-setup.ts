/**
 * What the latency targets (bench/targets.ts) and the throughput targets
 * (bench/throughput-targets.ts) set up alike: nginx's configuration, and a Sluice data
 * directory with a user and the key the load generator sends.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** `SLUICE_METRICS_TOKEN` of the measured Sluice: `/metrics` is read with it, as deployed. */
export const METRICS_TOKEN = 'bench-metrics-token-0123456789';

/**
 * Writes `nginx.conf` into `prefix` (a fresh directory): a reverse proxy on `port` to the
 * upstream, buffering off, keepalive to the upstream; returns nginx's arguments.
 */
export function nginxConfig(
  prefix: string,
  port: number,
  upstreamPort: number,
  workerProcesses: '1' | 'auto',
): string[] {
  writeFileSync(
    join(prefix, 'nginx.conf'),
    `user root;
daemon off;
worker_processes ${workerProcesses};
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
  return ['-p', `${prefix}/`, '-c', join(prefix, 'nginx.conf'), '-e', join(prefix, 'error.log')];
}

export interface SluiceSetup {
  /** The environment `sluice serve` runs with. */
  readonly env: NodeJS.ProcessEnv;
  readonly dataDir: string;
  /** The load generator's key (a user's, as deployed). */
  readonly key: string;
}

/**
 * A fresh data directory for the Sluice at `bin`, serving on `port` in front of the upstream,
 * its metrics behind METRICS_TOKEN, with a user and a key made by its own CLI.
 */
export function sluiceSetup(
  bin: string,
  port: number,
  upstreamPort: number,
  env: Record<string, string> = {},
): SluiceSetup {
  const dataDir = mkdtempSync(join(tmpdir(), 'sluice-bench-data-'));
  const full = {
    ...process.env,
    SLUICE_DATA_DIR: dataDir,
    BASE_URL: `http://127.0.0.1:${upstreamPort}`,
    OPENAI_API_KEY: 'sk-bench',
    SLUICE_LOG_LEVEL: 'info',
    PORT: String(port),
    SLUICE_ADMIN_KEY: '',
    SLUICE_METRICS_TOKEN: METRICS_TOKEN,
    ...env,
  };
  const cli = (args: string[], input?: string) =>
    execFileSync(process.execPath, [bin, ...args], { env: full, input, encoding: 'utf8' });
  cli(['users', 'add', 'loadtest', '--password-stdin'], 'a long benchmark passphrase\n');
  const { key } = JSON.parse(cli(['keys', 'create', '--user', 'loadtest', '--json'])) as {
    key: string;
  };
  return { env: full, dataDir, key };
}

/** This checkout's `bin/sluice.js`. */
export const SLUICE_BIN = fileURLToPath(new URL('../bin/sluice.js', import.meta.url));
