/**
 * SIGHUP re-reads the config file. On the first round's main it killed the process with no
 * drain; now new upstreams, keys and aliases apply to the requests that follow, a stream open
 * through the old configuration finishes untouched, and a bad file keeps the running one.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { formatEvent } from '../src/sse/index.ts';
import {
  deferred,
  type FakeUpstream,
  jsonReply,
  sseHead,
  startFakeUpstream,
} from './support/fake-upstream.ts';
import { ADMIN_KEY } from './support/sluice.ts';
import { spawnSluice } from './support/sluice-process.ts';
import { postStream } from './support/sse-client.ts';
import { waitForText } from './support/wait-for-text.ts';

let upstream: FakeUpstream;
let dir: string;
const release = deferred();

before(async () => {
  upstream = await startFakeUpstream(async (call) => {
    if (call.json?.stream === true) {
      sseHead(call.res);
      call.res.write(
        formatEvent({ data: '{"id":"c","object":"chat.completion.chunk","choices":[]}' }),
      );
      await release.promise;
      call.res.end(formatEvent({ data: '[DONE]' }));
      return;
    }
    void jsonReply(200, {
      id: 'c',
      object: 'chat.completion',
      model: call.json?.model,
      choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
    })(call);
  });
  dir = await mkdtemp(join(tmpdir(), 'sluice-reload-'));
});
after(async () => {
  release.resolve();
  await upstream.stop();
  await rm(dir, { recursive: true, force: true });
});

async function ask(url: string, model: string): Promise<{ status: number; model: unknown }> {
  const response = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model, messages: [] }),
  });
  return { status: response.status, model: ((await response.json()) as { model?: unknown }).model };
}

describe('SIGHUP', () => {
  it('applies a new config to new requests, leaves the open stream alone, keeps a good config over a bad one', async () => {
    const file = join(dir, 'sluice.json');
    const config = (aliases: Record<string, string>) =>
      JSON.stringify({
        upstreams: [{ name: 'one', baseUrl: upstream.origin, models: ['gpt-*'], aliases }],
      });
    await writeFile(file, config({}));
    const sluice = await spawnSluice({ SLUICE_CONFIG: file });
    try {
      const open = await postStream(`${sluice.url}/v1/chat/completions`, {
        model: 'gpt-4o',
        messages: [],
        stream: true,
      });
      const events = open.events[Symbol.asyncIterator]();
      await events.next();
      assert.equal((await ask(sluice.url, 'fast')).status, 404, 'no such model yet');

      await writeFile(file, config({ fast: 'gpt-4.1-mini' }));
      sluice.child.kill('SIGHUP');
      await waitForText(() => sluice.log(), /"msg":"configuration reloaded"/);
      assert.deepEqual(await ask(sluice.url, 'fast'), { status: 200, model: 'gpt-4.1-mini' });

      await writeFile(file, JSON.stringify({ upstreamz: [] }));
      sluice.child.kill('SIGHUP');
      await waitForText(
        () => sluice.log(),
        /"msg":"configuration not reloaded: the running one stays".*upstreamz.*did you mean \\"upstreams\\"/,
      );
      assert.deepEqual(await ask(sluice.url, 'fast'), { status: 200, model: 'gpt-4.1-mini' });

      release.resolve();
      const rest: (string | undefined)[] = [];
      for (let next = await events.next(); next.done !== true; next = await events.next())
        rest.push(next.value.data);
      assert.equal(rest.at(-1), '[DONE]', 'the stream opened before the reloads ended whole');
      assert.equal(sluice.child.exitCode, null, 'still running');
    } finally {
      sluice.child.kill('SIGTERM');
      await sluice.exited;
    }
  });

  it('sends new requests to an upstream it added and with the keys it replaced', async () => {
    const second = await startFakeUpstream((call) =>
      jsonReply(200, {
        id: 'c',
        object: 'chat.completion',
        model: call.json?.model,
        choices: [
          { index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' },
        ],
      })(call),
    );
    const file = join(dir, 'sluice-upstreams.json');
    const one = (apiKeys: string[]) => ({
      name: 'one',
      baseUrl: upstream.origin,
      models: ['gpt-*'],
      apiKeys,
    });
    await writeFile(file, JSON.stringify({ upstreams: [one(['sk-old'])] }));
    const sluice = await spawnSluice({ SLUICE_CONFIG: file });
    try {
      const firstBefore = upstream.calls.length;
      assert.equal((await ask(sluice.url, 'gpt-4o')).status, 200);
      assert.equal(upstream.calls.length, firstBefore + 1);
      assert.equal(upstream.calls.at(-1)?.headers.authorization, 'Bearer sk-old');
      assert.equal((await ask(sluice.url, 'llama-3')).status, 404, 'no upstream serves it yet');
      assert.equal(second.calls.length, 0);

      await writeFile(
        file,
        JSON.stringify({
          upstreams: [
            one(['sk-new']),
            { name: 'two', baseUrl: second.origin, models: ['llama-*'], apiKeys: ['sk-two'] },
          ],
        }),
      );
      sluice.child.kill('SIGHUP');
      await waitForText(() => sluice.log(), /"msg":"configuration reloaded"/);

      const firstAtReload = upstream.calls.length;
      assert.deepEqual(await ask(sluice.url, 'llama-3'), { status: 200, model: 'llama-3' });
      assert.equal(second.calls.length, 1, 'the added upstream answered');
      assert.equal(second.calls[0]?.headers.authorization, 'Bearer sk-two');
      assert.equal(upstream.calls.length, firstAtReload, 'not the first one');

      assert.equal((await ask(sluice.url, 'gpt-4o')).status, 200);
      assert.equal(upstream.calls.length, firstAtReload + 1);
      assert.equal(
        upstream.calls.at(-1)?.headers.authorization,
        'Bearer sk-new',
        'the replaced key pool, not the old key',
      );
      assert.equal(second.calls.length, 1, 'gpt-* still goes to the first upstream');
    } finally {
      sluice.child.kill('SIGTERM');
      await sluice.exited;
      await second.stop();
    }
  });
});
