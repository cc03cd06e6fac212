/** The `sluice` command line: help everywhere, and configuration mistakes caught before start. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { delimiter } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';
import { main } from '../src/cli/main.ts';

function io(env: Record<string, string> = {}) {
  let stdout = '';
  let stderr = '';
  return {
    io: {
      stdout: { write: (t: string) => (stdout += t) },
      stderr: { write: (t: string) => (stderr += t) },
      env,
    },
    out: () => stdout,
    err: () => stderr,
  };
}

describe('sluice CLI', () => {
  it('lists its commands with --help', async () => {
    const { io: streams, out } = io();
    assert.equal(await main(['--help'], streams), 0);
    assert.match(out(), /Usage: sluice <command>/);
    assert.match(out(), /serve +run the gateway/);
  });

  it('explains each command with --help, exit 0', async () => {
    const { io: streams, out } = io();
    assert.equal(await main(['serve', '--help'], streams), 0);
    assert.match(out(), /Usage: sluice serve \[options\]/);
    assert.match(out(), /--port PORT/);
  });

  it('exits 2 for an unknown command or option', async () => {
    const unknown = io();
    assert.equal(await main(['frobnicate'], unknown.io), 2);
    assert.match(unknown.err(), /unknown command "frobnicate"/);
    const badFlag = io();
    assert.equal(await main(['serve', '--prot', '80'], badFlag.io), 2);
    assert.match(badFlag.err(), /Unknown option '--prot'/);
  });

  it('exits 2 before starting when the configuration is wrong, naming what to change', async () => {
    const { io: streams, err } = io({ PORT: 'eighty', BASE_URL: 'relay.example.com' });
    assert.equal(await main(['serve'], streams), 2);
    assert.match(err(), /PORT must be a TCP port/);
    assert.match(err(), /BASE_URL must be an http\(s\) URL/);
  });

  it('runs as an executable (bin/sluice.js) on the pinned Node', async () => {
    const bin = fileURLToPath(new URL('../bin/sluice.js', import.meta.url));
    const { stdout } = await promisify(execFile)(process.execPath, [bin, 'serve', '--help']);
    assert.match(stdout, /Usage: sluice serve/);
  });

  it("runs on the system's own Node too (an older one hands over to the pinned Node 24)", async () => {
    const bin = fileURLToPath(new URL('../bin/sluice.js', import.meta.url));
    // PATH without the project's node_modules/.bin: the `node` a user's shell finds.
    const path = (process.env.PATH ?? '')
      .split(delimiter)
      .filter((dir) => !dir.includes('node_modules'))
      .join(delimiter);
    const { stdout } = await promisify(execFile)('node', [bin, 'keys', '--help'], {
      env: { PATH: path },
    });
    assert.match(stdout, /Usage: sluice keys/);
  });
});
