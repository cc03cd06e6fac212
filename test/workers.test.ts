/**
 * `sluice serve --workers 2` (issue #16): one port served by two processes. Requests on new
 * connections land on both (the primary hands connections out in turn; the instance in each
 * request id says which worker answered). A key's rpm limit holds across them exactly, whether
 * the counters live in the primary's memory or in Redis; `/metrics` adds up every worker's
 * counts; SIGHUP reaches every worker; a bad worker count stops start-up naming SLUICE_WORKERS.
 * Real processes, real signals; what waits, waits on what the processes say or do.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type FakeUpstream, jsonReply, startFakeUpstream } from './support/fake-upstream.ts';
import { livingInGroup } from './support/process.ts';
import { REDIS_URL, testKeyspace } from './support/redis.ts';
import { spawnSluice, type SluiceProcess } from './support/sluice-process.ts';
import { waitForText } from './support/wait-for-text.ts';
import { type Answer, onEveryWorker, send, series } from './support/workers.ts';

const BIN = fileURLToPath(new URL('../bin/sluice.js', import.meta.url));
const TWO = ['--workers', '2'];

let upstream: FakeUpstream;
before(async () => {
  upstream = await startFakeUpstream((call) => {
    void jsonReply(200, {
      id: 'c',
      object: 'chat.completion',
      model: call.json?.model,
      choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 },
    })(call);
  });
});
after(() => upstream.stop());

const env = () => ({ BASE_URL: upstream.origin, OPENAI_API_KEY: 'k' });

function chat(url: string, options: { model?: string; key?: string } = {}): Promise<Answer> {
  return send(url, '/v1/chat/completions', {
    body: { model: options.model ?? 'm', messages: [{ role: 'user', content: 'hi' }] },
    ...(options.key === undefined ? {} : { key: options.key }),
  });
}

async function stop(sluice: SluiceProcess): Promise<void> {
  if (sluice.child.exitCode !== null) return;
  sluice.child.kill('SIGTERM');
  await sluice.exited;
}

/** A user with a key limited to `rpm` requests a minute, made through the admin API. */
async function limitedKey(url: string, rpm: number): Promise<string> {
  const user = await send(url, '/api/admin/users', {
    body: { username: 'ada', password: 'a long enough passphrase' },
  });
  assert.equal(user.status, 201, user.body);
  const key = await send(url, '/api/admin/keys', { body: { user: 'ada', limits: { rpm } } });
  assert.equal(key.status, 201, key.body);
  return (JSON.parse(key.body) as { key: string }).key;
}

/** `rpm` + 1 requests with one key, each on a new connection: both workers answer some. */
async function rpmHoldsAcrossWorkers(url: string): Promise<void> {
  const rpm = 6;
  const key = await limitedKey(url, rpm);
  const answers: Answer[] = [];
  for (let i = 0; i <= rpm; i++) answers.push(await chat(url, { key }));
  assert.deepEqual(
    answers.map((a) => a.status),
    [...Array<number>(rpm).fill(200), 429],
    'exactly rpm requests pass, whichever worker counts them',
  );
  assert.equal(new Set(answers.map((a) => a.instance)).size, 2, 'both workers took requests');
  const refused = JSON.parse(answers.at(-1)?.body ?? '{}') as { error?: { code?: string } };
  assert.equal(refused.error?.code, 'rate_limit_exceeded');
}

