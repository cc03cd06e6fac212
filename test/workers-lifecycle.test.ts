/**
 * The life of a Sluice of two workers (issue #16): SIGTERM to the primary drains the open
 * streams of every worker — both stop accepting, both say they are draining, the streams end
 * whole — and then exits 0. A worker killed with SIGKILL is replaced (with a log line) while the
 * other serves on untouched; what the dead one had answered keeps its records, and its request
 * cut mid-stream is closed as `interrupted` — once, by the primary, which recovers for all.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { formatEvent } from '../src/sse/index.ts';
import { openStore, type UsageRecord } from '../src/store/index.ts';
import {
  deferred,
  type FakeUpstream,
  jsonReply,
  sseHead,
  startFakeUpstream,
} from './support/fake-upstream.ts';
import { testDatabase } from './support/postgres.ts';
import { spawnSluice } from './support/sluice-process.ts';
import { waitFor } from './support/wait.ts';
import { waitForText } from './support/wait-for-text.ts';
import {
  type Answer,
  onEveryWorker,
  send,
  series,
  streamsOnEveryWorker,
  workerPid,
} from './support/workers.ts';

const chunk = formatEvent({
  data: '{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[]}',
});
const STREAM = { model: 'm', messages: [], stream: true };

let upstream: FakeUpstream;
/** Streams wait for this before they end. */
let finish = deferred();
before(async () => {
  upstream = await startFakeUpstream(async (call) => {
    if (call.json?.stream === true) {
      sseHead(call.res);
      call.res.write(chunk);
      await finish.promise;
      call.res.end(chunk + formatEvent({ data: '[DONE]' }));
      return;
    }
    void jsonReply(200, {
      id: 'c',
      object: 'chat.completion',
      model: 'm',
      choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 7, completion_tokens: 3, total_tokens: 10 },
    })(call);
  });
});
after(async () => {
  finish.resolve();
  await upstream.stop();
});

const env = () => ({ BASE_URL: upstream.origin, OPENAI_API_KEY: 'k' });

function complete(url: string): Promise<Answer> {
  return send(url, '/v1/chat/completions', { body: { model: 'm', messages: [] } });
}

/** Whether a TCP connect to `url` is refused: the listener is closed. */
function refused(url: string): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const socket = connect(Number(new URL(url).port), '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => {
      resolve(true);
    });
  });
}

async function records(where: {
  dataDir: string;
  databaseUrl?: string | undefined;
}): Promise<Map<string, UsageRecord>> {
  const store = await openStore(where);
  try {
    return new Map((await store.listUsage({ limit: 10_000 })).map((r) => [r.id, r]));
  } finally {
    await store.close();
  }
}

