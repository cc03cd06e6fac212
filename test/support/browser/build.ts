/**
 * The page under test is web/dist as the server serves it. `npm install` builds it (prepare);
 * this rebuilds it when any of its sources is newer, so the tests never run a stale page.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SOURCES = [
  'web/src',
  // The stream test (/doctor) bundles the doctor's classifier, and the probe's types with it.
  'src/doctor',
  'src/probe',
  'web/public',
  'web/index.html',
  'web/vite.config.ts',
  'package-lock.json',
];

function newest(path: string): number {
  const info = statSync(path, { throwIfNoEntry: false });
  if (info === undefined) return 0;
  if (!info.isDirectory()) return info.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((name) => newest(join(path, name))));
}

export function ensureWebBuilt(): void {
  const built = statSync(join(ROOT, 'web/dist/index.html'), { throwIfNoEntry: false });
  const sources = Math.max(...SOURCES.map((s) => newest(join(ROOT, s))));
  if (built !== undefined && built.mtimeMs >= sources) return;
  const vite = join(ROOT, 'node_modules/vite/bin/vite.js');
  const result = spawnSync(process.execPath, [vite, 'build', 'web', '--logLevel', 'warn'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  if (result.status !== 0) {
    throw new Error(`vite build failed (${result.status}):\n${result.stdout}\n${result.stderr}`);
  }
}
