/**
 * The CLI answers at once because each command loads only its own code: no HTTP client, no
 * driver it does not use, no validator, no metrics or tracing SDK, none of the server. Checked
 * by what the process loads, not by a timer (each module is read and type-stripped; the whole
 * server made `sluice keys list` take 1–2 s on the first round's main).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { makeScratchDir, type ScratchDir } from './support/scratch-dir.ts';

const BIN = fileURLToPath(new URL('../bin/sluice.js', import.meta.url));
const RECORDER = fileURLToPath(new URL('./support/record-imports.ts', import.meta.url));

/** What no account, key or usage command needs, by what its URL contains. */
const HEAVY = [
  '/node_modules/undici/',
  '/node_modules/pg/',
  '/node_modules/@redis/',
  '/node_modules/zod/',
  '/node_modules/prom-client/',
  '/node_modules/@opentelemetry/',
  '/src/server/',
  '/src/gateway/',
  '/src/upstream/',
  '/src/telemetry/',
  '/src/doctor/',
  '/src/deploy/',
];

let dir: ScratchDir;
before(async () => {
  dir = await makeScratchDir('cli-speed');
});
after(() => dir.remove());

/** Runs `sluice ...args` on SQLite in the scratch dir; the module URLs it loaded. */
async function loadedBy(args: string[], input?: string): Promise<string[]> {
  const record = dir.file(`imports-${args.join('-')}.txt`);
  const run = promisify(execFile)(process.execPath, ['--import', RECORDER, BIN, ...args], {
    env: {
      PATH: process.env.PATH ?? '',
      SLUICE_DATA_DIR: dir.path,
      RECORD_IMPORTS_TO: record,
    },
  });
  if (input !== undefined) run.child.stdin?.end(input);
  await run;
  return (await readFile(record, 'utf8')).split('\n');
}

describe('a CLI command loads only what it uses', () => {
  const commands = [
    ['--help'],
    ['migrate'],
    ['users', 'list'],
    ['keys', 'list'],
    ['usage'],
    ['usage', '--csv'],
  ];
  for (const args of commands) {
    it(`sluice ${args.join(' ')}`, async () => {
      const loaded = await loadedBy(args);
      assert.ok(
        loaded.some((url) => url.includes('/src/cli/')),
        'the recorder saw the command itself',
      );
      const heavy = loaded.filter((url) => HEAVY.some((part) => url.includes(part)));
      assert.deepEqual(heavy, []);
    });
  }

  it('sluice users add (a password hashed, a row written) loads no more', async () => {
    const loaded = await loadedBy(
      ['users', 'add', 'ada', '--password-stdin'],
      'a long passphrase\n',
    );
    assert.ok(loaded.some((url) => url.endsWith('/src/cli/users.ts')));
    assert.deepEqual(
      loaded.filter((url) => HEAVY.some((part) => url.includes(part))),
      [],
    );
  });

  it('the check would see it: doctor, which needs an HTTP client, loads one', async () => {
    const loaded = await loadedBy(['doctor', '--help']);
    assert.ok(
      loaded.some((url) => HEAVY.some((part) => url.includes(part))),
      'doctor loads its own code, which the list names',
    );
  });
});
