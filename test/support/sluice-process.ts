/** `sluice serve` as its own process, as `npm start` runs it: for signals and exit codes. */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ADMIN_KEY } from './sluice.ts';

const BIN = fileURLToPath(new URL('../../bin/sluice.js', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface SluiceProcess {
  readonly url: string;
  /** The process serving (under `npm start`, not the npm process `child` is). */
  readonly pid: number;
  readonly child: ChildProcess;
  /** Resolves with the exit code (or the signal's name). */
  readonly exited: Promise<number | string>;
  /** Everything it wrote to stderr (its log). */
  log(): string;
}

/**
 * Starts `sluice serve`, or `npm start` (`via: 'npm'`, in its own process group as a terminal
 * would run it); without SLUICE_DATA_DIR in `env` it gets a fresh temp data dir.
 */
export async function spawnSluice(
  env: Record<string, string>,
  args: string[] = [],
  { via = 'bin' }: { via?: 'bin' | 'npm' } = {},
): Promise<SluiceProcess> {
  const dataDir = env.SLUICE_DATA_DIR ?? (await mkdtemp(join(tmpdir(), 'sluice-data-')));
  const childEnv = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? tmpdir(),
    SLUICE_ADMIN_KEY: ADMIN_KEY,
    SLUICE_LOG_LEVEL: 'info',
    SLUICE_DATA_DIR: dataDir,
    ...env,
  };
  const child =
    via === 'npm'
      ? spawn('npm', ['start', '--silent', '--', '--port', '0', ...args], {
          cwd: ROOT,
          env: { ...childEnv, npm_config_update_notifier: 'false' },
          stdio: ['ignore', 'pipe', 'pipe'],
          detached: true,
        })
      : spawn(process.execPath, [BIN, 'serve', '--port', '0', ...args], {
          env: childEnv,
          stdio: ['ignore', 'pipe', 'pipe'],
        });
  let log = '';
  const listening = new Promise<{ url: string; pid: number }>((resolve, reject) => {
    child.stderr.on('data', (chunk: Buffer) => {
      log += chunk.toString();
      const match = /"msg":"listening","url":"([^"]+)","pid":(\d+)/.exec(log);
      if (match?.[1] && match[2])
        resolve({ url: match[1].replace(/\/$/, ''), pid: Number(match[2]) });
    });
    child.once('exit', (code) => {
      reject(new Error(`sluice exited (${String(code)}) before listening:\n${log}`));
    });
  });
  if (env.SLUICE_DATA_DIR === undefined) {
    child.once('exit', () => {
      rmSync(dataDir, { recursive: true, force: true });
    });
  }
  const exited = once(child, 'exit').then(([code, signal]) => (code ?? signal) as number | string);
  const { url, pid } = await listening;
  return { url, pid, child, exited, log: () => log };
}
