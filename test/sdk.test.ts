/**
 * The official clients — openai, ai + @ai-sdk/openai, @anthropic-ai/sdk — against Sluice in
 * front of a fake upstream that replays recorded provider streams. What the client gets must be
 * exactly what the provider sent; what the provider gets must carry the upstream key, never the
 * client's.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createOpenAI } from '@ai-sdk/openai';
import Anthropic from '@anthropic-ai/sdk';
import { streamText } from 'ai';
import OpenAI from 'openai';
import {
  chatChunksFor,
  chatStream,
  chatText,
  fixturePayloads,
  namedStream,
} from './support/chat-fixtures.ts';
import {
  type FakeUpstream,
  jsonReply,
  sseHead,
  startFakeUpstream,
} from './support/fake-upstream.ts';
import { schemaValidator } from './support/openapi.ts';
import { ADMIN_KEY, sluiceFor, type TestSluice, UPSTREAM_KEY } from './support/sluice.ts';
import { formatEvent } from '../src/sse/index.ts';

let upstream: FakeUpstream;
let sluice: TestSluice;
let openai: OpenAI;

before(async () => {
  upstream = await startFakeUpstream();
  sluice = await sluiceFor(upstream.origin);
  openai = new OpenAI({ baseURL: sluice.baseURL, apiKey: ADMIN_KEY, maxRetries: 0 });
});
after(async () => {
  await sluice.stop();
  await upstream.stop();
});

const CHAT_FIXTURES = [
  'openai-chat/openai-text.chunks.txt',
  'openai-compatible-chat/deepseek-reasoning.chunks.txt',
  'openai-compatible-chat/deepseek-tool-call.chunks.txt',
  'openai-compatible-chat/xai-text.chunks.txt',
  'openai-compatible-chat/xai-tool-call.chunks.txt',
];

describe('openai SDK, Chat Completions', () => {
  for (const includeUsage of [false, true]) {
    it(`streams every chunk unchanged ${includeUsage ? 'with' : 'without'} include_usage`, async () => {
      const fixture = 'openai-chat/openai-text.chunks.txt';
      upstream.script(chatStream(fixture));
      const stream = await openai.chat.completions.create({
        model: 'gpt-4.1-nano',
        messages: [{ role: 'user', content: 'Suggest a holiday name' }],
        stream: true,
        ...(includeUsage ? { stream_options: { include_usage: true } } : {}),
      });
      const received: unknown[] = [];
      for await (const chunk of stream) received.push(chunk);

      assert.deepEqual(received, chatChunksFor(fixture, includeUsage));
      const last = received.at(-1) as { usage?: unknown; choices: unknown[] };
      if (includeUsage) assert.equal(last.choices.length, 0, 'the usage chunk comes last');
      else
        assert.ok(
          received.every((c) => !('usage' in (c as object))),
          'no usage unless asked',
        );

      const call = upstream.calls.at(-1);
      assert.equal(call?.path, '/v1/chat/completions');
      assert.equal(
        call.headers.authorization,
        `Bearer ${UPSTREAM_KEY}`,
        'the upstream key, not the client key',
      );
      assert.equal(call.json?.stream, true);
    });
  }

  it('relays chunks that all validate against the OpenAPI schema', async () => {
    const validate = schemaValidator('CreateChatCompletionStreamResponse');
    for (const fixture of CHAT_FIXTURES) {
      upstream.script(chatStream(fixture));
      const stream = await openai.chat.completions.create({
        model: 'm',
        messages: [{ role: 'user', content: 'hi' }],
        stream: true,
        stream_options: { include_usage: true },
      });
      let count = 0;
      for await (const chunk of stream) {
        count++;
        assert.ok(validate(chunk), `${fixture} chunk ${count}: ${JSON.stringify(validate.errors)}`);
      }
      assert.equal(count, chatChunksFor(fixture, true).length, fixture);
    }
  });

  it('aborting mid-stream closes the upstream request', async () => {
    const chunks = chatChunksFor('openai-chat/openai-text.chunks.txt', false);
    upstream.script(({ res }) => {
      sseHead(res);
      // Five chunks, then silence: the stream would stay open until Sluice hangs up.
      for (const c of chunks.slice(0, 5)) res.write(formatEvent({ data: JSON.stringify(c) }));
    });
    const stream = await openai.chat.completions.create({
      model: 'm',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
    });
    const call = await upstream.nextCall();
    let seen = 0;
    for await (const _chunk of stream) {
      if (++seen === 3) break; // the SDK aborts its request when the loop is left
    }
    await call.aborted; // resolves only when Sluice closed its upstream request
  });
});

describe('openai SDK, non-streamed and legacy endpoints', () => {
  it('a non-streamed chat completion comes back whole', async () => {
    const completion = {
      id: 'chatcmpl-1',
      object: 'chat.completion',
      created: 1,
      model: 'gpt-4.1',
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: 'Hi.', refusal: null },
          logprobs: null,
          finish_reason: 'stop',
        },
      ],
      usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 },
    };
    upstream.script(jsonReply(200, completion));
    const result = await openai.chat.completions.create({
      model: 'gpt-4.1',
      messages: [{ role: 'user', content: 'hi' }],
    });
    assert.deepEqual(result, completion);
  });

  it('legacy Completions stream through the same relay', async () => {
    const chunks = ['Once', ' upon', ' a time'].map((text, i) => ({
      id: 'cmpl-1',
      object: 'text_completion',
      created: 1,
      model: 'gpt-3.5-turbo-instruct',
      choices: [{ text, index: 0, logprobs: null, finish_reason: i === 2 ? 'stop' : null }],
    }));
    upstream.script(({ res }) => {
      sseHead(res);
      res.end(
        chunks.map((c) => formatEvent({ data: JSON.stringify(c) })).join('') +
          formatEvent({ data: '[DONE]' }),
      );
    });
    const stream = await openai.completions.create({
      model: 'gpt-3.5-turbo-instruct',
      prompt: 'Tell',
      stream: true,
    });
    const received: unknown[] = [];
    for await (const chunk of stream) received.push(chunk);
    assert.deepEqual(received, chunks);
    assert.equal(upstream.calls.at(-1)?.path, '/v1/completions');
  });
});

describe('openai SDK, Responses', () => {
  it('streams every event unchanged', async () => {
    const fixture = 'openai-responses/openai-reasoning-encrypted-content.1.chunks.txt';
    upstream.script(namedStream(fixture));
    const stream = await openai.responses.create({ model: 'gpt-5', input: 'hi', stream: true });
    const received: unknown[] = [];
    for await (const event of stream) received.push(event);
    assert.deepEqual(received, fixturePayloads(fixture));
    assert.equal(upstream.calls.at(-1)?.path, '/v1/responses');
  });

  it('raises the upstream error event, never a silent success', async () => {
    upstream.script(namedStream('openai-responses/openai-error.1.chunks.txt'));
    const stream = await openai.responses.create({ model: 'gpt-5', input: 'hi', stream: true });
    await assert.rejects(async () => {
      for await (const _event of stream);
    }, /exceeded your current quota/);
  });
});

describe('ai SDK with @ai-sdk/openai', () => {
  const provider = () => createOpenAI({ baseURL: sluice.baseURL, apiKey: ADMIN_KEY });

  it('.chat() streams the text', async () => {
    const fixture = 'openai-compatible-chat/deepseek-text.chunks.txt';
    upstream.script(chatStream(fixture));
    const result = streamText({
      model: provider().chat('deepseek-chat'),
      prompt: 'hi',
      maxRetries: 0,
    });
    let text = '';
    for await (const delta of result.textStream) text += delta;
    assert.equal(text, chatText(chatChunksFor(fixture, true)));
    assert.equal(upstream.calls.at(-1)?.path, '/v1/chat/completions');
  });

  it('the default (Responses) model streams the text', async () => {
    const fixture = 'openai-responses/openai-phase.1.chunks.txt';
    upstream.script(namedStream(fixture));
    const result = streamText({ model: provider()('gpt-5'), prompt: 'hi', maxRetries: 0 });
    let text = '';
    for await (const delta of result.textStream) text += delta;
    const expected = fixturePayloads(fixture)
      .filter((p) => p.type === 'response.output_text.delta')
      .map((p) => String(p.delta))
      .join('');
    assert.ok(expected.length > 0);
    assert.equal(text, expected);
    assert.equal(upstream.calls.at(-1)?.path, '/v1/responses');
  });
});

describe('@anthropic-ai/sdk', () => {
  it('messages.create() without streaming comes back whole', async () => {
    const body = {
      id: 'msg_1',
      type: 'message',
      role: 'assistant',
      model: 'claude-test',
      content: [{ type: 'text', text: 'Hello.' }],
      stop_reason: 'end_turn',
      stop_sequence: null,
      usage: { input_tokens: 3, output_tokens: 2 },
    };
    upstream.script(jsonReply(200, body));
    const anthropic = new Anthropic({ baseURL: sluice.url, apiKey: ADMIN_KEY, maxRetries: 0 });
    const message = await anthropic.messages.create({
      model: 'claude-test',
      max_tokens: 10,
      messages: [{ role: 'user', content: 'hi' }],
    });
    assert.deepEqual(message.content, body.content);
  });

  it('messages.stream() gets every event and the final message', async () => {
    const fixture = 'anthropic-messages/anthropic-text.chunks.txt';
    upstream.script(namedStream(fixture));
    const anthropic = new Anthropic({ baseURL: sluice.url, apiKey: ADMIN_KEY, maxRetries: 0 });
    const stream = anthropic.messages.stream({
      model: 'claude-test',
      max_tokens: 100,
      messages: [{ role: 'user', content: 'hi' }],
    });
    const types: string[] = [];
    stream.on('streamEvent', (event) => types.push(event.type)); // the SDK keeps pings to itself
    const message = await stream.finalMessage();

    const payloads = fixturePayloads(fixture);
    assert.deepEqual(
      types,
      payloads.map((p) => p.type).filter((t) => t !== 'ping'),
    );
    const text = payloads
      .filter((p) => p.type === 'content_block_delta')
      .map((p) => (p.delta as { text?: string }).text ?? '')
      .join('');
    assert.equal(message.content[0]?.type === 'text' ? message.content[0].text : undefined, text);

    const call = upstream.calls.at(-1);
    assert.equal(call?.path, '/v1/messages');
    assert.equal(call.headers['x-api-key'], UPSTREAM_KEY);
    assert.equal(call.headers.authorization, undefined);
    assert.ok(call.headers['anthropic-version'], 'the client’s anthropic-version passes through');
  });
});
