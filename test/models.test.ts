/**
 * `GET /v1/models` with several upstreams and with keys limited to some models: the caller sees
 * every model it can reach and only those; with one upstream and an unrestricted caller the
 * upstream's answer passes through untouched.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { type FakeUpstream, jsonReply, startFakeUpstream } from './support/fake-upstream.ts';
import { freePort } from './support/ports.ts';
import { ADMIN_KEY, keyFor, startTestSluice, type TestSluice } from './support/sluice.ts';

const model = (id: string, owner: string) => ({ id, object: 'model', created: 1, owned_by: owner });

let openaiLike: FakeUpstream;
let deepseekLike: FakeUpstream;

before(async () => {
  openaiLike = await startFakeUpstream(
    jsonReply(200, {
      object: 'list',
      data: [model('gpt-4.1', 'openai'), model('gpt-4.1-mini', 'openai'), model('o3', 'openai')],
    }),
  );
  deepseekLike = await startFakeUpstream(
    jsonReply(200, {
      object: 'list',
      // The relay lists more than it is configured for here, and one id the first also has.
      data: [model('deepseek-chat', 'deepseek'), model('gpt-4.1', 'relay'), model('x', 'relay')],
    }),
  );
});
/** The config files' directories, removed at the end. */
const dirs: string[] = [];

