/**
 * Everything under /v1 that is not a chat stream: passed through unchanged, bodies streamed
 * both ways; and failover to the next upstream while nothing has reached the client yet.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import OpenAI, { toFile } from 'openai';
import { formatEvent } from '../src/sse/index.ts';
import { fixturePayloads } from './support/chat-fixtures.ts';
import {
  deferred,
  type FakeUpstream,
  jsonReply,
  sseHead,
  startFakeUpstream,
  writeEvents,
} from './support/fake-upstream.ts';
import { freePort } from './support/ports.ts';
import {
  ADMIN_KEY,
  keyFor,
  sluiceFor,
  startTestSluice,
  type TestSluice,
  UPSTREAM_KEY,
} from './support/sluice.ts';
import { postStream } from './support/sse-client.ts';

let upstream: FakeUpstream;
let sluice: TestSluice;
let openai: OpenAI;

before(async () => {
  upstream = await startFakeUpstream();
  // OpenAI only: with an Anthropic upstream beside it, /v1/models would list both families.
  sluice = await startTestSluice({ BASE_URL: upstream.origin, OPENAI_API_KEY: UPSTREAM_KEY });
  openai = new OpenAI({ baseURL: sluice.baseURL, apiKey: ADMIN_KEY, maxRetries: 0 });
});
after(async () => {
  await sluice.stop();
  await upstream.stop();
});

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** `POST /v1/messages` as Anthropic's clients send it (a short prompt), with the admin key. */
function postMessages(baseURL: string, body: Record<string, unknown>): Promise<Response> {
  return fetch(`${baseURL}/messages`, {
    method: 'POST',
    headers: {
      'x-api-key': ADMIN_KEY,
      'anthropic-version': '2023-06-01',
      'content-type': 'application/json',
    },
    body: JSON.stringify({ max_tokens: 16, messages: [{ role: 'user', content: 'Hi' }], ...body }),
  });
}

