#!/usr/bin/env node
// Sluice is TypeScript run directly by Node (type stripping): it needs Node 24. Started by an
// older Node, it hands over to the Node 24 the project pins (node_modules/node), if installed.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const serving = process.argv[2] === 'serve';

const [major] = process.versions.node.split('.').map(Number);
if (major === undefined || major < 24) {
  const pinned = fileURLToPath(new URL('../node_modules/node/bin/node', import.meta.url));
  if (!existsSync(pinned)) {
    process.stderr.write(
      `sluice needs Node.js 24 or later; this is ${process.version}.\n` +
        'Run `npm install` in the Sluice directory: it brings the Node 24 the project pins.\n',
    );
    process.exit(2);
  }
  const child = spawn(
    pinned,
    [...serveFlags(), fileURLToPath(import.meta.url), ...process.argv.slice(2)],
    { stdio: 'inherit', env: serveEnv() },
  );
  for (const signal of /** @type {const} */ (['SIGINT', 'SIGTERM', 'SIGHUP'])) {
    process.on(signal, () => child.kill(signal));
  }
  child.on('exit', (code, signal) => {
    process.exitCode = code ?? (signal === null ? 1 : 128);
  });
} else if (process.execve !== undefined && (serveFlags().length > 0 || !hasServeEnv())) {
  // Replaces this process (same PID, so signals and `docker stop` reach Sluice itself).
  process.execve(
    process.execPath,
    [
      process.execPath,
      ...serveFlags(),
      ...process.execArgv,
      fileURLToPath(import.meta.url),
      ...process.argv.slice(2),
    ],
    serveEnv(),
  );
} else {
  // Sluice's sources, type-stripped and compiled, are kept between runs: a CLI command starts
  // in a third of the time from its second run (see README, "CLI speed"). In the install's own
  // node_modules, not a shared temp dir; where that is read-only, Node quietly does without.
  // NODE_DISABLE_COMPILE_CACHE=1 turns it off.
  // (Imported here: an older Node, which hands over above, lacks it.)
  const { enableCompileCache } = await import('node:module');
  enableCompileCache(fileURLToPath(new URL('../node_modules/.cache/sluice', import.meta.url)));
  const { main } = await import('../src/cli/main.ts');
  process.exitCode = await main(process.argv.slice(2));
}

/**
 * What `sluice serve` runs with that it was not given. A small young generation: a gateway
 * holds thousands of streams whose objects live for seconds, and with V8's default (up to
 * 16 MiB per semi-space) each scavenge copies many survivors and pauses the event loop for
 * 10–20 ms at 1000 streams, which shows as per-event delay; 4 MiB keeps pauses near 1 ms and resident memory per stream lower, at no CPU
 * cost (bench/, docs/bench/). Set your own --max-semi-space-size in NODE_OPTIONS to override.
 *
 * And large request bodies go back to the system when they end. glibc serves an allocation
 * above a threshold with its own mapping, returned when freed, but raises that threshold to the
 * size of each such block freed (up to 32 MiB): after the first large body, bodies of its size
 * come from the heap, which keeps them. Ten bodies of 31 MB then left the process at 550 MB for
 * good; with the threshold fixed at 1 MiB, and a garbage collection once large bodies have
 * ended (--expose-gc, used by http/body-budget.ts only), it comes back down.
 * MALLOC_MMAP_THRESHOLD_ in the environment overrides the threshold.
 *
 * And two malloc arenas rather than glibc's default of eight per core: Node's helper threads
 * (V8's garbage collector and compiler, libuv's pool) each filled an arena of their own, which
 * kept memory the main thread had freed. At 1000 open streams resident memory per stream fell
 * from 48 to 37 KiB with two, CPU and delays unchanged (bench, 2026-12-03); one arena made the
 * threads wait on each other. MALLOC_ARENA_MAX in the environment overrides it.
 */
function serveFlags() {
  if (!serving) return [];
  const given = [...process.execArgv, process.env.NODE_OPTIONS ?? ''].join(' ');
  return [
    ...(given.includes('--max-semi-space-size') ? [] : ['--max-semi-space-size=4']),
    ...(given.includes('--expose-gc') ? [] : ['--expose-gc']),
  ];
}

/** glibc's settings `sluice serve` runs with unless the environment gives its own. */
function mallocDefaults() {
  return { MALLOC_MMAP_THRESHOLD_: String(1024 * 1024), MALLOC_ARENA_MAX: '2' };
}

function hasServeEnv() {
  return !serving || Object.keys(mallocDefaults()).every((name) => name in process.env);
}

function serveEnv() {
  return serving ? { ...mallocDefaults(), ...process.env } : process.env;
}
