/**
 * Token counts for every model a client can use: Anthropic's `count_tokens` (Claude Code asks
 * before it sends) and OpenAI's `responses/input_tokens`, through the official SDKs. A provider
 * with a count route answers it (translated where the dialects differ); a count no upstream
 * can give is Sluice's own estimate, marked as one. Counting uses no tokens: the records say 0
 * and a token budget is not spent by it.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import { encode } from 'gpt-tokenizer/encoding/o200k_base';
import OpenAI from 'openai';
import { type FakeUpstream, jsonReply, startFakeUpstream } from './support/fake-upstream.ts';
import { ADMIN_KEY, keyFor, startTestSluice, type TestSluice } from './support/sluice.ts';

/** A prompt whose o200k count is known from the tokenizer itself, framing aside. */
const LONG = 'The quick brown fox jumps over the lazy dog. '.repeat(200);
const LONG_TOKENS = encode(LONG).length;

const WEATHER = {
  name: 'get_weather',
  description: 'The weather in a city.',
  input_schema: {
    type: 'object' as const,
    properties: { city_name_as_written_locally: { type: 'string' } },
    required: ['city_name_as_written_locally'],
  },
};

describe('token counts, for every model', () => {
  let dir: string;
  let openaiUp: FakeUpstream;
  let chatOnly: FakeUpstream;
  let claudeUp: FakeUpstream;
  let sluice: TestSluice;
  let openai: OpenAI;
  let anthropic: Anthropic;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sluice-counts-'));
    openaiUp = await startFakeUpstream(
      jsonReply(200, { object: 'response.input_tokens', input_tokens: 17 }),
    );
    chatOnly = await startFakeUpstream();
    claudeUp = await startFakeUpstream(jsonReply(200, { input_tokens: 42 }));
    const config = join(dir, 'sluice.json');
    await writeFile(
      config,
      JSON.stringify({
        upstreams: [
          { name: 'openai', baseUrl: openaiUp.origin, apiKey: 'sk-o', models: ['gpt-*'] },
          {
            name: 'deepseek',
            baseUrl: chatOnly.origin,
            apiKey: 'sk-ds',
            models: ['deepseek-*'],
            responses: false,
          },
          {
            name: 'anthropic',
            family: 'anthropic',
            baseUrl: claudeUp.origin,
            apiKey: 'sk-a',
            models: ['claude-*'],
          },
        ],
      }),
    );
    sluice = await startTestSluice({ SLUICE_CONFIG: config });
    openai = new OpenAI({ baseURL: sluice.baseURL, apiKey: ADMIN_KEY, maxRetries: 0 });
    anthropic = new Anthropic({ baseURL: sluice.url, apiKey: ADMIN_KEY, maxRetries: 0 });
  });
  after(async () => {
    await sluice.stop();
    for (const upstream of [openaiUp, chatOnly, claudeUp]) await upstream.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const asked = () => openaiUp.calls.length + chatOnly.calls.length + claudeUp.calls.length;

  async function lastRecord() {
    await sluice.running.settled();
    const [record] = await sluice.running.store.listUsage({ limit: 1 });
    assert.ok(record);
    return record;
  }

  it('count_tokens for a GPT model: counted here, an estimate that says so, no upstream asked', async () => {
    const before = asked();
    const { data, response } = await anthropic.messages
      .countTokens({
        model: 'gpt-4o',
        system: 'Be brief.',
        messages: [{ role: 'user', content: LONG }],
      })
      .withResponse();
    assert.equal(asked(), before, 'no upstream has a count route for it');
    assert.equal(response.headers.get('x-sluice-token-count'), 'estimate');
    // The text's own tokens, plus a few for the system turn and the framing of two messages.
    assert.ok(
      data.input_tokens > LONG_TOKENS && data.input_tokens < LONG_TOKENS + 20,
      `${data.input_tokens} for a ${LONG_TOKENS}-token text`,
    );
    const withTool = await anthropic.messages.countTokens({
      model: 'gpt-4o',
      system: 'Be brief.',
      messages: [{ role: 'user', content: LONG }],
      tools: [WEATHER],
    });
    // The tool's schema is part of the prompt, its property names included.
    const toolText = encode('city_name_as_written_locally').length;
    assert.ok(
      withTool.input_tokens >= data.input_tokens + toolText + 4,
      `${withTool.input_tokens}`,
    );
    const record = await lastRecord();
    assert.deepEqual(
      [record.endpoint, record.status, record.model, record.upstream],
      ['/v1/messages/count_tokens', 200, 'gpt-4o', null],
    );
    assert.deepEqual([record.promptTokens, record.completionTokens, record.cost], [0, 0, null]);
  });

  it('a prompt the tokenizer is slowest on is counted, off the event loop', async () => {
    // One character 100 000 times: 21 s of the event loop when it was counted there
    // (src/metering/tokenizer-thread.test.ts shows the loop turning meanwhile).
    const { input_tokens } = await anthropic.messages.countTokens({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: '漢'.repeat(100_000) }],
    });
    assert.ok(input_tokens >= 100_000 && input_tokens < 100_020, `${input_tokens}`);
  });

  it('an image counts by its size, read from its own header, not by its base64', async () => {
    const png = readFileSync(new URL('fixtures/images/1500x900.png', import.meta.url));
    const content = (image: boolean) => [
      { type: 'text' as const, text: 'What is this?' },
      ...(image
        ? [
            {
              type: 'image' as const,
              source: {
                type: 'base64' as const,
                media_type: 'image/png' as const,
                data: png.toString('base64'),
              },
            },
          ]
        : []),
    ];
    const count = async (image: boolean) =>
      (
        await anthropic.messages.countTokens({
          model: 'gpt-4o',
          messages: [{ role: 'user', content: content(image) }],
        })
      ).input_tokens;
    // 1500 × 900 → 1280 × 768: 3 × 2 tiles of 170, and 85; a few more for the parts' framing.
    // (Before, an image counted nothing at all.)
    const added = (await count(true)) - (await count(false));
    assert.ok(added >= 1105 && added <= 1105 + 8, String(added));
  });

  it('count_tokens for a Claude model is Anthropic’s own count, and it costs no tokens', async () => {
    const { data, response } = await anthropic.messages
      .countTokens({ model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: LONG }] })
      .withResponse();
    assert.equal(data.input_tokens, 42);
    assert.equal(response.headers.get('x-sluice-token-count'), null);
    const sent = claudeUp.calls.at(-1);
    assert.equal(sent?.path, '/v1/messages/count_tokens');
    const record = await lastRecord();
    assert.deepEqual(
      [record.upstream, record.promptTokens, record.usageSource],
      ['anthropic', 0, null],
      'a count is not a prompt sent: nothing to estimate',
    );
  });

  it('a key with a small token budget counts a large prompt as often as it likes', async () => {
    const key = await keyFor(sluice, 'counter', { keyLimits: { tpm: 100, budgetTokens: 100 } });
    const client = new Anthropic({ baseURL: sluice.url, apiKey: key, maxRetries: 0 });
    for (const model of ['claude-sonnet-4-5', 'gpt-4o', 'claude-sonnet-4-5', 'gpt-4o']) {
      const { input_tokens } = await client.messages.countTokens({
        model,
        messages: [{ role: 'user', content: LONG }],
      });
      assert.ok(input_tokens > 0, model);
    }
  });

  it('input_tokens for a Chat-only model: counted here, nothing sent; instructions alone count', async () => {
    const before = asked();
    const { data, response } = await openai.responses.inputTokens
      .count({ model: 'deepseek-chat', instructions: 'Be brief.', input: LONG })
      .withResponse();
    assert.equal(asked(), before);
    assert.equal(data.object, 'response.input_tokens');
    assert.equal(response.headers.get('x-sluice-token-count'), 'estimate');
    assert.ok(data.input_tokens > LONG_TOKENS && data.input_tokens < LONG_TOKENS + 20);
    const alone = await openai.responses.inputTokens.count({
      model: 'deepseek-chat',
      instructions: LONG,
    });
    assert.ok(alone.input_tokens >= LONG_TOKENS, String(alone.input_tokens));
    const record = await lastRecord();
    assert.deepEqual(
      [record.endpoint, record.model, record.promptTokens],
      ['/v1/responses/input_tokens', 'deepseek-chat', 0],
    );
  });

  it('input_tokens for a Claude model is Anthropic’s count of the Messages request it would be', async () => {
    const data = await openai.responses.inputTokens.count({
      model: 'claude-sonnet-4-5',
      instructions: 'Be brief.',
      input: [{ role: 'user', content: 'Weather in Oslo?' }],
      tools: [
        {
          type: 'function',
          name: WEATHER.name,
          description: WEATHER.description,
          parameters: WEATHER.input_schema,
          strict: false,
        },
      ],
      tool_choice: 'auto',
    });
    assert.deepEqual(data, { object: 'response.input_tokens', input_tokens: 42 });
    const sent = claudeUp.calls.at(-1);
    assert.equal(sent?.path, '/v1/messages/count_tokens');
    assert.equal(sent.headers['x-api-key'], 'sk-a');
    const json = sent.json ?? {};
    // A count body only: Anthropic refuses max_tokens, stream and sampling settings here.
    assert.deepEqual(Object.keys(json).sort(), [
      'messages',
      'model',
      'system',
      'tool_choice',
      'tools',
    ]);
    assert.deepEqual(json.messages, [
      { role: 'user', content: [{ type: 'text', text: 'Weather in Oslo?' }] },
    ]);
    assert.deepEqual(json.system, [{ type: 'text', text: 'Be brief.' }]);
    assert.equal((json.tools as { name: string }[])[0]?.name, 'get_weather');
    const record = await lastRecord();
    assert.deepEqual([record.upstream, record.promptTokens], ['anthropic', 0]);
    // A body that says `stream` still gets a count in its own shape, not Anthropic's.
    const streamed = await fetch(`${sluice.baseURL}/responses/input_tokens`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'claude-sonnet-4-5', input: 'Hi', stream: true }),
    });
    assert.deepEqual(await streamed.json(), { object: 'response.input_tokens', input_tokens: 42 });
  });

  it('input_tokens for a model with the Responses API goes to it untranslated', async () => {
    const data = await openai.responses.inputTokens.count({ model: 'gpt-4o', input: 'Hi' });
    assert.equal(data.input_tokens, 17);
    const sent = openaiUp.calls.at(-1);
    assert.equal(sent?.path, '/v1/responses/input_tokens');
    assert.deepEqual(sent.json, { model: 'gpt-4o', input: 'Hi' });
  });

  it('what cannot be counted is a 400 in the client’s dialect, naming the field', async () => {
    const before = asked();
    await assert.rejects(
      anthropic.messages.countTokens({
        model: 'gpt-4o',
        messages: [{ role: 'user', content: 'Hi' }],
        // @ts-expect-error: a field count_tokens does not have, as an attacker would send it
        top_k: 5,
      }),
      (error: unknown) =>
        error instanceof Anthropic.BadRequestError &&
        (error.error as { error?: { type?: string } }).error?.type === 'invalid_request_error' &&
        /top_k/.test(error.message),
    );
    await assert.rejects(
      anthropic.messages.countTokens({
        model: 'gpt-4o',
        // @ts-expect-error: a role Anthropic does not have
        messages: [{ role: 'tool', content: 'Hi' }],
      }),
      Anthropic.BadRequestError,
    );
    await assert.rejects(
      openai.responses.inputTokens.count({ model: 'deepseek-chat', previous_response_id: 'r' }),
      (error: unknown) =>
        error instanceof OpenAI.BadRequestError && error.param === 'previous_response_id',
    );
    await assert.rejects(
      openai.responses.inputTokens.count({ model: 'no-such-model', input: 'Hi' }),
      OpenAI.NotFoundError,
    );
    assert.equal(asked(), before, 'nothing refused reached an upstream');
  });

  it('an Anthropic error on a translated count reaches the OpenAI client in its shape', async () => {
    claudeUp.script(
      jsonReply(400, {
        type: 'error',
        error: { type: 'invalid_request_error', message: 'prompt is too long: 212000 tokens' },
      }),
    );
    try {
      await assert.rejects(
        openai.responses.inputTokens.count({ model: 'claude-sonnet-4-5', input: LONG }),
        (error: unknown) =>
          error instanceof OpenAI.BadRequestError &&
          error.type === 'invalid_request_error' &&
          /prompt is too long/.test(error.message),
      );
    } finally {
      claudeUp.script(jsonReply(200, { input_tokens: 42 }));
    }
  });

  it('an Anthropic answer that is not a count is a 502, not a count without a number', async () => {
    for (const body of [{ tokens: 5 }, { input_tokens: -1 }, { input_tokens: '5' }, null]) {
      claudeUp.script(jsonReply(200, body));
      await assert.rejects(
        openai.responses.inputTokens.count({ model: 'claude-sonnet-4-5', input: 'Hi' }),
        (error: unknown) => error instanceof OpenAI.APIError && error.status === 502,
        JSON.stringify(body),
      );
    }
    claudeUp.script(jsonReply(200, { input_tokens: 42 }));
    const record = await lastRecord();
    assert.deepEqual([record.status, record.endReason], [502, 'upstream_error']);
  });

  it('a key held to some models cannot count for the others', async () => {
    const key = await keyFor(sluice, 'claude-only', { models: ['claude-*'] });
    const client = new Anthropic({ baseURL: sluice.url, apiKey: key, maxRetries: 0 });
    await assert.rejects(
      client.messages.countTokens({ model: 'gpt-4o', messages: [{ role: 'user', content: 'Hi' }] }),
      Anthropic.PermissionDeniedError,
    );
    const openaiKeyed = new OpenAI({ baseURL: sluice.baseURL, apiKey: key, maxRetries: 0 });
    await assert.rejects(
      openaiKeyed.responses.inputTokens.count({ model: 'deepseek-chat', input: 'Hi' }),
      OpenAI.PermissionDeniedError,
    );
  });
});