describe('other OpenAI endpoints pass through', () => {
  it('models, embeddings, images and moderations: JSON unchanged, with the upstream key', async () => {
    const models = {
      object: 'list',
      data: [{ id: 'gpt-4.1', object: 'model', created: 1, owned_by: 'openai' }],
    };
    upstream.script(jsonReply(200, models));
    assert.deepEqual((await openai.models.list()).data, models.data);
    assert.equal(upstream.calls.at(-1)?.path, '/v1/models');

    const embedding = {
      object: 'list',
      data: [{ object: 'embedding', index: 0, embedding: [0.5, -0.25] }],
      model: 'e',
      usage: { prompt_tokens: 1, total_tokens: 1 },
    };
    upstream.script(jsonReply(200, embedding));
    const result = await openai.embeddings.create({
      model: 'e',
      input: 'hi',
      encoding_format: 'float',
    });
    assert.deepEqual(result.data[0]?.embedding, [0.5, -0.25]);
    assert.equal(upstream.calls.at(-1)?.headers.authorization, `Bearer ${UPSTREAM_KEY}`);

    const image = { created: 1, data: [{ b64_json: randomBytes(3000).toString('base64') }] };
    upstream.script(jsonReply(200, image));
    assert.deepEqual(
      (await openai.images.generate({ model: 'gpt-image-1', prompt: 'a sluice' })).data,
      image.data,
    );
    assert.equal(upstream.calls.at(-1)?.path, '/v1/images/generations');

    const moderation = {
      id: 'modr-1',
      model: 'omni',
      results: [{ flagged: false, categories: {}, category_scores: {} }],
    };
    upstream.script(jsonReply(200, moderation));
    assert.equal((await openai.moderations.create({ input: 'hi' })).id, 'modr-1');
  });

  it('audio: a multipart upload streams in, binary speech streams out, byte for byte', async () => {
    const audio = randomBytes(3 * 1024 * 1024);
    upstream.script(({ res, body, headers }) => {
      assert.match(String(headers['content-type']), /^multipart\/form-data; boundary=/);
      assert.ok(body.includes(audio), 'the upload arrived whole');
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ text: `received ${sha256(audio)}` }));
    });
    const transcription = await openai.audio.transcriptions.create({
      model: 'whisper-1',
      file: await toFile(audio, 'speech.mp3', { type: 'audio/mpeg' }),
    });
    assert.equal(transcription.text, `received ${sha256(audio)}`);

    const speech = randomBytes(2 * 1024 * 1024);
    upstream.script(({ res }) => {
      res.writeHead(200, { 'content-type': 'audio/mpeg' });
      for (let i = 0; i < speech.length; i += 64 * 1024)
        res.write(speech.subarray(i, i + 64 * 1024));
      res.end();
    });
    const response = await openai.audio.speech.create({
      model: 'tts-1',
      voice: 'alloy',
      input: 'hi',
    });
    assert.equal(response.headers.get('content-type'), 'audio/mpeg');
    assert.equal(sha256(Buffer.from(await response.arrayBuffer())), sha256(speech));
  });

  it('an unknown /v1 path and its query pass through unchanged, in both directions', async () => {
    upstream.script(({ res, method, path, body }) => {
      res.writeHead(201, { 'content-type': 'application/octet-stream', 'x-request-id': 'req_9' });
      res.end(Buffer.concat([Buffer.from(`${method} ${path} `), body]));
    });
    const payload = randomBytes(100_000);
    const response = await fetch(`${sluice.baseURL}/vector_stores/vs_1/files?limit=2&order=asc`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/octet-stream' },
      body: payload,
    });
    assert.equal(response.status, 201);
    assert.equal(response.headers.get('x-request-id'), 'req_9');
    const echoed = Buffer.from(await response.arrayBuffer());
    assert.deepEqual(
      echoed,
      Buffer.concat([Buffer.from('PUT /v1/vector_stores/vs_1/files?limit=2&order=asc '), payload]),
    );
  });

  it('keeps the upstream’s identity headers to itself', async () => {
    upstream.script(({ res }) => {
      res.writeHead(200, {
        'content-type': 'application/json',
        server: 'cloudflare',
        'cf-ray': '8a1b2c3d4e5f-AMS',
        'alt-svc': 'h3=":443"',
        'strict-transport-security': 'max-age=31536000',
        'set-cookie': '__cf_bm=abc; path=/; domain=.api.openai.com',
        'openai-organization': 'org-secret',
        'openai-processing-ms': '12',
        'x-ratelimit-remaining-requests': '99',
      });
      res.end('{"object":"list","data":[]}');
    });
    const response = await fetch(`${sluice.baseURL}/models`, {
      headers: { authorization: `Bearer ${ADMIN_KEY}` },
    });
    for (const hidden of [
      'cf-ray',
      'alt-svc',
      'strict-transport-security',
      'set-cookie',
      'openai-organization',
    ]) {
      assert.equal(response.headers.get(hidden), null, hidden);
    }
    assert.notEqual(response.headers.get('server'), 'cloudflare');
    assert.equal(response.headers.get('openai-processing-ms'), '12');
    assert.equal(response.headers.get('x-ratelimit-remaining-requests'), '99');
  });

  it('a fine-tuned model’s owner, the provider account, is hidden in lists and in one model', async () => {
    // OpenAI lists the models the account trained as owned by its user or organization.
    const trained = {
      id: 'ft:gpt-4.1-mini-2025-04-14:acme::BxQ2aZ9k',
      object: 'model',
      created: 2,
      owned_by: 'user-q9QWwRkMzU2Y7f3dJx8LbT4c',
    };
    const orgOwned = {
      ...trained,
      id: 'ft:gpt-4.1-nano:acme::Cc1',
      owned_by: 'org-Ymxfd9U0oHgQvWY3',
    };
    const models = {
      object: 'list',
      data: [{ id: 'gpt-4.1', object: 'model', created: 1, owned_by: 'system' }, trained, orgOwned],
    };
    const hidden = (m: typeof trained) => ({ ...m, owned_by: '(hidden)' });
    upstream.script(jsonReply(200, models));
    assert.deepEqual((await openai.models.list()).data, [
      models.data[0],
      hidden(trained),
      hidden(orgOwned),
    ]);
    upstream.script(jsonReply(200, trained));
    assert.deepEqual(await openai.models.retrieve(trained.id), hidden(trained));
    // A key limited to some models gets a list put together by Sluice: the same.
    const limited = await keyFor(sluice, 'ft-user', { models: ['ft:*'] });
    upstream.script(jsonReply(200, models));
    const listed = await new OpenAI({ baseURL: sluice.baseURL, apiKey: limited }).models.list();
    assert.deepEqual(listed.data, [hidden(trained), hidden(orgOwned)]);
  });

  it('a fine-tuning job’s organization and a checkpoint permission’s project are hidden', async () => {
    const organization = 'org-Ymxfd9U0oHgQvWY3NcUtRd0M';
    const job = {
      id: 'ftjob-abc123',
      object: 'fine_tuning.job',
      model: 'gpt-4.1-mini-2025-04-14',
      organization_id: organization,
      status: 'running',
    };
    upstream.script(jsonReply(200, job));
    const retrieved = await openai.fineTuning.jobs.retrieve(job.id);
    assert.equal(retrieved.organization_id, '(hidden)');
    assert.equal(retrieved.status, 'running');
    const permission = {
      id: 'cp_1',
      object: 'checkpoint.permission',
      created_at: 1,
      project_id: 'proj_Q2aZ9kBxQ2aZ9k',
    };
    upstream.script(jsonReply(200, { object: 'list', data: [permission], has_more: false }));
    const listed = await fetch(
      `${sluice.baseURL}/fine_tuning/checkpoints/ft:gpt-4.1-mini:acme::x/permissions`,
      {
        headers: { authorization: `Bearer ${ADMIN_KEY}` },
      },
    );
    const text = await listed.text();
    assert.ok(!text.includes('proj_Q2aZ9kBxQ2aZ9k') && text.includes('(hidden)'), text);
  });

  it('keeps the operator’s Anthropic organization and workspace to itself', async (t) => {
    // api.anthropic.com names them on every answer, as OpenAI names its organization.
    upstream.script(({ res }) => {
      res.writeHead(200, {
        'content-type': 'application/json',
        'anthropic-organization-id': '4a7c9e1b-0d2f-4e3a-9b8c-1d2e3f4a5b6c',
        'anthropic-workspace-id': 'wrkspc_01AbCdEf',
        'anthropic-ratelimit-requests-remaining': '49',
        'request-id': 'req_011',
      });
      res.end(
        JSON.stringify({
          id: 'msg_1',
          type: 'message',
          role: 'assistant',
          model: 'claude-sonnet-4-5',
          content: [{ type: 'text', text: 'Hi' }],
          stop_reason: 'end_turn',
          stop_sequence: null,
          usage: { input_tokens: 3, output_tokens: 1 },
        }),
      );
    });
    const anthropic = await sluiceFor(upstream.origin);
    t.after(() => anthropic.stop());
    const response = await postMessages(anthropic.baseURL, { model: 'claude-sonnet-4-5' });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('anthropic-organization-id'), null);
    assert.equal(response.headers.get('anthropic-workspace-id'), null);
    // What a client's SDK reads to back off and to report stays.
    assert.equal(response.headers.get('anthropic-ratelimit-requests-remaining'), '49');
    assert.equal(response.headers.get('request-id'), 'req_011');
  });

  it('an upstream’s error passes through without the provider account’s ids in its words', async (t) => {
    const openaiMessage =
      'Rate limit reached for gpt-4o in organization org-Ymxfd9U0oHgQvWY3NcUtRd0M on tokens per min (TPM): Limit 30000, Used 30000, Requested 154. Please try again in 308ms.';
    upstream.script(({ res }) => {
      res.writeHead(429, {
        'content-type': 'application/json',
        'retry-after': '1',
        'x-ratelimit-remaining-tokens': '0',
      });
      res.end(
        JSON.stringify({
          error: {
            message: openaiMessage,
            type: 'tokens',
            param: null,
            code: 'rate_limit_exceeded',
          },
        }),
      );
    });
    const limited = await fetch(`${sluice.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'Hi' }] }),
    });
    assert.equal(limited.status, 429);
    assert.equal(limited.headers.get('retry-after'), '1');
    const { error } = (await limited.json()) as { error: { message: string; code: string } };
    assert.equal(error.code, 'rate_limit_exceeded');
    assert.equal(error.message, openaiMessage.replace('org-Ymxfd9U0oHgQvWY3NcUtRd0M', '(hidden)'));

    const organization = '874899f0-c2de-4906-8802-cc478416bee6';
    upstream.script(({ res }) => {
      res.writeHead(429, { 'content-type': 'application/json', 'request-id': 'req_012' });
      res.end(
        JSON.stringify({
          type: 'error',
          error: {
            type: 'rate_limit_error',
            message: `This request would exceed the rate limit for your organization (${organization}) of 20,000 input tokens per minute.`,
          },
          request_id: 'req_012',
        }),
      );
    });
    const anthropic = await sluiceFor(upstream.origin);
    t.after(() => anthropic.stop());
    const refused = await postMessages(anthropic.baseURL, { model: 'claude-sonnet-4-5' });
    assert.equal(refused.status, 429);
    const text = await refused.text();
    assert.ok(!text.includes(organization), text);
    assert.match(text, /for your organization \(hidden\) of 20,000 input tokens per minute/);
    assert.match(text, /"request_id":"req_012"/);
  });

  it('an in-band error event names no provider account either, translated or not', async () => {
    // OpenAI's Responses stream fails in-band, after response.created (the recorded stream),
    // here with a rate limit's words, which name the organization.
    const organization = 'org-Ymxfd9U0oHgQvWY3NcUtRd0M';
    const limit = `Rate limit reached for gpt-4o in organization ${organization} on tokens per min (TPM): Limit 30000, Used 30000, Requested 154.`;
    const recorded = fixturePayloads('openai-responses/openai-error.1.chunks.txt');
    const quota = (recorded[2] as { error: { message: string } }).error.message;
    upstream.script(async ({ res }) => {
      sseHead(res);
      await writeEvents(
        res,
        recorded.map((p) =>
          formatEvent({ event: String(p.type), data: JSON.stringify(p).replaceAll(quota, limit) }),
        ),
      );
      res.end();
    });
    const responses = await fetch(`${sluice.baseURL}/responses`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-5-nano', input: 'Hi', stream: true }),
    });
    const text = await responses.text();
    assert.ok(!text.includes(organization), text);
    // Both the error event and response.failed, each otherwise as the provider sent it.
    const hidden = limit.replace(organization, '(hidden)');
    assert.deepEqual(
      text
        .split('\n')
        .filter((line) => line.startsWith('data: '))
        .map((line) => JSON.parse(line.slice(6)) as unknown),
      recorded.map((p) => JSON.parse(JSON.stringify(p).replaceAll(quota, hidden)) as unknown),
    );

    // A chat stream's in-band error, translated for an Anthropic client.
    upstream.script(async ({ res }) => {
      sseHead(res);
      await writeEvents(res, [
        formatEvent({
          data: JSON.stringify({
            id: 'c1',
            object: 'chat.completion.chunk',
            created: 0,
            model: 'gpt-4o',
            choices: [
              { index: 0, delta: { role: 'assistant', content: 'Hel' }, finish_reason: null },
            ],
          }),
        }),
        formatEvent({
          data: JSON.stringify({
            error: { message: limit, type: 'tokens', param: null, code: 'rate_limit_exceeded' },
          }),
        }),
      ]);
      res.end();
    });
    const messages = await postMessages(sluice.baseURL, { model: 'gpt-4o', stream: true });
    const translated = await messages.text();
    assert.match(translated, /event: error/);
    assert.ok(!translated.includes(organization), translated);
    assert.ok(translated.includes('in organization (hidden) on tokens per min'), translated);
  });

  it('an answer to translate larger than 8 MiB is a 502, and the upstream is not read further', async () => {
    // A whole answer of the other family is read before it is translated: an upstream (or a
    // relay) that sends without end must not grow Sluice's memory, nor hold the request open.
    const MiB = 1024 * 1024;
    const block = 'x'.repeat(MiB);
    let sent = 0;
    const stopped = deferred<number>();
    upstream.script(({ res }) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"id":"c1","object":"chat.completion","choices":[{"message":{"content":"');
      res.on('close', () => {
        stopped.resolve(sent);
      });
      const more = () => {
        // Bounded, so a Sluice that reads on cannot keep the test running.
        while (!res.destroyed && sent < 256 * MiB && res.write(block)) sent += MiB;
        if (!res.destroyed && sent < 256 * MiB) res.once('drain', more);
        else res.end();
      };
      more();
    });
    const response = await postMessages(sluice.baseURL, { model: 'gpt-4o' });
    assert.equal(response.status, 502);
    const body = (await response.json()) as { type: string; error: { message: string } };
    assert.equal(body.type, 'error');
    assert.match(body.error.message, /more than 8388608 bytes where the whole answer must be read/);
    assert.ok((await stopped.promise) < 256 * MiB, 'Sluice closed the upstream request');
  });

  it('does not forward the client’s IP, cookies or key', async () => {
    upstream.script(jsonReply(200, { object: 'list', data: [] }));
    await fetch(`${sluice.baseURL}/models`, {
      headers: {
        authorization: `Bearer ${ADMIN_KEY}`,
        cookie: 'session=1',
        'x-forwarded-for': '203.0.113.9',
        'openai-organization': 'org-x',
      },
    });
    const call = upstream.calls.at(-1);
    assert.ok(call);
    const { headers } = call;
    assert.equal(headers.cookie, undefined);
    assert.equal(headers['x-forwarded-for'], undefined);
    assert.equal(headers['openai-organization'], undefined);
    assert.equal(headers.authorization, `Bearer ${UPSTREAM_KEY}`);
    assert.equal(headers['accept-encoding'], 'identity');
  });
});

describe('failover before the first byte', () => {
  let second: FakeUpstream;
  let pair: TestSluice;
  let dir: string;

  before(async () => {
    second = await startFakeUpstream();
    dir = await mkdtemp(join(tmpdir(), 'sluice-failover-'));
    const config = join(dir, 'sluice.json');
    writeFileSync(
      config,
      JSON.stringify({
        upstreams: [
          { name: 'primary', baseUrl: upstream.origin, apiKey: 'sk-primary' },
          { name: 'secondary', baseUrl: second.origin, apiKey: 'sk-secondary' },
        ],
      }),
    );
    pair = await startTestSluice({ SLUICE_CONFIG: config });
  });
  after(async () => {
    await pair.stop();
    await second.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const chat = { model: 'm', messages: [{ role: 'user', content: 'hi' }], stream: true };
  const ok = (res: import('node:http').ServerResponse) => {
    sseHead(res);
    res.end(
      formatEvent({
        data: '{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[]}',
      }) + formatEvent({ data: '[DONE]' }),
    );
  };

  it('tries the next upstream when the first answers 429 or 5xx', async () => {
    upstream.script(jsonReply(503, { error: { message: 'overloaded' } }));
    second.script(({ res }) => {
      ok(res);
    });
    const stream = await postStream(`${pair.baseURL}/chat/completions`, chat);
    assert.equal(stream.status, 200);
    assert.deepEqual((await stream.all()).map((e) => e.data).at(-1), '[DONE]');
    assert.equal(upstream.calls.at(-1)?.headers.authorization, 'Bearer sk-primary');
    assert.equal(second.calls.at(-1)?.headers.authorization, 'Bearer sk-secondary');
  });

  it('tries the next upstream when the first is unreachable', async () => {
    const config = join(dir, 'with-dead.json');
    writeFileSync(
      config,
      JSON.stringify({
        upstreams: [
          { name: 'dead', baseUrl: `http://127.0.0.1:${await freePort()}` },
          { name: 'alive', baseUrl: second.origin },
        ],
      }),
    );
    const withDead = await startTestSluice({ SLUICE_CONFIG: config });
    try {
      const before = second.calls.length;
      second.script(({ res }) => {
        ok(res);
      });
      const stream = await postStream(`${withDead.baseURL}/chat/completions`, chat);
      assert.equal(stream.status, 200);
      await stream.all();
      assert.equal(second.calls.length, before + 1);
    } finally {
      await withDead.stop();
    }
  });

  it('does not fail over a client error: the first upstream’s 400 is the answer', async () => {
    const before = second.calls.length;
    upstream.script(
      jsonReply(400, { error: { message: 'bad request', type: 'invalid_request_error' } }),
    );
    const response = await fetch(`${pair.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify(chat),
    });
    assert.equal(response.status, 400);
    assert.equal(second.calls.length, before);
  });

  it('never fails over once the stream has begun: a mid-stream death is an error, not a retry', async () => {
    const before = second.calls.length;
    upstream.script(({ res }) => {
      sseHead(res);
      res.write(
        formatEvent({
          data: '{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[]}',
        }),
      );
      setImmediate(() => res.socket?.destroy());
    });
    const stream = await postStream(`${pair.baseURL}/chat/completions`, chat);
    const data = (await stream.all()).map((e) => e.data);
    assert.match(data.at(-1) ?? '', /"error"/);
    assert.equal(second.calls.length, before, 'no second attempt would have duplicated text');
  });
});