describe('sluice serve --workers 2', () => {
  it('serves one port from two processes: request ids name two instances', async () => {
    const sluice = await spawnSluice(env(), TWO);
    try {
      assert.match(sluice.log(), /"msg":"listening","url":"[^"]+","pid":\d+,"workers":2/);
      const answers = await onEveryWorker(() => chat(sluice.url));
      assert.ok(answers.every((a) => a.status === 200));
      const pids = [...sluice.log().matchAll(/"msg":"worker listening","worker":(\d)/g)];
      assert.deepEqual(pids.map((m) => m[1]).sort(), ['1', '2']);
    } finally {
      await stop(sluice);
    }
  });

  it('keeps an rpm limit exact across workers with counters in the primary’s memory', async () => {
    const sluice = await spawnSluice(env(), TWO);
    try {
      const health = await send(sluice.url, '/healthz');
      assert.equal((JSON.parse(health.body) as { counters: string }).counters, 'memory');
      await rpmHoldsAcrossWorkers(sluice.url);
    } finally {
      await stop(sluice);
    }
  });

  it('keeps an rpm limit exact across workers with counters in Redis', async () => {
    const keyspace = testKeyspace();
    const sluice = await spawnSluice(
      { ...env(), REDIS_URL, SLUICE_REDIS_PREFIX: keyspace.prefix },
      TWO,
    );
    try {
      await rpmHoldsAcrossWorkers(sluice.url);
    } finally {
      await stop(sluice);
      await keyspace.drop();
    }
  });

  it('locks an account after 5 failed sign-ins in all, not 5 per worker', async () => {
    const sluice = await spawnSluice(env(), TWO);
    try {
      const password = 'a long enough passphrase';
      const user = await send(sluice.url, '/api/admin/users', {
        body: { username: 'ada', password },
      });
      assert.equal(user.status, 201, user.body);
      // A browser's double-submit CSRF token: the cookie and the header agree.
      const csrf = 'test-csrf-token-0123456789';
      const login = (pass: string) =>
        send(sluice.url, '/api/login', {
          body: { username: 'ada', password: pass },
          headers: { cookie: `sluice_csrf=${csrf}`, 'x-csrf-token': csrf },
        });
      for (let i = 0; i < 5; i++) assert.equal((await login('wrong guess')).status, 401);
      for (const worker of [1, 2])
        await waitForText(() => sluice.log(), `"msg":"sign-in failed","worker":${worker}`, {
          timeoutMs: 15_000,
        }); // both workers saw failures
      const locked = await login(password);
      assert.equal(locked.status, 429, locked.body);
      assert.match(locked.body, /too_many_sign_in_attempts/);
    } finally {
      await stop(sluice);
    }
  });

  it('/metrics adds up the requests of every worker', async () => {
    const sluice = await spawnSluice(env(), TWO);
    try {
      const answers = await onEveryWorker(() => chat(sluice.url));
      answers.push(await chat(sluice.url), await chat(sluice.url));
      // Each worker counts a request in the turn it completes its answer, before any later
      // message (the primary asking for its metrics) can reach it.
      const scrape = await send(sluice.url, '/metrics');
      assert.equal(scrape.status, 200);
      const done = { route: '/v1/chat/completions', status: '200', end_reason: 'done' };
      assert.deepEqual(series(scrape.body, 'sluice_requests_total', done), [answers.length]);
      assert.deepEqual(series(scrape.body, 'sluice_workers'), [2]);
      // Histograms too: one count per request, whichever worker observed it.
      assert.deepEqual(
        series(scrape.body, 'sluice_request_duration_seconds_count', {
          route: '/v1/chat/completions',
        }),
        [answers.length],
      );
    } finally {
      await stop(sluice);
    }
  });

  it('/metrics shows a worker too busy to answer as it last reported: no counter goes backwards', async () => {
    // Left out, its requests vanished from the sums (120 → 41 → 120): Prometheus reads a
    // counter reset, and a large false increase after it.
    const sluice = await spawnSluice({ ...env(), SLUICE_METRICS_LISTEN: '127.0.0.1:0' }, TWO);
    const workerPids = () =>
      [
        ...sluice
          .log()
          .matchAll(/"msg":"worker listening","worker":\d+,"url":"[^"]+","pid":(\d+)/g),
      ].map((m) => Number(m[1]));
    let stopped: number | undefined;
    try {
      const metricsUrl = /"msg":"metrics listening","url":"([^"]+)"/.exec(sluice.log())?.[1];
      assert.ok(metricsUrl);
      const answers = await onEveryWorker(() => chat(sluice.url));
      const done = { route: '/v1/chat/completions', status: '200', end_reason: 'done' };
      const total = async () =>
        series(await (await fetch(metricsUrl)).text(), 'sluice_requests_total', done);
      assert.deepEqual(await total(), [answers.length]);
      stopped = workerPids()[0];
      assert.ok(stopped !== undefined, sluice.log());
      process.kill(stopped, 'SIGSTOP'); // busy past the primary's wait for its report
      assert.deepEqual(await total(), [answers.length]);
    } finally {
      if (stopped !== undefined) process.kill(stopped, 'SIGCONT');
      await stop(sluice);
    }
  });

  it('SIGHUP reloads the configuration in every worker', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sluice-workers-reload-'));
    const file = join(dir, 'sluice.json');
    const config = (aliases: Record<string, string>) =>
      JSON.stringify({
        upstreams: [{ name: 'one', baseUrl: upstream.origin, models: ['gpt-*'], aliases }],
      });
    await writeFile(file, config({}));
    const sluice = await spawnSluice({ SLUICE_CONFIG: file }, TWO);
    try {
      const before = await onEveryWorker(() => chat(sluice.url, { model: 'fast' }));
      assert.ok(
        before.every((a) => a.status === 404),
        'no model "fast" yet, on either worker',
      );

      await writeFile(file, config({ fast: 'gpt-4.1-mini' }));
      sluice.child.kill('SIGHUP');
      for (const worker of [1, 2])
        await waitForText(
          () => sluice.log(),
          new RegExp(`"msg":"configuration reloaded","worker":${worker}`),
          { timeoutMs: 15_000 },
        );
      const after = await onEveryWorker(() => chat(sluice.url, { model: 'fast' }));
      for (const answer of after) {
        assert.equal(answer.status, 200, answer.body);
        assert.equal((JSON.parse(answer.body) as { model: string }).model, 'gpt-4.1-mini');
      }

      // A bad file is refused once, by the primary, and every worker keeps what it runs.
      await writeFile(file, JSON.stringify({ upstreamz: [] }));
      sluice.child.kill('SIGHUP');
      const log = await waitForText(
        () => sluice.log(),
        /"msg":"configuration not reloaded: the running one stays","problems"/,
        { timeoutMs: 15_000 },
      );
      assert.doesNotMatch(log, /"msg":"configuration not reloaded[^\n]*"worker"/);
      const still = await onEveryWorker(() => chat(sluice.url, { model: 'fast' }));
      assert.ok(still.every((a) => a.status === 200));
    } finally {
      await stop(sluice);
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('stops with exit code 1 when its workers cannot listen, leaving no process behind', async () => {
    const holder = createServer();
    holder.listen(0, '127.0.0.1');
    await once(holder, 'listening');
    const { port } = holder.address() as { port: number };
    try {
      const child = spawn(
        process.execPath,
        [BIN, 'serve', '--workers', '2', '--port', String(port)],
        {
          env: { PATH: process.env.PATH ?? '', ...env(), SLUICE_LOG_FORMAT: 'json' },
          stdio: ['ignore', 'pipe', 'pipe'],
          detached: true,
        },
      );
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const [code] = (await once(child, 'exit')) as [number | null];
      assert.equal(code, 1, stderr);
      assert.match(stderr, /"msg":"Port \d+ is already in use on 127\.0\.0\.1: set PORT/);
      assert.match(stderr, /"msg":"a worker could not start; stopping the others"/);
      assert.doesNotMatch(stderr, /"msg":"listening"/);
      assert.deepEqual(livingInGroup(child.pid ?? 0), [], 'no worker outlives the primary');
    } finally {
      holder.close();
    }
  });

  for (const [how, args, extra] of [
    ['--workers 0', ['--workers', '0'], {}],
    ['SLUICE_WORKERS=abc', [], { SLUICE_WORKERS: 'abc' }],
  ] as const) {
    it(`refuses ${how} before starting, naming SLUICE_WORKERS`, async () => {
      const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', ...args], {
        env: { PATH: process.env.PATH ?? '', ...env(), ...extra },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const [code] = (await once(child, 'exit')) as [number | null];
      assert.equal(code, 2, stderr);
      assert.match(stderr, /SLUICE_WORKERS/);
      assert.match(stderr, /whole number of worker processes from 1 to \d+, or "auto"/);
      assert.doesNotMatch(stderr, /listening|at .*\.ts:\d+/, 'one message, no stack, no start');
    });
  }
});
