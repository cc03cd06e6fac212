/**
 * Scale-out as DESIGN.md has it: two Sluice processes behind a real nginx, sharing PostgreSQL
 * and Redis. Under concurrent load the limits hold exactly — globally, not per instance — and
 * every request's record lands in the one store.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Accounts } from '../src/accounts/index.ts';
import { formatEvent } from '../src/sse/index.ts';
import { type Limits, NO_LIMITS, openStore, type Store } from '../src/store/index.ts';
import { chatStream } from './support/chat-fixtures.ts';
import {
  deferred,
  type FakeUpstream,
  sseHead,
  startFakeUpstream,
} from './support/fake-upstream.ts';
import { startNginx, type TestNginx } from './support/nginx.ts';
import { type TestDatabase, testDatabase } from './support/postgres.ts';
import { REDIS_URL, type TestKeyspace, testKeyspace } from './support/redis.ts';
import { type SluiceProcess, spawnSluice } from './support/sluice-process.ts';
import { waitFor } from './support/wait.ts';
import { waitForText } from './support/wait-for-text.ts';

let upstream: FakeUpstream;
let database: TestDatabase;
let keyspace: TestKeyspace;
let store: Store;
let instances: SluiceProcess[];
let nginx: TestNginx;

before(async () => {
  upstream = await startFakeUpstream(chatStream('openai-chat/openai-text.chunks.txt'));
  database = await testDatabase();
  keyspace = testKeyspace();
  store = await openStore({ dataDir: '/nonexistent', databaseUrl: database.url });
  const env = {
    BASE_URL: upstream.origin,
    OPENAI_API_KEY: 'sk-upstream',
    DATABASE_URL: database.url,
    REDIS_URL,
    SLUICE_REDIS_PREFIX: keyspace.prefix,
    SLUICE_TRUSTED_PROXIES: '127.0.0.1',
  };
  instances = await Promise.all([spawnSluice(env), spawnSluice(env)]);
  const ports = instances.map((i) => new URL(i.url).port);
  nginx = await startNginx({
    httpExtra: `log_format upstreams '$upstream_addr $status';
      upstream sluice { ${ports.map((p) => `server 127.0.0.1:${p};`).join(' ')} keepalive 16; }`,
    serverBlock: `server {
      listen 127.0.0.1:{{PORT}};
      access_log {{PREFIX}}/upstreams.log upstreams;
      location / {
        proxy_pass http://sluice;
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_buffering off;
      }
    }`,
  });
});
after(async () => {
  await nginx.stop();
  for (const instance of instances) instance.child.kill('SIGTERM');
  await Promise.all(instances.map((i) => i.exited));
  await store.close();
  await Promise.all([database.drop(), keyspace.drop(), upstream.stop()]);
});

async function newKey(username: string, limits: Partial<Limits>): Promise<string> {
  const accounts = new Accounts(store, { key: NO_LIMITS, user: NO_LIMITS });
  await accounts.addUser({ username, password: 'correct horse battery staple' });
  return (await accounts.createKey({ username, limits: { ...NO_LIMITS, ...limits } })).secret;
}

async function post(key: string): Promise<{ status: number; code: string | undefined }> {
  const response = await fetch(`${nginx.url}/v1/chat/completions`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${key}`,
      'content-type': 'application/json',
      'x-forwarded-for': '203.0.113.7',
    },
    body: JSON.stringify({
      model: 'gpt-4.1-nano',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
    }),
  });
  const text = await response.text();
  return {
    status: response.status,
    code:
      response.status === 200
        ? undefined
        : (JSON.parse(text) as { error: { code: string } }).error.code,
  };
}

const count = (results: { status: number }[], status: number) =>
  results.filter((r) => r.status === status).length;

describe('two instances behind nginx, sharing PostgreSQL and Redis', () => {
  it('requests per minute hold exactly under concurrent load, across both instances', async () => {
    const key = await newKey('rpm', { rpm: 17 });
    const results = await Promise.all(Array.from({ length: 60 }, () => post(key)));
    assert.equal(count(results, 200), 17);
    assert.equal(count(results, 429), 43);
    const log = await waitForText(() => nginx.read('upstreams.log'), /(?:.*\n){60}/);
    const served = new Set([...log.matchAll(/127\.0\.0\.1:(\d+)/g)].map((m) => m[1]));
    assert.equal(served.size, 2, 'nginx spread the load over both instances');
  });

  it('streams at once hold exactly, globally', async () => {
    const key = await newKey('streams', { maxStreams: 3 });
    const release = deferred();
    upstream.script(async ({ res }) => {
      sseHead(res);
      await release.promise;
      res.end(formatEvent({ data: '[DONE]' }));
    });
    const settled: { status: number; code: string | undefined }[] = [];
    const pending = Array.from({ length: 12 }, () => post(key).then((r) => (settled.push(r), r)));
    // Three hold their slots at the upstream; every other one must be answered before they end.
    await waitFor(() => heldAtUpstream() === 3 && settled.length === 9);
    release.resolve();
    const results = await Promise.all(pending);
    assert.equal(count(results, 200), 3);
    assert.equal(results.filter((r) => r.code === 'too_many_streams').length, 9);
    upstream.script(chatStream('openai-chat/openai-text.chunks.txt'));
  });

  it('a token budget is spent globally: alternate instances, one total', async () => {
    const key = await newKey('budget', { budgetTokens: 1000, budgetPeriod: 'day' });
    const user = await store.findUserByName('budget');
    const statuses: (number | string | undefined)[] = [];
    for (let i = 0; i < 6; i++) {
      const { status, code } = await post(key);
      statuses.push(status === 200 ? 200 : code);
      // A request is charged just after its last byte; a client that waits for its record
      // (as this one does) always sees the charge.
      await waitFor(async () => {
        const records = await store.listUsage({ userId: user?.id ?? '' });
        return records.length === i + 1 && records.every((r) => r.endedAt !== null);
      });
    }
    // 316 tokens a request: after three (948) there is budget left for a fourth (1264), then none.
    assert.deepEqual(statuses, [200, 200, 200, 200, 'insufficient_quota', 'insufficient_quota']);
  });

  it('every request left its record in the shared store, with the client’s address', async () => {
    await waitForRecordsEnded();
    const records = await store.listUsage({ limit: 10_000 });
    assert.equal(records.length, 60 + 12 + 6);
    assert.ok(records.every((r) => r.clientIp === '203.0.113.7'));
    const done = records.filter((r) => r.endReason === 'done');
    assert.equal(done.length, 17 + 3 + 4);
    assert.equal(records.filter((r) => r.endReason === 'rejected').length, 43 + 9 + 2);
  });
});

function heldAtUpstream(): number {
  return upstream.calls.filter((c) => c.res.headersSent && !c.res.writableEnded).length;
}

async function waitForRecordsEnded(): Promise<void> {
  await waitFor(async () => {
    const records = await store.listUsage({ limit: 10_000 });
    return records.length === 78 && records.every((r) => r.endedAt !== null);
  });
}
