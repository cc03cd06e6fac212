/**
 * How Sluice behaves as a process, with real processes: `npm start` stopped by SIGTERM (to npm,
 * as a supervisor sends it) or by Ctrl-C (SIGINT to the whole process group, as a terminal
 * sends it) drains like Sluice stopped itself; a taken port is one line that names PORT; a
 * fresh install says where to create the first account. On the first round's main, SIGTERM to
 * npm left Sluice running, reparented to init, and a taken port printed a raw stack.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { formatEvent } from '../src/sse/index.ts';
import {
  deferred,
  type FakeUpstream,
  sseHead,
  startFakeUpstream,
} from './support/fake-upstream.ts';
import { type SluiceProcess, spawnSluice } from './support/sluice-process.ts';
import { postStream } from './support/sse-client.ts';
import { waitFor } from './support/wait.ts';

const BIN = fileURLToPath(new URL('../bin/sluice.js', import.meta.url));

let upstream: FakeUpstream;
before(async () => {
  upstream = await startFakeUpstream();
});
after(() => upstream.stop());

const chunk = formatEvent({
  data: '{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[]}',
});

/** Whether a process is gone (not even a zombie of ours: npm reaps its own). */
function gone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as { code?: string }).code === 'ESRCH';
  }
}

/**
 * A stream open through `npm start`; `stop` signals; the upstream finishes only once Sluice has
 * logged that it is draining, so a stream that completes was let finish, not raced.
 */
async function drainsThroughNpm(stop: (npm: SluiceProcess) => void): Promise<SluiceProcess> {
  const finish = deferred();
  upstream.script(async ({ res }) => {
    sseHead(res);
    res.write(chunk);
    await finish.promise;
    res.end(chunk + formatEvent({ data: '[DONE]' }));
  });
  const npm = await spawnSluice(
    { BASE_URL: upstream.origin, OPENAI_API_KEY: 'k', SLUICE_DRAIN_TIMEOUT: '60s' },
    [],
    { via: 'npm' },
  );
  try {
    assert.notEqual(npm.pid, npm.child.pid, 'npm runs Sluice as a child');
    const stream = await postStream(`${npm.url}/v1/chat/completions`, {
      model: 'm',
      messages: [],
      stream: true,
    });
    const events = stream.events[Symbol.asyncIterator]();
    assert.ok((await events.next()).done !== true, 'the stream is open');

    stop(npm);
    await waitFor(() => /"msg":"draining"/.test(npm.log()), { what: 'Sluice draining' });
    finish.resolve();

    const rest: (string | undefined)[] = [];
    for (let next = await events.next(); next.done !== true; next = await events.next())
      rest.push(next.value.data);
    assert.equal(rest.at(-1), '[DONE]', 'the open stream ran to its end');
    await npm.exited;
    assert.ok(gone(npm.pid), 'Sluice exited with npm, not left running');
    assert.match(npm.log(), /"msg":"stopped"/);
    assert.doesNotMatch(npm.log(), /stopping now/);
    return npm;
  } finally {
    finish.resolve();
    if (!gone(npm.pid)) process.kill(npm.pid, 'SIGKILL');
  }
}

describe('npm start', () => {
  it('SIGTERM to npm drains Sluice: the open stream finishes, then both exit', async () => {
    const npm = await drainsThroughNpm((p) => p.child.kill('SIGTERM'));
    assert.match(npm.log(), /"msg":"draining","signal":"SIGTERM"/);
  });

  it('Ctrl-C (SIGINT to the process group, and npm forwarding it again) drains, not kills', async () => {
    const npm = await drainsThroughNpm((p) => {
      process.kill(-(p.child.pid ?? 0), 'SIGINT');
    });
    assert.match(npm.log(), /"msg":"draining","signal":"SIGINT"/);
  });
});

describe('start-up messages', () => {
  it('a taken port is one line that names PORT, not a stack', async () => {
    const holder = createServer();
    holder.listen(0, '127.0.0.1');
    await once(holder, 'listening');
    const { port } = holder.address() as { port: number };
    const dataDir = await mkdtemp(join(tmpdir(), 'sluice-port-'));
    try {
      const child = spawn(process.execPath, [BIN, 'serve'], {
        env: {
          PATH: process.env.PATH ?? '',
          PORT: String(port),
          SLUICE_LOG_LEVEL: 'warn',
          SLUICE_DATA_DIR: dataDir,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      const [code] = (await once(child, 'exit')) as [number | null];
      assert.equal(code, 1);
      const lines = stderr.trimEnd().split('\n');
      assert.equal(lines.length, 1, stderr);
      const line = JSON.parse(lines[0] ?? '') as { level: string; msg: string };
      assert.equal(line.level, 'error');
      assert.match(
        line.msg,
        new RegExp(`^Port ${port} is already in use on 127\\.0\\.0\\.1: set PORT`),
      );
      assert.doesNotMatch(stderr, /EADDRINUSE|\n\s+at /);
    } finally {
      holder.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('a fresh install names the page where the first account is made', async () => {
    const sluice = await spawnSluice({ SLUICE_ADMIN_KEY: '' });
    try {
      await waitFor(() => sluice.log().includes('no users yet'), { what: 'the hint' });
      const hint = sluice
        .log()
        .split('\n')
        .filter((l) => l.includes('no users yet'))
        .map((l) => JSON.parse(l) as { msg: string; setup: string });
      assert.equal(hint.length, 1);
      const [{ msg, setup }] = hint as [{ msg: string; setup: string }];
      assert.equal(setup, `${sluice.url}/`);
      assert.match(msg, /create the first \(admin\) account/);
      const page = await fetch(`${sluice.url}/api/session`);
      assert.equal(
        ((await page.json()) as { setup_required?: boolean }).setup_required,
        true,
        'and the page offers it',
      );
    } finally {
      sluice.child.kill('SIGTERM');
      await sluice.exited;
    }
  });
});
