/**
 * No usage lost to a crash. On the first round's main, after SIGKILL 33 of 50 requests that had
 * already completed with a full 200 kept `incomplete` records with 0 tokens (their final record
 * was still in the 50 ms batch), and nothing ever closed records a dead process left
 * `incomplete`. Now each record is journaled before the response it describes completes, the
 * next start writes a dead process's journal to the store and closes what it left open as
 * `interrupted` — and with several instances on PostgreSQL, only a dead instance's records.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { formatEvent } from '../src/sse/index.ts';
import { openStore, type UsageRecord } from '../src/store/index.ts';
import {
  deferred,
  type FakeUpstream,
  sseHead,
  startFakeUpstream,
} from './support/fake-upstream.ts';
import { testDatabase, type TestDatabase } from './support/postgres.ts';
import { ADMIN_KEY, startTestSluice } from './support/sluice.ts';
import { spawnSluice, type SluiceProcess } from './support/sluice-process.ts';
import { postStream } from './support/sse-client.ts';
import { waitFor } from './support/wait.ts';

const COMPLETION = {
  id: 'chatcmpl-1',
  object: 'chat.completion',
  model: 'm',
  choices: [{ index: 0, message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 7, completion_tokens: 3, total_tokens: 10 },
};

let upstream: FakeUpstream;
/** Streams whose upstream waits until the test lets it go. */
let held = deferred();

before(async () => {
  upstream = await startFakeUpstream(async ({ res, json }) => {
    if (json?.stream === true) {
      sseHead(res);
      res.write(formatEvent({ data: '{"id":"c","object":"chat.completion.chunk","choices":[]}' }));
      await held.promise;
      res.end(formatEvent({ data: '[DONE]' }));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(COMPLETION));
  });
});
after(async () => {
  held.resolve();
  await upstream.stop();
});

async function complete(url: string): Promise<string> {
  const response = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'm', messages: [] }),
  });
  assert.equal(response.status, 200);
  await response.json(); // the whole body: the response is complete for the client
  return response.headers.get('x-sluice-request-id') ?? '';
}

async function records(env: { dataDir: string; databaseUrl?: string }): Promise<UsageRecord[]> {
  const store = await openStore({ dataDir: env.dataDir, databaseUrl: env.databaseUrl });
  try {
    return await store.listUsage({ limit: 10_000 });
  } finally {
    await store.close();
  }
}

function kill(sluice: SluiceProcess): Promise<number | string> {
  sluice.child.kill('SIGKILL');
  return sluice.exited;
}

describe('SIGKILL', () => {
  let dataDir: string;
  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'sluice-crash-'));
  });
  after(() => rm(dataDir, { recursive: true, force: true }));

  it('every request answered before the kill has its final record after a restart', async () => {
    held = deferred();
    const env = { BASE_URL: upstream.origin, OPENAI_API_KEY: 'k', SLUICE_DATA_DIR: dataDir };
    const first = await spawnSluice(env);
    // One stream stays open across the kill: its record must end up `interrupted`.
    const open = await postStream(`${first.url}/v1/chat/completions`, {
      model: 'm',
      messages: [],
      stream: true,
    });
    const openEvents = open.events[Symbol.asyncIterator]();
    await openEvents.next();
    const answered: string[] = [];
    for (let i = 0; i < 50; i++) answered.push(await complete(first.url));
    await kill(first);
    held.resolve();

    const second = await spawnSluice(env);
    try {
      const byId = new Map((await records({ dataDir })).map((r) => [r.id, r]));
      const missing = answered.filter((id) => byId.get(id)?.endReason !== 'done');
      assert.deepEqual(missing, [], `${missing.length} of 50 answered requests lack their record`);
      for (const id of answered) {
        const record = byId.get(id);
        assert.ok(record);
        assert.equal(record.status, 200);
        assert.equal(record.promptTokens, 7);
        assert.equal(record.completionTokens, 3);
      }
      const interrupted = [...byId.values()].filter(
        (r) => r.endpoint === '/v1/chat/completions' && r.endReason !== 'done',
      );
      assert.equal(interrupted.length, 1, 'the stream open at the kill');
      const [cut] = interrupted;
      assert.ok(cut);
      assert.equal(cut.endReason, 'interrupted');
      assert.notEqual(cut.endedAt, null);
      // The new process's own requests are its own.
      const id = await complete(second.url);
      assert.ok(!answered.includes(id));
    } finally {
      await kill(second);
    }
  });
});

