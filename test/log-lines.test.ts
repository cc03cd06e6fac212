/**
 * The request line: one per request end, refused requests included, with who asked (key
 * prefix, user, address), what (model, upstream) and how it went (status, first byte, first
 * token, end reason); and every other line about a request carries its `request_id`. On the
 * first round's main a refused request's line had none of who asked, and a failover warning
 * could not be tied to its request.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { jsonReply, startFakeUpstream, type FakeUpstream } from './support/fake-upstream.ts';
import { ADMIN_KEY, keyFor, startTestSluice, type TestSluice } from './support/sluice.ts';

const COMPLETION = {
  id: 'chatcmpl-1',
  object: 'chat.completion',
  created: 1,
  model: 'gpt-4.1-mini',
  choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 10, completion_tokens: 2, total_tokens: 12 },
};

let dir: string;
let failing: FakeUpstream;
let alive: FakeUpstream;
let sluice: TestSluice;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-log-lines-'));
  failing = await startFakeUpstream(
    jsonReply(500, { error: { message: 'boom', type: 'server_error' } }),
  );
  alive = await startFakeUpstream(jsonReply(200, COMPLETION));
  const file = join(dir, 'config.json');
  await writeFile(
    file,
    JSON.stringify({
      upstreams: [
        { name: 'failing', baseUrl: failing.origin, apiKey: 'sk-f', models: ['gpt-*'] },
        { name: 'alive', baseUrl: alive.origin, apiKey: 'sk-a', models: ['gpt-*'] },
      ],
    }),
  );
  sluice = await startTestSluice({ SLUICE_CONFIG: file });
});
after(async () => {
  await sluice.stop();
  await failing.stop();
  await alive.stop();
  await rm(dir, { recursive: true, force: true });
});

const chat = (key: string, model = 'gpt-4.1-mini') =>
  fetch(`${sluice.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
  });

/** The lines logged about the request a response answered, found by its request id. */
async function linesOf(response: Response): Promise<Record<string, unknown>[]> {
  await response.arrayBuffer();
  const id = response.headers.get('x-sluice-request-id');
  assert.ok(id, 'every /v1 answer names its request');
  await sluice.running.settled();
  return sluice.logs.filter((l) => l.request_id === id);
}

const requestLine = (lines: Record<string, unknown>[]) => {
  const found = lines.filter((l) => l.msg === 'request');
  assert.equal(found.length, 1, 'one request line per request');
  return found[0] ?? {};
};

describe('request lines', () => {
  it('a relayed request: who, what, first byte, first token, end reason; its failover warning carries its id', async () => {
    const key = await keyFor(sluice, 'ada');
    const response = await chat(key);
    assert.equal(response.status, 200);
    const lines = await linesOf(response);
    const line = requestLine(lines);
    assert.equal(line.status, 200);
    assert.equal(line.user, 'ada');
    assert.equal(line.key, key.slice(0, (line.key as string).length));
    assert.equal(line.ip, '127.0.0.1');
    assert.equal(line.model, 'gpt-4.1-mini');
    assert.equal(line.upstream, 'alive');
    assert.equal(line.end_reason, 'done');
    assert.equal(typeof line.client_ttfb_ms, 'number');
    assert.equal(typeof line.client_ttft_ms, 'number');
    const warning = lines.find((l) => l.msg === 'upstream failed, trying the next');
    assert.ok(warning, 'the failover warning is tied to its request');
    assert.equal(warning.upstream, 'failing');
  });

  it('the usage record names every upstream tried, in order, and how each answered', async () => {
    const response = await chat(await keyFor(sluice, 'cyd'));
    await linesOf(response);
    const id = response.headers.get('x-sluice-request-id') ?? '';
    const listed = await fetch(`${sluice.url}/api/admin/usage?id=${id}`, {
      headers: { authorization: `Bearer ${ADMIN_KEY}` },
    });
    const { data } = (await listed.json()) as { data: Record<string, unknown>[] };
    const [record] = data;
    assert.ok(data.length === 1 && record);
    assert.equal(record.upstream, 'alive');
    assert.deepEqual(record.upstreams_tried, [
      { upstream: 'failing', answer: '500' },
      { upstream: 'alive', answer: '200' },
    ]);
    const csv = await fetch(`${sluice.url}/api/admin/usage?id=${id}&format=csv`, {
      headers: { authorization: `Bearer ${ADMIN_KEY}` },
    });
    assert.match(await csv.text(), /,failing:500 alive:200,/);
  });

  it('refused requests have a line too, naming what is known of who asked', async () => {
    const key = await keyFor(sluice, 'bob', { keyLimits: { rpm: 1 } });
    assert.equal((await chat(key)).status, 200);

    const cases: { response: Response; status: number; code: string; who: boolean }[] = [
      { response: await chat('sk-not-a-key'), status: 401, code: 'invalid_api_key', who: false },
      { response: await chat(key), status: 429, code: 'rate_limit_exceeded', who: true },
      {
        response: await fetch(`${sluice.url}/v1/files`, {
          headers: { authorization: `Bearer ${key}` },
        }),
        status: 403,
        code: 'route_not_allowed',
        who: true,
      },
    ];
    for (const { response, status, code, who } of cases) {
      assert.equal(response.status, status);
      const line = requestLine(await linesOf(response));
      assert.equal(line.status, status);
      assert.equal(line.ip, '127.0.0.1', `${status}: the address`);
      assert.equal((line.error as { code?: string } | undefined)?.code, code);
      if (who) {
        assert.equal(line.user, 'bob', `${status}: the user`);
        assert.ok(key.startsWith(String(line.key)), `${status}: the key's prefix`);
        assert.ok(String(line.key).length < key.length, 'a prefix, never the key');
      } else {
        assert.equal(line.user, null);
        assert.equal(line.key, null, 'an unknown key is not logged, not even in part');
      }
    }
  });

  it('no key in any line: the request lines never carry a secret', () => {
    const text = JSON.stringify(sluice.logs);
    assert.doesNotMatch(text, /sk-not-a-key/);
    assert.doesNotMatch(text, /sk-f"|sk-a"/, 'nor an upstream key');
  });
});
