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

export interface SluiceProcess {
  readonly url: string;
  readonly child: ChildProcess;
  /** Resolves with the exit code (or the signal's name). */
  readonly exited: Promise<number | string>;
  /** Everything it wrote to stderr (its log). */
  log(): string;
}

/** Starts `sluice serve`; without SLUICE_DATA_DIR in `env` it gets a fresh temp data dir. */
export async function spawnSluice(
  env: Record<string, string>,
  args: string[] = [],
): Promise<SluiceProcess> {
  const dataDir = env.SLUICE_DATA_DIR ?? (await mkdtemp(join(tmpdir(), 'sluice-data-')));
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', ...args], {
    env: {
      PATH: process.env.PATH ?? '',
      SLUICE_ADMIN_KEY: ADMIN_KEY,
      SLUICE_LOG_LEVEL: 'info',
      SLUICE_DATA_DIR: dataDir,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  const listening = new Promise<string>((resolve, reject) => {
    child.stderr.on('data', (chunk: Buffer) => {
      log += chunk.toString();
      const match = /"msg":"listening","url":"([^"]+)"/.exec(log);
      if (match?.[1]) resolve(match[1].replace(/\/$/, ''));
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
  return { url: await listening, child, exited, log: () => log };
}
