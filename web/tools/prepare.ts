/**
 * `npm install` / `npm ci` run this (the `prepare` script): it builds the page, so a fresh
 * install serves it. A production install (`npm ci --omit=dev`, as in the Dockerfile's runtime
 * stage) has no Vite and gets web/dist from the build stage instead, so there it only says so.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const vite = new URL('../../node_modules/vite/package.json', import.meta.url);
if (!existsSync(vite)) {
  process.stdout.write(
    'prepare: Vite is not installed (production install); web/dist not built.\n',
  );
  process.exit(0);
}
const result = spawnSync('npm', ['run', 'build'], { stdio: 'inherit' });
process.exit(result.status ?? 1);