describe('several instances on PostgreSQL', () => {
  let db: TestDatabase;
  before(async () => {
    db = await testDatabase();
  });
  after(() => db.drop());

  it("a start closes a dead instance's open records, never a living one's", async () => {
    held = deferred();
    const env = (dataDir: string) => ({
      BASE_URL: upstream.origin,
      OPENAI_API_KEY: 'k',
      DATABASE_URL: db.url,
      SLUICE_DATA_DIR: dataDir,
    });
    const dirs = await Promise.all(
      ['a', 'b', 'c'].map((n) => mkdtemp(join(tmpdir(), `sluice-${n}-`))),
    );
    const [dirA = '', dirB = '', dirC = ''] = dirs;
    const alive = await startTestSluice(env(dirA));
    const doomed = await spawnSluice(env(dirB));
    try {
      const streams = await Promise.all(
        [alive.url, doomed.url].map((url) =>
          postStream(`${url}/v1/chat/completions`, { model: 'm', messages: [], stream: true }),
        ),
      );
      const iterators = streams.map((s) => s.events[Symbol.asyncIterator]());
      await Promise.all(iterators.map((i) => i.next()));
      await waitFor(
        async () => (await records({ dataDir: dirC, databaseUrl: db.url })).length === 2,
        {
          what: 'both open records in the store',
        },
      );
      await kill(doomed);

      const third = await startTestSluice(env(dirC));
      const byEnd = (await records({ dataDir: dirC, databaseUrl: db.url }))
        .map((r) => r.endReason)
        .sort();
      assert.deepEqual(byEnd, ['incomplete', 'interrupted']);
      held.resolve();
      const living = iterators[0];
      assert.ok(living);
      while (!(await living.next()).done) {
        // reading the living instance's stream to its end
      }
      await waitFor(
        async () =>
          (await records({ dataDir: dirC, databaseUrl: db.url })).some(
            (r) => r.endReason === 'done',
          ),
        { what: "the living instance's stream to finish and be recorded" },
      );
      const final = (await records({ dataDir: dirC, databaseUrl: db.url }))
        .map((r) => r.endReason)
        .sort();
      assert.deepEqual(final, ['done', 'interrupted']);
      await third.stop();
    } finally {
      held.resolve();
      await alive.stop();
      if (doomed.child.exitCode === null) await kill(doomed);
      await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
    }
  });
});

describe('how requests end', () => {
  it('a drain that cuts a stream records `shutdown`', async () => {
    held = deferred();
    const dataDir = await mkdtemp(join(tmpdir(), 'sluice-drain-'));
    try {
      const sluice = await startTestSluice({
        BASE_URL: upstream.origin,
        OPENAI_API_KEY: 'k',
        SLUICE_DATA_DIR: dataDir,
      });
      const stream = await postStream(`${sluice.url}/v1/chat/completions`, {
        model: 'm',
        messages: [],
        stream: true,
      });
      await stream.events[Symbol.asyncIterator]().next();
      await sluice.running.drain(50);
      held.resolve();
      const [record] = await records({ dataDir });
      assert.equal(record?.endReason, 'shutdown');
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('a client that leaves before a non-streamed answer: client_cancelled, status 499', async () => {
    const waiting = deferred();
    const release = deferred();
    upstream.script(async ({ res }) => {
      waiting.resolve();
      await release.promise;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(COMPLETION));
    });
    const sluice = await startTestSluice({ BASE_URL: upstream.origin, OPENAI_API_KEY: 'k' });
    try {
      const controller = new AbortController();
      const request = fetch(`${sluice.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'm', messages: [] }),
        signal: controller.signal,
      });
      await waiting.promise;
      controller.abort();
      await assert.rejects(request);
      await waitFor(
        async () => {
          await sluice.running.settled();
          const [record] = await sluice.running.store.listUsage({ limit: 1 });
          return record?.endReason === 'client_cancelled';
        },
        { what: 'the cancelled request’s record' },
      );
      const [record] = await sluice.running.store.listUsage({ limit: 1 });
      assert.equal(record?.status, 499);
    } finally {
      release.resolve();
      await sluice.stop();
    }
  });
});
