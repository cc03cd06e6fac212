/**
 * Usage records are never lost: a PostgreSQL outage (a server of the test's own, stopped for
 * real) does not stop streams in flight, their records wait in memory and are written when the
 * database is back; and a crashed process leaves an `incomplete` record rather than nothing.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { formatEvent } from '../src/sse/index.ts';
import { openStore } from '../src/store/index.ts';
import { chatChunksFor } from './support/chat-fixtures.ts';
import {
  deferred,
  type FakeUpstream,
  sseHead,
  startFakeUpstream,
} from './support/fake-upstream.ts';
import { type PrivateCluster, privateCluster } from './support/postgres.ts';
import { spawnSluice } from './support/sluice-process.ts';
import { keyFor, startTestSluice } from './support/sluice.ts';
import { postStream } from './support/sse-client.ts';
import { metric, waitFor } from './support/wait.ts';

const CHUNKS = chatChunksFor('openai-chat/openai-text.chunks.txt', true);
const chat = { model: 'gpt-4.1-nano', messages: [{ role: 'user', content: 'hi' }], stream: true };

let upstream: FakeUpstream;
before(async () => {
  upstream = await startFakeUpstream();
});
after(() => upstream.stop());

/** A script that sends half the recorded stream, waits for `go`, then the rest. */
function heldStream(go: Promise<void>) {
  return async ({ res }: { res: import('node:http').ServerResponse }) => {
    sseHead(res);
    for (const c of CHUNKS.slice(0, 10)) res.write(formatEvent({ data: JSON.stringify(c) }));
    await go;
    res.end(
      CHUNKS.slice(10)
        .map((c) => formatEvent({ data: JSON.stringify(c) }))
        .join('') + formatEvent({ data: '[DONE]' }),
    );
  };
}

describe('PostgreSQL outage', () => {
  let cluster: PrivateCluster;
  before(async () => {
    cluster = await privateCluster();
  });
  after(() => cluster.remove());

  it('streams in flight finish, their records wait, and are written when the database returns', async () => {
    const sluice = await startTestSluice({
      BASE_URL: upstream.origin,
      OPENAI_API_KEY: 'k',
      DATABASE_URL: cluster.url,
    });
    try {
      const key = await keyFor(sluice, 'ada');
      // Created before the outage and never used: nothing of it is cached.
      const unseen = await keyFor(sluice, 'grace');
      const go = deferred();
      upstream.script(heldStream(go.promise));
      const inFlight = await postStream(`${sluice.baseURL}/chat/completions`, chat, {
        authorization: `Bearer ${key}`,
      });
      await upstream.nextCall();

      await cluster.stop(); // the outage, mid-stream
      go.resolve();
      const data = (await inFlight.all()).map((e) => e.data);
      assert.equal(data.at(-1), '[DONE]', 'the stream finished regardless');

      // A key seen valid a moment ago still works while nothing can be revoked.
      upstream.script(heldStream(Promise.resolve()));
      const during = await postStream(`${sluice.baseURL}/chat/completions`, chat, {
        authorization: `Bearer ${key}`,
      });
      assert.equal((await during.all()).at(-1)?.data, '[DONE]');
      // A route that needs the store says to come back, on /api as on /v1.
      const conversations = await fetch(`${sluice.url}/api/conversations`, {
        headers: { authorization: `Bearer ${key}` },
      });
      assert.equal(conversations.status, 503);
      assert.equal(conversations.headers.get('retry-after'), '5');
      const refused = (await conversations.json()) as { error: { code: string; message: string } };
      assert.equal(refused.error.code, 'store_unavailable');
      assert.doesNotMatch(refused.error.message, /127\.0\.0\.1|ECONNREFUSED/);
      // A key that cannot be checked: 503 with Retry-After on /v1 too, in the client's dialect.
      const calls = upstream.calls.length;
      const openaiShape = await fetch(`${sluice.baseURL}/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${unseen}`, 'content-type': 'application/json' },
        body: JSON.stringify(chat),
      });
      assert.equal(openaiShape.status, 503);
      assert.equal(openaiShape.headers.get('retry-after'), '5');
      const openaiError = (await openaiShape.json()) as { error: { code: string } };
      assert.equal(openaiError.error.code, 'store_unavailable');
      const anthropicShape = await fetch(`${sluice.baseURL}/messages`, {
        method: 'POST',
        headers: { 'x-api-key': unseen, 'content-type': 'application/json' },
        body: JSON.stringify({
          model: 'claude-sonnet-4-5',
          max_tokens: 10,
          messages: chat.messages,
        }),
      });
      assert.equal(anthropicShape.status, 503);
      assert.equal(anthropicShape.headers.get('retry-after'), '5');
      const anthropicError = (await anthropicShape.json()) as {
        type: string;
        error: { type: string };
      };
      assert.equal(anthropicError.type, 'error');
      assert.equal(typeof anthropicError.error.type, 'string');
      assert.equal(upstream.calls.length, calls, 'nothing forwarded');
      await waitFor(async () => (await metric(sluice.url, 'sluice_usage_records_pending')) === 4, {
        what: 'every record waiting in memory, the refusals too',
      });

      await cluster.start();
      await sluice.running.settled();
      const all = await sluice.running.store.listUsage({});
      assert.equal(all.length, 4, 'none lost');
      const refusals = all.filter((r) => r.status === 503);
      assert.equal(refusals.length, 2);
      const records = all.filter((r) => r.status === 200);
      assert.equal(records.length, 2);
      for (const record of records) {
        assert.equal(record.endReason, 'done');
        assert.equal(record.usageSource, 'upstream');
        assert.equal(record.completionTokens, 300);
        assert.equal(record.username, 'ada');
      }
    } finally {
      await sluice.stop();
    }
  });
});

describe('a crash', () => {
  it('leaves an incomplete record, not nothing', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'sluice-crash-'));
    try {
      upstream.script(heldStream(new Promise(() => undefined))); // never finishes
      const sluice = await spawnSluice({
        BASE_URL: upstream.origin,
        OPENAI_API_KEY: 'k',
        SLUICE_DATA_DIR: dataDir,
      });
      const stream = await postStream(`${sluice.url}/v1/chat/completions`, chat);
      for await (const event of stream.events) if (event.data !== undefined) break;
      const store = await openStore({ dataDir });
      try {
        await waitFor(async () => (await store.listUsage({})).length === 1, {
          what: 'the start record written',
        });
        sluice.child.kill('SIGKILL');
        await sluice.exited;
        const [record] = await store.listUsage({});
        assert.equal(record?.endReason, 'incomplete');
        assert.equal(record.endedAt, null);
        assert.equal(record.endpoint, '/v1/chat/completions');
      } finally {
        await store.close();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
