/**
 * What the benchmark measures: the upstream reached directly (the floor), through Debian's
 * nginx with buffering off (the C reference), through two Node.js relays (a byte pipe and a
 * bare HTTP relay: the runtime's own cost), and through Sluice (auth, metering and usage
 * accounting on, as deployed, its metrics scraped every second) — and that Sluice again without
 * metrics, to show what they cost. `baseline` is the Sluice of another checkout
 * (`BENCH_BASELINE=DIR`, e.g. `git worktree add DIR <commit>`), measured in the same run: a
 * change's before and after as ratios of one run, on a machine whose speed drifts between runs.
 * Each runs on the target core.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../test/support/ports.ts';
import { childrenOf } from './procfs.ts';
import { type BenchChild, startChild } from './processes.ts';
import { METRICS_TOKEN, nginxConfig, SLUICE_BIN, sluiceSetup } from './target-setup.ts';

/** What `--targets` may name, in the order they are reported; `direct` always runs. */
export const TARGET_NAMES = [
  'nginx',
  'pipe',
  'node',
  'raw',
  'sluice',
  'sluice-no-metrics',
  'baseline',
  'portkey',
] as const;
export type MeasuredName = (typeof TARGET_NAMES)[number];
export type TargetName = 'direct' | MeasuredName;
/**
 * The default run: nginx, the Node floor, Sluice with and without metrics (the byte pipe, the
 * baseline and the Portkey peer on request).
 */
export const DEFAULT_TARGETS: readonly MeasuredName[] = [
  'nginx',
  'node',
  'sluice',
  'sluice-no-metrics',
];

/**
 * How often the load generator reads Sluice's `/metrics` while it measures: a scrape a second,
 * fifteen times Prometheus's usual 15 s, so every run sees several and none hides their cost.
 */
export const SCRAPE_EVERY_MS = 1000;

export { METRICS_TOKEN } from './target-setup.ts';

export interface TargetOptions {
  /** The checkout whose Sluice `baseline` runs; `BENCH_BASELINE` by default. */
  readonly baseline?: string | undefined;
}

export function startTarget(
  name: MeasuredName,
  upstream: Upstream,
  core: number,
  { baseline = process.env.BENCH_BASELINE }: TargetOptions = {},
): Promise<Target> {
  switch (name) {
    case 'nginx':
      return startNginx(upstream, core);
    case 'pipe':
      return startNodeScript('pipe', './pipe-relay.ts', upstream, core);
    case 'node':
      return startNodeScript('node', './node-relay.ts', upstream, core);
    case 'raw':
      return startNodeScript('raw', './raw-relay.ts', upstream, core);
    case 'sluice':
      return startSluice(upstream, core, { metrics: true });
    case 'sluice-no-metrics':
      return startSluice(upstream, core, { metrics: false });
    case 'baseline':
      return startSluice(upstream, core, { metrics: true, root: baselineRoot(baseline) });
    case 'portkey':
      return startPortkey(upstream, core);
  }
}

/** The checkout `baseline` runs, checked before anything starts. */
function baselineRoot(dir: string | undefined): string {
  if (dir === undefined || dir === '')
    throw new Error(
      'the baseline target runs the Sluice of another checkout: set BENCH_BASELINE=DIR (e.g. `git worktree add DIR HEAD~1`).',
    );
  if (!existsSync(join(dir, 'bin', 'sluice.js')))
    throw new Error(`BENCH_BASELINE=${dir}: no bin/sluice.js there; give a Sluice checkout.`);
  return dir;
}

