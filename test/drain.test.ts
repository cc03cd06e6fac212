/**
 * SIGTERM drains (invariant 10): the listener closes at once, streams already open run to
 * their end, and the process exits by itself. Past the drain deadline, streams still open end
 * with an in-band error rather than a silent cut.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { formatEvent } from '../src/sse/index.ts';
import { openStore } from '../src/store/index.ts';
import {
  deferred,
  type FakeUpstream,
  sseHead,
  startFakeUpstream,
} from './support/fake-upstream.ts';
import { spawnSluice } from './support/sluice-process.ts';
import { postStream } from './support/sse-client.ts';
import { waitFor } from './support/wait.ts';

let upstream: FakeUpstream;
before(async () => {
  upstream = await startFakeUpstream();
});
after(() => upstream.stop());

const chat = { model: 'm', messages: [], stream: true };
const chunk = formatEvent({
  data: '{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[]}',
});

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

describe('SIGTERM', () => {
  it('refuses new connections, lets the open stream finish, then exits 0', async () => {
    const finish = deferred();
    upstream.script(async ({ res }) => {
      sseHead(res);
      res.write(chunk);
      await finish.promise;
      res.end(chunk + formatEvent({ data: '[DONE]' }));
    });
    const sluice = await spawnSluice({
      BASE_URL: upstream.origin,
      OPENAI_API_KEY: 'k',
      SLUICE_DRAIN_TIMEOUT: '60s',
    });
    const stream = await postStream(`${sluice.url}/v1/chat/completions`, chat);
    const events = stream.events[Symbol.asyncIterator]();
    const first = await events.next();
    assert.ok(first.done !== true && first.value.data?.startsWith('{'), 'the stream is open');

    sluice.child.kill('SIGTERM');
    await waitFor(() => refused(sluice.url), { what: 'the listener closed' });
    finish.resolve(); // only now may the upstream complete the stream

    const rest: (string | undefined)[] = [];
    for (let next = await events.next(); next.done !== true; next = await events.next())
      rest.push(next.value.data);
    assert.deepEqual(rest.at(-1), '[DONE]');
    assert.equal(await sluice.exited, 0);
    assert.match(sluice.log(), /"msg":"draining","signal":"SIGTERM"/);
  });

  it('streams cut at the deadline keep their records, their usage estimated', async () => {
    // The upstream reports no usage, so each record waits for an estimate, from a tokenizer
    // thread that starts on first use (a text of one script, as here, takes it seconds): the
    // drain gave them one second, and their records were lost to "interrupted", 0 tokens.
    upstream.script(({ res }) => {
      sseHead(res);
      res.write(
        formatEvent({
          data: JSON.stringify({
            id: 'c',
            object: 'chat.completion.chunk',
            created: 1,
            model: 'm',
            choices: [{ index: 0, delta: { content: '漢字'.repeat(2000) } }],
          }),
        }),
      ); // and never more
    });
    const dataDir = await mkdtemp(join(tmpdir(), 'sluice-drain-'));
    try {
      const sluice = await spawnSluice({
        BASE_URL: upstream.origin,
        OPENAI_API_KEY: 'k',
        SLUICE_DRAIN_TIMEOUT: '200ms',
        SLUICE_DATA_DIR: dataDir,
      });
      const streams = await Promise.all(
        Array.from({ length: 5 }, () => postStream(`${sluice.url}/v1/chat/completions`, chat)),
      );
      for (const stream of streams) await stream.events[Symbol.asyncIterator]().next();
      sluice.child.kill('SIGTERM');
      // Each is told it was cut (the connection may close on a reader that lingers).
      for (const stream of streams) {
        let told = false;
        try {
          for await (const event of stream.events) told ||= /shutting_down/.test(event.data ?? '');
        } catch {
          // closed after the error event
        }
        assert.ok(told);
      }
      assert.equal(await sluice.exited, 0);
      const store = await openStore({ dataDir });
      try {
        const records = await store.listUsage({ limit: 100 });
        assert.deepEqual(
          records.map((r) => [r.endReason, r.usageSource, r.completionTokens > 0]),
          Array.from({ length: 5 }, () => ['shutdown', 'estimate', true]),
        );
      } finally {
        await store.close();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('a probe open at SIGTERM ends at once: the drain does not wait for it', async () => {
    // A probe has nothing to finish; one anonymous probe held every redeploy to the whole
    // drain timeout (ten minutes here: the test fails by its own timeout if it waits).
    const sluice = await spawnSluice({
      BASE_URL: upstream.origin,
      OPENAI_API_KEY: 'k',
      SLUICE_DRAIN_TIMEOUT: '10m',
    });
    const response = await fetch(`${sluice.url}/sluice/probe?events=1000&interval_ms=600`);
    const reader = response.body?.getReader();
    await reader?.read(); // the probe is open
    sluice.child.kill('SIGTERM');
    for (let read = await reader?.read(); read?.done === false; read = await reader?.read());
    assert.equal(await sluice.exited, 0);
  });

  it('at the drain deadline, ends streams still open with an in-band error and exits', async () => {
    upstream.script(({ res }) => {
      sseHead(res);
      res.write(chunk); // and never more
    });
    const sluice = await spawnSluice({
      BASE_URL: upstream.origin,
      OPENAI_API_KEY: 'k',
      SLUICE_DRAIN_TIMEOUT: '200ms',
    });
    const stream = await postStream(`${sluice.url}/v1/chat/completions`, chat);
    const call = await upstream.nextCall();
    const events = stream.events[Symbol.asyncIterator]();
    await events.next();
    sluice.child.kill('SIGTERM');
    const rest: (string | undefined)[] = [];
    for (let next = await events.next(); next.done !== true; next = await events.next())
      rest.push(next.value.data);
    const error = JSON.parse(rest.at(-1) ?? '{}') as { error?: { code: string } };
    assert.equal(error.error?.code, 'shutting_down');
    await call.aborted;
    assert.equal(await sluice.exited, 0);
  });
});