describe('workers: drain and replacement', () => {
  it('SIGTERM drains the open streams of every worker, then exits 0', async () => {
    finish = deferred();
    const sluice = await spawnSluice(
      { ...env(), SLUICE_DRAIN_TIMEOUT: '60s', SLUICE_METRICS_LISTEN: '127.0.0.1:0' },
      ['--workers', '2'],
    );
    try {
      const metricsUrl = /"msg":"metrics listening","url":"([^"]+)"/.exec(sluice.log())?.[1];
      assert.ok(metricsUrl, 'the primary serves SLUICE_METRICS_LISTEN');
      assert.equal((await send(sluice.url, '/metrics')).status, 404, 'and only it');
      const streams = await streamsOnEveryWorker(sluice.url, STREAM);

      sluice.child.kill('SIGTERM');
      for (const worker of [1, 2])
        await waitForText(
          () => sluice.log(),
          new RegExp(`"msg":"worker draining","worker":${worker},"why":"primary"`),
          { timeoutMs: 15_000 },
        );
      await waitFor(() => refused(sluice.url), { what: 'the shared listener closed' });
      // Every worker is draining (so each answers /readyz with 503 on what it still holds),
      // and holds its streams: the primary's sums say so while it waits.
      const scrape = await (await fetch(metricsUrl)).text();
      assert.deepEqual(series(scrape, 'sluice_draining'), [2]);
      assert.deepEqual(series(scrape, 'sluice_streams_open'), [streams.length]);

      finish.resolve(); // only now may the upstream end the streams
      for (const stream of streams) {
        const { text, cut } = await stream.ended;
        assert.equal(cut, false, `the stream of ${stream.instance} ended whole`);
        assert.match(text, /data: \[DONE\]\n\n$/);
      }
      assert.equal(await sluice.exited, 0);
      assert.match(sluice.log(), /"msg":"draining","signal":"SIGTERM"/);
    } finally {
      finish.resolve();
      if (sluice.child.exitCode === null) sluice.child.kill('SIGKILL');
    }
  });

  for (const kind of ['sqlite', 'postgres'] as const)
    it(`replaces a worker killed with SIGKILL; its cut stream is closed as interrupted, nothing lost (${kind})`, async () => {
      finish = deferred();
      const dataDir = await mkdtemp(join(tmpdir(), 'sluice-workers-kill-'));
      const db = kind === 'postgres' ? await testDatabase() : undefined;
      const where = { dataDir, databaseUrl: db?.url };
      const sluice = await spawnSluice(
        {
          ...env(),
          SLUICE_DATA_DIR: dataDir,
          ...(db === undefined ? {} : { DATABASE_URL: db.url }),
        },
        ['--workers', '2'],
      );
      try {
        const answered = await onEveryWorker(() => complete(sluice.url));
        answered.push(await complete(sluice.url), await complete(sluice.url));
        const streams = await streamsOnEveryWorker(sluice.url, STREAM);
        const [victim] = streams;
        assert.ok(victim);
        const survivors = streams.filter((s) => s.instance !== victim.instance);
        const pid = workerPid(sluice.log(), victim.instance);
        const otherPid = workerPid(sluice.log(), survivors[0]?.instance ?? '');

        process.kill(pid, 'SIGKILL');
        const dead = `"instance":"${victim.instance}"`;
        await waitForText(
          () => sluice.log(),
          new RegExp(`"msg":"worker stopped unexpectedly; starting another".*${dead}`),
          { timeoutMs: 15_000 },
        );
        await waitForText(
          () => sluice.log(),
          new RegExp(`"msg":"closed usage records left incomplete by a process that died",${dead}`),
          { timeoutMs: 15_000 },
        );
        // Killed within 10 s of its start, it is replaced after a pause of 1 s.
        await waitForText(() => sluice.log(), /"msg":"worker replaced"/, { timeoutMs: 30_000 });
        assert.equal((await victim.ended).cut, true, 'the killed worker’s client saw the cut');

        // The other worker was not taken down: same process, its stream still open.
        process.kill(otherPid, 0);
        for (const stream of survivors) assert.doesNotMatch(stream.text(), /\[DONE\]/);
        finish.resolve();
        for (const stream of survivors) assert.equal((await stream.ended).cut, false);

        // Two workers serve again: the survivor and the replacement, not the dead one.
        const now = await onEveryWorker(() => complete(sluice.url));
        const serving = new Set(now.map((a) => a.instance));
        assert.ok(!serving.has(victim.instance));
        assert.ok(serving.has(survivors[0]?.instance ?? ''));

        const byId = await records(where);
        const cut = byId.get(victim.requestId);
        assert.equal(cut?.endReason, 'interrupted', 'closed by the primary’s recovery');
        assert.notEqual(cut.endedAt, null);
        for (const answer of answered) {
          const id = String(answer.headers['x-sluice-request-id']);
          const record = byId.get(id);
          assert.equal(record?.endReason, 'done', `${id}, answered before the kill, kept`);
          assert.equal(record.promptTokens + record.completionTokens, 10);
        }
        // The survivor's streams and the later requests reach the store in its next batch.
        await waitFor(
          async () =>
            [...(await records(where)).values()].filter((r) => r.endReason === 'done').length ===
            answered.length + survivors.length + now.length,
          { what: 'the finished streams and later requests in the store' },
        );
        const final = await records(where);
        assert.equal(
          final.size,
          answered.length + streams.length + now.length,
          'one record per request: none lost, none twice',
        );
        assert.equal(
          [...final.values()].filter((r) => r.endReason === 'interrupted').length,
          streams.filter((s) => s.instance === victim.instance).length,
        );
      } finally {
        finish.resolve();
        sluice.child.kill('SIGTERM');
        await sluice.exited;
        await db?.drop();
        await rm(dataDir, { recursive: true, force: true });
      }
    });
});