export interface Target {
  readonly name: TargetName;
  /** Where the load generator sends `POST …/chat/completions`. */
  readonly url: string;
  readonly headers: Record<string, string>;
  /** A metrics endpoint to read every `SCRAPE_EVERY_MS` while the target is measured. */
  readonly scrape?: Scrape;
  /** The processes whose CPU and memory count (none for direct). */
  pids(): number[];
  /**
   * Replaces the target's processes with fresh ones on the same port, so every measurement
   * starts from the same state (memory left over from an earlier point would hide what this
   * one costs).
   */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export interface Scrape {
  /** `http://127.0.0.1:PORT/metrics` */
  readonly url: string;
  readonly headers: Record<string, string>;
}

/** A target made of one process (and its children) that can be started again on its port. */
async function restartable(
  name: TargetName,
  port: number,
  headers: Record<string, string>,
  /** Starts the process, resolving once it listens on `port`. */
  launch: () => Promise<BenchChild>,
  cleanUp: () => void = () => undefined,
  scrape?: Scrape,
): Promise<Target> {
  // Listening is not serving: nginx's master binds the port before it forks its worker, and
  // a worker that is not there yet would be missing from pids() (its memory and CPU uncounted).
  // One answered request proves the whole target is up; the connection waits in the backlog.
  const serving = async (): Promise<BenchChild> => {
    const started = await launch();
    const response = await fetch(`http://127.0.0.1:${port}/v1/models`, {
      headers,
      signal: AbortSignal.timeout(15_000), // as long as startChild waits for the port
    });
    await response.arrayBuffer();
    return started;
  };
  let child = await serving();
  return {
    name,
    url: `http://127.0.0.1:${port}/v1/chat/completions`,
    headers,
    ...(scrape === undefined ? {} : { scrape }),
    pids: () => [child.pid, ...childrenOf(child.pid)],
    async restart() {
      await child.stop();
      child = await serving();
    },
    async stop() {
      await child.stop();
      cleanUp();
    },
  };
}

export interface Upstream {
  readonly port: number;
  readonly child: BenchChild;
}

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export async function startUpstream(core: number): Promise<Upstream> {
  const child = await startChild(process.execPath, [here('./upstream.ts')], { core });
  const { port } = await child.firstJson<{ port: number }>();
  return { port, child };
}

export function direct(upstream: Upstream): Target {
  return {
    name: 'direct',
    url: `http://127.0.0.1:${upstream.port}/v1/chat/completions`,
    headers: {},
    pids: () => [],
    restart: () => Promise.resolve(),
    stop: () => Promise.resolve(),
  };
}

export async function startNginx(upstream: Upstream, core: number): Promise<Target> {
  const prefix = mkdtempSync(join(tmpdir(), 'sluice-bench-nginx-'));
  const port = await freePort();
  const args = nginxConfig(prefix, port, upstream.port, '1');
  const launch = () => startChild('/usr/sbin/nginx', args, { core, readyPort: port });
  return restartable('nginx', port, {}, launch, () => {
    rmSync(prefix, { recursive: true, force: true });
  });
}

/**
 * BENCH_CPU_PROF=DIR: Sluice and the Node relays write a V8 CPU profile of each process there
 * (open it in Chrome DevTools); time in the kernel mostly shows as idle.
 */
function cpuProfile(): string[] {
  const dir = process.env.BENCH_CPU_PROF;
  return dir === undefined
    ? []
    : ['--cpu-prof', '--cpu-prof-interval=250', `--cpu-prof-dir=${dir}`];
}

/**
 * A relay script run by Node: the Node.js floor (bench/node-relay.ts), the byte pipe beneath
 * it (bench/pipe-relay.ts) or a relay owning its upstream sockets (bench/raw-relay.ts), for
 * context beside Sluice.
 */
async function startNodeScript(
  name: 'pipe' | 'node' | 'raw',
  script: string,
  upstream: Upstream,
  core: number,
): Promise<Target> {
  const port = await freePort();
  const launch = () =>
    startChild(
      process.execPath,
      [...cpuProfile(), here(script), String(upstream.port), String(port)],
      {
        core,
        readyPort: port,
      },
    );
  return restartable(name, port, {}, launch);
}

/**
 * Sluice as deployed: with `metrics`, its `/metrics` behind a token and read every second
 * while it is measured; without, the same Sluice with its metrics module swapped for one that
 * does nothing (`bench/without-metrics.ts`), and nothing read. `root`: another checkout's
 * Sluice (the baseline), started the same way.
 */
export async function startSluice(
  upstream: Upstream,
  core: number,
  { metrics, root }: { readonly metrics: boolean; readonly root?: string },
): Promise<Target> {
  const bin = root === undefined ? SLUICE_BIN : join(root, 'bin', 'sluice.js');
  const port = await freePort();
  const { env, dataDir, key } = sluiceSetup(bin, port, upstream.port);
  const profile = cpuProfile();
  const withoutMetrics = metrics ? [] : ['--import', here('./without-metrics.ts')];
  const launch = () =>
    startChild(process.execPath, [...profile, ...withoutMetrics, bin, 'serve'], {
      core,
      env,
      readyPort: port,
    });
  return restartable(
    root !== undefined ? 'baseline' : metrics ? 'sluice' : 'sluice-no-metrics',
    port,
    { authorization: `Bearer ${key}` },
    launch,
    () => {
      rmSync(dataDir, { recursive: true, force: true });
    },
    metrics
      ? {
          url: `http://127.0.0.1:${port}/metrics`,
          headers: { authorization: `Bearer ${METRICS_TOKEN}` },
        }
      : undefined,
  );
}

/**
 * The TypeScript peer: Portkey's open-source gateway, pinned, installed from the npm registry
 * on first use into a cache of its own (never a dependency of Sluice). Its `@hono/node-server`
 * is pinned to 1.14.1: with the newer one a fresh install answers 500 to every stream. It is
 * told the upstream per request, as its users do (`x-portkey-provider`, `x-portkey-custom-host`).
 */
export const PORTKEY = { gateway: '1.15.2', nodeServer: '1.14.1' } as const;

async function startPortkey(upstream: Upstream, core: number): Promise<Target> {
  const server = installPortkey();
  const port = await freePort();
  const launch = () =>
    startChild(process.execPath, [server, `--port=${port}`, '--headless'], {
      core,
      env: { ...process.env, NODE_ENV: 'production' },
      readyPort: port,
    });
  return restartable(
    'portkey',
    port,
    {
      authorization: 'Bearer sk-bench',
      'x-portkey-provider': 'openai',
      'x-portkey-custom-host': `http://127.0.0.1:${upstream.port}/v1`,
    },
    launch,
  );
}

/** The gateway's start script, installed once per pinned version (`~/.cache/sluice-bench`). */
function installPortkey(): string {
  const dir = join(
    homedir(),
    '.cache',
    'sluice-bench',
    `portkey-${PORTKEY.gateway}-node-server-${PORTKEY.nodeServer}`,
  );
  const server = join(dir, 'node_modules', '@portkey-ai', 'gateway', 'build', 'start-server.js');
  if (existsSync(server)) return server;
  // Installed beside its final place and renamed into it, so a cut install is never used.
  mkdirSync(dirname(dir), { recursive: true });
  const staging = mkdtempSync(`${dir}-installing-`);
  try {
    // An override, not a second top-level copy: the gateway's own range would nest a newer one.
    const manifest = { private: true, overrides: { '@hono/node-server': PORTKEY.nodeServer } };
    writeFileSync(join(staging, 'package.json'), `${JSON.stringify(manifest)}\n`);
    execFileSync(
      'npm',
      [
        'install',
        '--no-audit',
        '--no-fund',
        '--ignore-scripts',
        `@portkey-ai/gateway@${PORTKEY.gateway}`,
      ],
      { cwd: staging, stdio: ['ignore', 'ignore', 'inherit'], timeout: 180_000 },
    );
    renameSync(staging, dir);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return server;
}