after(async () => {
  await openaiLike.stop();
  await deepseekLike.stop();
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function withConfig(upstreams: unknown[]): Promise<TestSluice> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-models-'));
  dirs.push(dir);
  const file = join(dir, 'sluice.json');
  writeFileSync(file, JSON.stringify({ upstreams }));
  return startTestSluice({ SLUICE_CONFIG: file });
}

const ids = async (sluice: TestSluice, key: string) =>
  (await new OpenAI({ baseURL: sluice.baseURL, apiKey: key, maxRetries: 0 }).models.list()).data
    .map((m) => `${m.id}@${m.owned_by}`)
    .sort();

describe('GET /v1/models over several upstreams', () => {
  let sluice: TestSluice;
  before(async () => {
    sluice = await withConfig([
      { name: 'openai', baseUrl: openaiLike.origin, apiKey: 'sk-a', models: ['gpt-*', 'o*'] },
      { name: 'deepseek', baseUrl: deepseekLike.origin, apiKey: 'sk-b', models: ['deepseek-*'] },
    ]);
  });
  after(async () => {
    await sluice.stop();
  });

  it('lists what every upstream serves, each upstream asked with its own key', async () => {
    assert.deepEqual(await ids(sluice, ADMIN_KEY), [
      'deepseek-chat@deepseek',
      'gpt-4.1-mini@openai',
      'gpt-4.1@openai',
      'o3@openai',
    ]);
    assert.equal(openaiLike.calls.at(-1)?.headers.authorization, 'Bearer sk-a');
    assert.equal(deepseekLike.calls.at(-1)?.headers.authorization, 'Bearer sk-b');
    assert.equal(deepseekLike.calls.at(-1)?.path, '/v1/models');
  });

  it('shows a key limited to some models only those', async () => {
    const key = await keyFor(sluice, 'lim', { models: ['gpt-4.1*', 'deepseek-chat'] });
    assert.deepEqual(await ids(sluice, key), [
      'deepseek-chat@deepseek',
      'gpt-4.1-mini@openai',
      'gpt-4.1@openai',
    ]);
  });

  it('lists what the others serve when one upstream is down, and fails only if all are', async () => {
    const dead = `http://127.0.0.1:${await freePort()}`;
    const partly = await withConfig([
      { name: 'dead', baseUrl: dead, models: ['gpt-*'] },
      { name: 'deepseek', baseUrl: deepseekLike.origin, models: ['deepseek-*'] },
    ]);
    const allDown = await withConfig([
      { name: 'dead', baseUrl: dead },
      { name: 'dead-too', baseUrl: `http://127.0.0.1:${await freePort()}` },
    ]);
    try {
      assert.deepEqual(await ids(partly, ADMIN_KEY), ['deepseek-chat@deepseek']);
      assert.ok(partly.logs.some((l) => l.msg === 'upstream did not list its models'));
      const response = await fetch(`${allDown.baseURL}/models`, {
        headers: { authorization: `Bearer ${ADMIN_KEY}` },
      });
      assert.equal(response.status, 502);
      const body = (await response.json()) as { error: { message: string } };
      assert.match(body.error.message, /dead/);
    } finally {
      await partly.stop();
      await allDown.stop();
    }
  });
});

describe('GET /v1/models with one upstream', () => {
  let sluice: TestSluice;
  before(async () => {
    // One OpenAI upstream, and none of the other family to list beside it.
    sluice = await startTestSluice({ BASE_URL: openaiLike.origin, OPENAI_API_KEY: 'sk-a' });
  });
  after(async () => {
    await sluice.stop();
  });

  it('passes the upstream’s answer through untouched for an unrestricted caller', async () => {
    openaiLike.script(
      jsonReply(
        200,
        { object: 'list', data: [model('gpt-4.1', 'openai')], extra: true },
        { 'x-request-id': 'req_upstream' },
      ),
    );
    const response = await fetch(`${sluice.baseURL}/models`, {
      headers: { authorization: `Bearer ${ADMIN_KEY}` },
    });
    assert.equal(response.headers.get('x-request-id'), 'req_upstream');
    assert.deepEqual(await response.json(), {
      object: 'list',
      data: [model('gpt-4.1', 'openai')],
      extra: true,
    });
  });

  it('still filters for a key limited to some models', async () => {
    openaiLike.script(
      jsonReply(200, { object: 'list', data: [model('gpt-4.1', 'openai'), model('o3', 'openai')] }),
    );
    const key = await keyFor(sluice, 'narrow', { models: ['o*'] });
    assert.deepEqual(await ids(sluice, key), ['o3@openai']);
  });

  it('and one model’s page: a model outside the key’s list is 404, not asked of the upstream', async () => {
    const key = await keyFor(sluice, 'narrower', { models: ['o*'] });
    const before = openaiLike.calls.length;
    const get = (id: string) =>
      fetch(`${sluice.baseURL}/models/${id}`, { headers: { authorization: `Bearer ${key}` } });
    const hidden = await get('gpt-4.1');
    assert.equal(hidden.status, 404);
    assert.equal(
      ((await hidden.json()) as { error: { code: string } }).error.code,
      'model_not_found',
    );
    assert.equal(openaiLike.calls.length, before);
    openaiLike.script(jsonReply(200, model('o3', 'openai')));
    assert.equal((await get('o3')).status, 200);
  });
});

describe("GET /v1/models with Google's OpenAI-compatible API beside OpenAI", () => {
  // Google lists `models/gemini-…` and serves a chat for either name.
  let gemini: FakeUpstream;
  let sluice: TestSluice;
  before(async () => {
    gemini = await startFakeUpstream();
    sluice = await withConfig([
      { name: 'openai', baseUrl: openaiLike.origin, apiKey: 'sk-a', models: ['gpt-*', 'o*'] },
      {
        name: 'gemini',
        baseUrl: `${gemini.origin}/v1beta/openai`,
        apiKey: 'AIza-g',
        models: ['gemini-*'],
      },
    ]);
  });
  after(async () => {
    await sluice.stop();
    await gemini.stop();
  });
  const googleList = jsonReply(200, {
    object: 'list',
    data: [
      model('models/gemini-2.5-flash', 'google'),
      model('models/gemini-2.5-pro', 'google'),
      model('models/text-embedding-004', 'google'),
    ],
  });

  it('lists Gemini models by the name they are routed, allowed and priced by', async () => {
    openaiLike.script(jsonReply(200, { object: 'list', data: [model('gpt-4.1', 'openai')] }));
    gemini.script(googleList);
    assert.deepEqual(await ids(sluice, ADMIN_KEY), [
      'gemini-2.5-flash@google',
      'gemini-2.5-pro@google',
      'gpt-4.1@openai',
    ]);
    gemini.script(googleList);
    const key = await keyFor(sluice, 'flash-only', { models: ['gemini-2.5-flash'] });
    assert.deepEqual(await ids(sluice, key), ['gemini-2.5-flash@google']);
    // The listed name is one a request can use: it goes to Google.
    gemini.script(jsonReply(200, { id: 'c', object: 'chat.completion', choices: [] }));
    const chat = await fetch(`${sluice.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'gemini-2.5-flash',
        messages: [{ role: 'user', content: 'hi' }],
      }),
    });
    assert.equal(chat.status, 200);
    assert.equal(gemini.calls.at(-1)?.path, '/v1beta/openai/chat/completions');
  });
});

describe('GET /v1/models from an Anthropic client', () => {
  const claude = (id: string) => ({
    type: 'model',
    id,
    display_name: id,
    created_at: '2025-05-14T00:00:00Z',
  });
  let first: FakeUpstream;
  let second: FakeUpstream;
  let sluice: TestSluice;
  before(async () => {
    first = await startFakeUpstream(
      jsonReply(200, {
        data: [claude('claude-sonnet-4-5'), claude('claude-opus-4-1')],
        has_more: false,
        first_id: 'claude-sonnet-4-5',
        last_id: 'claude-opus-4-1',
      }),
    );
    second = await startFakeUpstream(
      jsonReply(200, { data: [claude('claude-haiku-4-5')], has_more: false }),
    );
    sluice = await withConfig([
      { name: 'openai', baseUrl: openaiLike.origin, apiKey: 'sk-a' },
      { name: 'claude', family: 'anthropic', baseUrl: first.origin, apiKey: 'sk-ant-1' },
      { name: 'claude-b', family: 'anthropic', baseUrl: second.origin, apiKey: 'sk-ant-2' },
    ]);
  });
  after(async () => {
    await sluice.stop();
    await first.stop();
    await second.stop();
  });

  it('goes to the Anthropic upstreams (anthropic-version tells), in Anthropic’s list shape', async () => {
    openaiLike.script(jsonReply(200, { object: 'list', data: [model('gpt-4.1', 'openai')] }));
    const client = new Anthropic({ baseURL: sluice.url, apiKey: ADMIN_KEY, maxRetries: 0 });
    const listed: { id: string; type: string }[] = [];
    for await (const model of client.models.list()) listed.push(model);
    // The OpenAI upstream's models too, in Anthropic's shape: an Anthropic client reaches
    // them by translation.
    assert.deepEqual(
      listed.map((m) => m.id),
      ['claude-sonnet-4-5', 'claude-opus-4-1', 'claude-haiku-4-5', 'gpt-4.1'],
    );
    assert.ok(listed.every((m) => m.type === 'model'));
    const call = first.calls.at(-1);
    assert.ok(call);
    assert.equal(call.headers['x-api-key'], 'sk-ant-1');
    assert.equal(call.path, '/v1/models?limit=1000', 'one page holds every model');
    assert.equal(second.calls.at(-1)?.headers['x-api-key'], 'sk-ant-2');
  });

  it('an OpenAI client on the same path gets the OpenAI list, the Claude models in its shape', async () => {
    openaiLike.script(jsonReply(200, { object: 'list', data: [model('gpt-4.1', 'openai')] }));
    assert.deepEqual(await ids(sluice, ADMIN_KEY), [
      'claude-haiku-4-5@claude-b',
      'claude-opus-4-1@claude',
      'claude-sonnet-4-5@claude',
      'gpt-4.1@openai',
    ]);
  });
});
