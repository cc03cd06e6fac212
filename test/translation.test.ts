/**
 * OpenAI ⇄ Anthropic through Sluice, with the official clients on both sides. On the first
 * round's main, with only ANTHROPIC_API_KEY, `/v1/chat/completions` for a Claude model was a 404
 * ("no upstream is configured"), the web page could not use Claude at all, and `/v1/messages`
 * for an OpenAI model went to Anthropic unchanged. Upstreams here replay recorded provider
 * streams; every translated Chat Completions chunk is checked against OpenAI's own schema.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { parseEvent } from '../src/sse/index.ts';
import { browserClient } from './support/browser-client.ts';
import {
  chatStream,
  claudeMessage,
  fixturePayloads,
  messagesText,
  namedStream,
} from './support/chat-fixtures.ts';
import {
  deferred,
  type FakeUpstream,
  jsonReply,
  type Script,
  sseHead,
  type UpstreamCall,
  startFakeUpstream,
} from './support/fake-upstream.ts';
import { schemaValidator } from './support/openapi.ts';
import { postStream } from './support/sse-client.ts';
import { ADMIN_KEY, keyFor, startTestSluice, type TestSluice } from './support/sluice.ts';

const validChunk = schemaValidator('CreateChatCompletionStreamResponse');

/** Anthropic as it answers a model list and, for the rest, the recorded text stream. */
const anthropicUpstream: Script = (call) => {
  if (call.method === 'GET' && call.path.startsWith('/v1/models'))
    return jsonReply(200, {
      data: [
        {
          type: 'model',
          id: 'claude-sonnet-4-5',
          display_name: 'Claude Sonnet 4.5',
          created_at: '2025-09-29T00:00:00Z',
        },
      ],
      has_more: false,
    })(call);
  return namedStream('anthropic-messages/anthropic-text.chunks.txt')(call);
};

const anthropicText = () => messagesText('anthropic-messages/anthropic-text.chunks.txt');

/** One Messages event on the wire, as Anthropic writes it. */
const messagesEvent = (payload: Record<string, unknown>, sent: unknown = payload) =>
  `event: ${String(payload.type)}\ndata: ${JSON.stringify(sent)}\n\n`;

/** The latest usage record, once every request so far has one. */
async function lastRecord(sluice: TestSluice) {
  await sluice.running.settled();
  const [record] = await sluice.running.store.listUsage({ limit: 1 });
  return record;
}

/** A streamed chat completion of `model` with the admin key, read to its end as text. */
async function streamedChat(sluice: TestSluice, model: string): Promise<string> {
  const response = await fetch(`${sluice.baseURL}/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model, stream: true, messages: [{ role: 'user', content: 'x' }] }),
  });
  return response.text();
}

describe('a Chat Completions client, a model only Anthropic serves', () => {
  let upstream: FakeUpstream;
  let sluice: TestSluice;
  let openai: OpenAI;
  before(async () => {
    upstream = await startFakeUpstream();
    upstream.script(anthropicUpstream);
    // Only an Anthropic key: the OpenAI family has just the demo model.
    sluice = await startTestSluice({
      ANTHROPIC_BASE_URL: upstream.origin,
      ANTHROPIC_API_KEY: 'sk-ant',
    });
    openai = new OpenAI({ baseURL: sluice.baseURL, apiKey: ADMIN_KEY, maxRetries: 0 });
  });
  after(async () => {
    await sluice.stop();
    await upstream.stop();
  });

  it('streams, chunk by chunk, as OpenAI would; the request went to /v1/messages', async () => {
    const raw = await fetch(`${sluice.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'claude-sonnet-4-5',
        stream: true,
        stream_options: { include_usage: true },
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'How are you?' },
        ],
      }),
    });
    assert.equal(raw.headers.get('content-type')?.startsWith('text/event-stream'), true);
    const events = (await raw.text())
      .split('\n\n')
      .filter((b) => b.trim() !== '' && !b.startsWith(':'))
      .map((b) => parseEvent(Buffer.from(b)).data ?? '');
    assert.equal(events.at(-1), '[DONE]');
    const chunks = events.slice(0, -1).map((d) => JSON.parse(d) as Record<string, unknown>);
    for (const chunk of chunks) assert.ok(validChunk(chunk), JSON.stringify(validChunk.errors));
    const usage = chunks.at(-1)?.usage as { prompt_tokens: number; completion_tokens: number };
    assert.deepEqual([usage.prompt_tokens, usage.completion_tokens], [12, 30]);
    const sent = upstream.calls.at(-1);
    assert.ok(sent);
    assert.equal(sent.path, '/v1/messages');
    assert.equal(sent.headers['x-api-key'], 'sk-ant');
    assert.deepEqual(sent.json?.system, [{ type: 'text', text: 'Be brief.' }]);
    assert.equal(typeof sent.json.max_tokens, 'number');
  });

  it('the official client reads the answer, and the record is the upstream’s usage, priced', async () => {
    const stream = await openai.chat.completions.create({
      model: 'claude-sonnet-4-5',
      stream: true,
      messages: [{ role: 'user', content: 'How are you?' }],
    });
    let text = '';
    let sawUsage = false;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      if (chunk.usage) sawUsage = true;
    }
    assert.equal(text, anthropicText());
    assert.equal(sawUsage, false, 'no usage chunk the client did not ask for');
    await sluice.running.settled();
    const [record] = await sluice.running.store.listUsage({ limit: 1 });
    assert.ok(record);
    assert.deepEqual([record.promptTokens, record.completionTokens], [12, 30]);
    assert.equal(record.usageSource, 'upstream');
    assert.equal(record.model, 'claude-sonnet-4-5');
    assert.ok((record.cost ?? 0) > 0, 'claude-sonnet-4* has a price');
  });

  it('a whole (non-streamed) answer is a chat.completion', async () => {
    upstream.script(
      jsonReply(200, claudeMessage('Fine, thanks.', { input_tokens: 9, output_tokens: 4 })),
    );
    const answer = await openai.chat.completions.create({
      model: 'claude-sonnet-4-5',
      messages: [{ role: 'user', content: 'How are you?' }],
    });
    assert.equal(answer.choices[0]?.message.content, 'Fine, thanks.');
    assert.equal(answer.choices[0].finish_reason, 'stop');
    assert.equal(answer.usage?.prompt_tokens, 9);
    // Metered from the upstream's own report, as a stream is (not estimated).
    await sluice.running.settled();
    const [record] = await sluice.running.store.listUsage({ limit: 1 });
    assert.deepEqual(
      [record?.usageSource, record?.promptTokens, record?.completionTokens],
      ['upstream', 9, 4],
    );
    upstream.script(anthropicUpstream);
  });

  it('a whole answer that is not a Messages response is a 502, and recorded as one', async () => {
    // It was a 500 (not JSON), or a 502 recorded as a 200 "done" (JSON of another shape).
    for (const body of ['{"id":', '[1]', '{"content":5}']) {
      upstream.script(({ res }) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(body);
      });
      await assert.rejects(
        openai.chat.completions.create({
          model: 'claude-sonnet-4-5',
          messages: [{ role: 'user', content: 'How are you?' }],
        }),
        (error: unknown) =>
          error instanceof OpenAI.APIError &&
          error.status === 502 &&
          error.code === 'upstream_error' &&
          /Upstream anthropic/.test(error.message),
        body,
      );
      await sluice.running.settled();
      const [record] = await sluice.running.store.listUsage({ limit: 1 });
      assert.deepEqual([record?.status, record?.endReason], [502, 'upstream_error'], body);
    }
    upstream.script(anthropicUpstream);
  });

  it('an answer of a type its translation cannot read is a 502, never passed on as a success', async () => {
    // HTML, or JSON where a stream was asked for, reached the client as it came: 200, the
    // other family's shape, recorded "done".
    for (const [stream, type, body] of [
      [false, 'text/html', '<html>maintenance</html>'],
      [false, 'text/event-stream', 'event: ping\ndata: {"type":"ping"}\n\n'],
      [
        true,
        'application/json',
        JSON.stringify(claudeMessage('hi', { input_tokens: 1, output_tokens: 1 })),
      ],
      [true, 'text/html', '<html>maintenance</html>'],
    ] as const) {
      upstream.script(({ res }) => {
        res.writeHead(200, { 'content-type': type });
        res.end(body);
      });
      const response = await fetch(`${sluice.baseURL}/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          model: 'claude-sonnet-4-5',
          stream,
          messages: [{ role: 'user', content: 'x' }],
        }),
      });
      const what = `${type}, stream ${String(stream)}`;
      assert.equal(response.status, 502, what);
      const json = (await response.json()) as { error: { code: string; message: string } };
      assert.equal(json.error.code, 'upstream_error', what);
      const record = await lastRecord(sluice);
      assert.deepEqual([record?.status, record?.endReason], [502, 'upstream_error'], what);
    }
    upstream.script(anthropicUpstream);
  });

  it('tool calls come back as OpenAI tool calls', async () => {
    upstream.script(namedStream('anthropic-messages/anthropic-json-tool.1.chunks.txt'));
    const stream = openai.chat.completions.stream({
      model: 'claude-haiku-4-5',
      messages: [{ role: 'user', content: 'Give me JSON' }],
      tools: [
        {
          type: 'function',
          function: { name: 'json', parameters: { type: 'object', properties: {} } },
        },
      ],
    });
    const final = await stream.finalChatCompletion();
    const call = final.choices[0]?.message.tool_calls?.[0];
    assert.equal(call?.type === 'function' ? call.function.name : undefined, 'json');
    assert.equal(final.choices[0]?.finish_reason, 'tool_calls');
    const sent = upstream.calls.at(-1);
    assert.deepEqual((sent?.json?.tools as { name: string }[])[0]?.name, 'json');
    upstream.script(anthropicUpstream);
  });

  it('an Anthropic error before the first byte reaches the client in OpenAI’s shape', async () => {
    upstream.script(
      jsonReply(400, {
        type: 'error',
        error: { type: 'invalid_request_error', message: 'messages: too long' },
      }),
    );
    await assert.rejects(
      openai.chat.completions.create({
        model: 'claude-sonnet-4-5',
        messages: [{ role: 'user', content: 'x' }],
      }),
      (error: unknown) => error instanceof OpenAI.BadRequestError && /too long/.test(error.message),
    );
    upstream.script(anthropicUpstream);
  });

  it('what cannot be translated is a 400 that says what', async () => {
    const calls = upstream.calls.length;
    await assert.rejects(
      openai.chat.completions.create({
        model: 'claude-sonnet-4-5',
        n: 2,
        messages: [{ role: 'user', content: 'x' }],
      }),
      (error: unknown) => error instanceof OpenAI.BadRequestError && error.param === 'n',
    );
    assert.equal(upstream.calls.length, calls);
  });

  it('a client that leaves stops the Anthropic upstream at once', async () => {
    const hold = deferred();
    let aborted: Promise<void> | undefined;
    upstream.script(async (call) => {
      aborted = call.aborted;
      sseHead(call.res);
      for (const payload of fixturePayloads('anthropic-messages/anthropic-text.chunks.txt').slice(
        0,
        4,
      ))
        call.res.write(`event: ${String(payload.type)}\ndata: ${JSON.stringify(payload)}\n\n`);
      await hold.promise;
    });
    const controller = new AbortController();
    const stream = await openai.chat.completions.create(
      { model: 'claude-sonnet-4-5', stream: true, messages: [{ role: 'user', content: 'x' }] },
      { signal: controller.signal },
    );
    for await (const chunk of stream) if (chunk.choices[0]?.delta.content) break;
    controller.abort();
    await aborted;
    hold.resolve();
    upstream.script(anthropicUpstream);
  });

  it('a stream that cannot be translated ends at its error event: recorded as failed, the upstream stopped', async () => {
    // It was recorded 200 "done", and the upstream went on generating (and billing) unheard.
    const hold = deferred();
    let aborted: Promise<void> | undefined;
    upstream.script(async (call) => {
      aborted = call.aborted;
      sseHead(call.res);
      const [start] = fixturePayloads('anthropic-messages/anthropic-text.chunks.txt');
      call.res.write(messagesEvent(start ?? {}));
      call.res.write('event: content_block_delta\ndata: {not json\n\n');
      await hold.promise;
    });
    const text = await streamedChat(sluice, 'claude-sonnet-4-5'); // ends while the upstream holds on
    assert.match(text, /"error":\{[^}]*"code":"upstream_error"/);
    await aborted;
    hold.resolve();
    const record = await lastRecord(sluice);
    assert.deepEqual([record?.status, record?.endReason], [200, 'upstream_error']);
    upstream.script(anthropicUpstream);
  });

  it('an event larger than 32 MiB ends a translated stream with an error, not a made-up clean end', async () => {
    upstream.script(({ res }) => {
      sseHead(res);
      const [start, ...rest] = fixturePayloads('anthropic-messages/anthropic-text.chunks.txt');
      res.write(messagesEvent(start ?? {}));
      res.write(`: ${'x'.repeat(33 * 1024 * 1024)}\n\n`);
      for (const payload of rest) res.write(messagesEvent(payload));
      res.end();
    });
    const text = await streamedChat(sluice, 'claude-sonnet-4-5');
    assert.match(text, /larger than 32 MiB/);
    assert.doesNotMatch(text, /\[DONE\]/);
    assert.equal((await lastRecord(sluice))?.endReason, 'upstream_error');
    upstream.script(anthropicUpstream);
  });

  it('a byte order mark before the first event: the input tokens in it are still read', async () => {
    // The mark hid message_start's field names from the tap: input tokens recorded as 0.
    upstream.script(({ res }) => {
      sseHead(res);
      res.write('\uFEFF');
      for (const payload of fixturePayloads('anthropic-messages/anthropic-text.chunks.txt')) {
        // Only message_start says the input tokens here (Anthropic repeats them at the end).
        const sent =
          payload.type === 'message_delta' ? { ...payload, usage: { output_tokens: 30 } } : payload;
        res.write(messagesEvent(payload, sent));
      }
      res.end();
    });
    const anthropic = new Anthropic({ baseURL: sluice.url, apiKey: ADMIN_KEY, maxRetries: 0 });
    await anthropic.messages
      .stream({
        model: 'claude-sonnet-4-5',
        max_tokens: 100,
        messages: [{ role: 'user', content: 'x' }],
      })
      .finalMessage();
    const record = await lastRecord(sluice);
    assert.deepEqual([record?.promptTokens, record?.usageSource], [12, 'upstream']);
    upstream.script(anthropicUpstream);
  });

  it('a connection that breaks after the final event leaves a complete answer complete', async () => {
    // An error appended after message_stop made the Anthropic SDK throw for a whole message,
    // and the record said upstream_error.
    upstream.script(({ res }) => {
      sseHead(res);
      for (const payload of fixturePayloads('anthropic-messages/anthropic-text.chunks.txt'))
        res.write(messagesEvent(payload));
      res.socket?.end(); // after what was written: the chunked body never ends
    });
    const anthropic = new Anthropic({ baseURL: sluice.url, apiKey: ADMIN_KEY, maxRetries: 0 });
    const message = await anthropic.messages
      .stream({
        model: 'claude-sonnet-4-5',
        max_tokens: 100,
        messages: [{ role: 'user', content: 'x' }],
      })
      .finalMessage();
    assert.equal(message.stop_reason, 'end_turn');
    assert.equal((await lastRecord(sluice))?.endReason, 'done');
    upstream.script(anthropicUpstream);
  });

  it('the web page lists Claude and chats with it', async () => {
    await keyFor(sluice, 'root');
    const browser = browserClient(sluice.url);
    await browser.call('GET', '/api/session');
    await browser.call('POST', '/api/login', {
      username: 'root',
      password: 'correct horse battery staple',
    });
    const models = await browser.call('GET', '/api/models');
    const ids = (models.body.data as { id: string }[]).map((m) => m.id);
    assert.ok(
      ids.includes('claude-sonnet-4-5-20250929') || ids.some((id) => id.startsWith('claude')),
      ids.join(),
    );
    const response = await browser.fetch('/api/chat', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'claude-sonnet-4-5', message: 'How are you?' }),
    });
    assert.equal(response.status, 200);
    const text = (await response.text())
      .split('\n\n')
      .map((b) => parseEvent(Buffer.from(b)).data)
      .filter((d): d is string => d !== undefined)
      .map((d) => JSON.parse(d) as { type: string; text?: string })
      .filter((e) => e.type === 'delta')
      .map((e) => e.text)
      .join('');
    assert.equal(text, anthropicText());
  });
});

describe('an Anthropic client, a model only an OpenAI-family upstream serves', () => {
  let upstream: FakeUpstream;
  let sluice: TestSluice;
  let anthropic: Anthropic;
  before(async () => {
    upstream = await startFakeUpstream(
      chatStream('openai-compatible-chat/deepseek-text.chunks.txt'),
    );
    sluice = await startTestSluice({ BASE_URL: upstream.origin, OPENAI_API_KEY: 'sk-ds' });
    anthropic = new Anthropic({ baseURL: sluice.url, apiKey: ADMIN_KEY, maxRetries: 0 });
  });
  after(async () => {
    await sluice.stop();
    await upstream.stop();
  });

  it('streams Messages events the SDK accumulates; the request went to /chat/completions', async () => {
    const stream = anthropic.messages.stream({
      model: 'deepseek-chat',
      max_tokens: 100,
      system: 'Be brief.',
      messages: [{ role: 'user', content: 'Hi' }],
    });
    const message = await stream.finalMessage();
    const expected = fixturePayloads('openai-compatible-chat/deepseek-text.chunks.txt')
      .map(
        (c) =>
          (c.choices as { delta?: { content?: string | null } }[] | undefined)?.[0]?.delta
            ?.content ?? '',
      )
      .join('');
    assert.equal(
      message.content[0]?.type === 'text' ? message.content[0].text : undefined,
      expected,
    );
    assert.equal(message.stop_reason, 'max_tokens', 'the recording ends on finish_reason "length"');
    assert.ok(message.usage.output_tokens > 0);
    const sent = upstream.calls.at(-1);
    assert.ok(sent);
    assert.equal(sent.path, '/v1/chat/completions');
    assert.equal(sent.headers.authorization, 'Bearer sk-ds');
    assert.equal(sent.headers['anthropic-version'], undefined, 'no Anthropic header to OpenAI');
    assert.deepEqual((sent.json?.messages as { role: string }[])[0]?.role, 'system');
    await sluice.running.settled();
    const [record] = await sluice.running.store.listUsage({ limit: 1 });
    assert.equal(record?.usageSource, 'upstream');
  });

  /** The smallest question, for answers that are errors. */
  const askOnce = () =>
    anthropic.messages.create({
      model: 'deepseek-chat',
      max_tokens: 10,
      messages: [{ role: 'user', content: 'x' }],
    });

  it('an OpenAI error is an Anthropic error the SDK raises', async () => {
    upstream.script(
      jsonReply(400, { error: { message: 'bad request here', type: 'invalid_request_error' } }),
    );
    await assert.rejects(
      askOnce(),
      (error: unknown) =>
        error instanceof Anthropic.BadRequestError && /bad request here/.test(error.message),
    );
    upstream.script(chatStream('openai-compatible-chat/deepseek-text.chunks.txt'));
  });
  it("Google's error (a list of one) reaches the SDK with its message", async () => {
    const message = 'Function call is missing a thought_signature in functionCall parts.';
    upstream.script(
      jsonReply(400, [{ error: { code: 400, message, status: 'INVALID_ARGUMENT' } }]),
    );
    await assert.rejects(
      askOnce(),
      (error: unknown) =>
        error instanceof Anthropic.BadRequestError &&
        error.message.includes(message) &&
        (error.error as { error?: { type?: string } }).error?.type === 'invalid_request_error',
    );
    upstream.script(chatStream('openai-compatible-chat/deepseek-text.chunks.txt'));
  });

  it("Gemini 3's tool-call signature goes back with the call (Claude Code's tool loop)", async () => {
    // Google refuses a turn whose function call lacks the signature it gave the call.
    const extra = {
      google: { thought_signature: 'CiQB0e2Kb+9x/7Q1ZkV3lW2fJrUu1Y8wq9zP4l0s5b2+XyZ/RmQ=' },
    };
    const toolCall = {
      index: 0,
      id: 'function-call-1531',
      type: 'function',
      function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
      extra_content: extra,
    };
    const chunk = (delta: object, finish: string | null) => ({
      id: 'g1',
      object: 'chat.completion.chunk',
      created: 1,
      model: 'gemini-3-flash-preview',
      choices: [{ index: 0, delta, finish_reason: finish }],
    });
    upstream.script(({ res }) => {
      sseHead(res);
      for (const c of [
        chunk({ role: 'assistant', tool_calls: [toolCall] }, null),
        chunk({}, 'tool_calls'),
      ])
        res.write(`data: ${JSON.stringify(c)}\n\n`);
      res.end('data: [DONE]\n\n');
    });
    const tools = [
      {
        name: 'get_weather',
        input_schema: { type: 'object' as const, properties: { city: { type: 'string' } } },
      },
    ];
    const question = { role: 'user' as const, content: 'Weather in Paris?' };
    const first = await anthropic.messages
      .stream({ model: 'gemini-3-flash-preview', max_tokens: 100, tools, messages: [question] })
      .finalMessage();
    const [use] = first.content;
    assert.equal(use?.type, 'tool_use');
    upstream.script(chatStream('openai-compatible-chat/deepseek-text.chunks.txt'));
    // Streamed, as the upstream answers (a whole request answered with a stream is a 502).
    await anthropic.messages
      .stream({
        model: 'gemini-3-flash-preview',
        max_tokens: 100,
        tools,
        messages: [
          question,
          { role: 'assistant', content: first.content },
          {
            role: 'user',
            content: [{ type: 'tool_result', tool_use_id: use.id, content: '18 °C' }],
          },
        ],
      })
      .finalMessage();
    const sent = upstream.calls.at(-1)?.json as { messages: Record<string, unknown>[] };
    const [call] = sent.messages[1]?.tool_calls as (Record<string, unknown> | undefined)[];
    assert.ok(call);
    assert.equal(call.id, 'function-call-1531');
    assert.deepEqual(call.extra_content, extra);
    assert.equal(sent.messages[2]?.tool_call_id, 'function-call-1531');
  });

  it('an in-band error after the first tokens reaches the SDK as an Anthropic error, recorded', async () => {
    upstream.script((call) => {
      sseHead(call.res);
      for (const payload of fixturePayloads(
        'openai-compatible-chat/deepseek-text.chunks.txt',
      ).slice(0, 3))
        call.res.write(`data: ${JSON.stringify(payload)}\n\n`);
      call.res.end(
        `data: ${JSON.stringify({ error: { message: 'Rate limit reached mid-answer', type: 'rate_limit_error', code: 'rate_limit_exceeded' } })}\n\n`,
      );
    });
    const stream = await anthropic.messages.create({
      model: 'deepseek-chat',
      max_tokens: 100,
      stream: true,
      messages: [{ role: 'user', content: 'x' }],
    });
    const seen: string[] = [];
    await assert.rejects(
      (async () => {
        for await (const event of stream) seen.push(event.type);
      })(),
      (error: unknown) =>
        error instanceof Anthropic.APIError && /Rate limit reached mid-answer/.test(error.message),
    );
    assert.ok(seen.includes('content_block_delta'), `tokens came first: ${seen.join()}`);
    assert.ok(!seen.includes('message_stop'), 'the answer is not reported as finished');
    assert.equal((await lastRecord(sluice))?.endReason, 'upstream_error');
    upstream.script(chatStream('openai-compatible-chat/deepseek-text.chunks.txt'));
  });

  it('a client that leaves stops the OpenAI-family upstream at once', async () => {
    const hold = deferred();
    let aborted: Promise<void> | undefined;
    upstream.script(async (call) => {
      aborted = call.aborted;
      sseHead(call.res);
      for (const payload of fixturePayloads(
        'openai-compatible-chat/deepseek-text.chunks.txt',
      ).slice(0, 4))
        call.res.write(`data: ${JSON.stringify(payload)}\n\n`);
      await hold.promise;
    });
    const controller = new AbortController();
    const stream = await anthropic.messages.create(
      {
        model: 'deepseek-chat',
        max_tokens: 100,
        stream: true,
        messages: [{ role: 'user', content: 'x' }],
      },
      { signal: controller.signal },
    );
    for await (const event of stream)
      if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') break;
    controller.abort();
    await aborted;
    hold.resolve();
    upstream.script(chatStream('openai-compatible-chat/deepseek-text.chunks.txt'));
  });
});

describe('a translated stream keeps the client connection alive', () => {
  let upstream: FakeUpstream;
  let sluice: TestSluice;
  before(async () => {
    upstream = await startFakeUpstream();
    // A short keepalive interval so silences are filled quickly; nothing depends on its length.
    sluice = await startTestSluice({
      ANTHROPIC_BASE_URL: upstream.origin,
      ANTHROPIC_API_KEY: 'sk-ant',
      SLUICE_KEEPALIVE: '40ms',
    });
  });
  after(async () => {
    await sluice.stop();
    await upstream.stop();
  });

  it('fills an Anthropic silence with keepalive comments between whole Chat Completions chunks', async () => {
    const sawKeepalives = deferred();
    const payloads = fixturePayloads('anthropic-messages/anthropic-text.chunks.txt');
    const write = (res: UpstreamCall['res'], payload: Record<string, unknown>) =>
      res.write(messagesEvent(payload));
    upstream.script(async ({ res }) => {
      sseHead(res);
      for (const payload of payloads.slice(0, 3)) write(res, payload);
      // Silent until the client has seen a chunk and then two keepalives: on a busy machine a
      // keepalive may also come before the first chunk, which is fine.
      await sawKeepalives.promise;
      for (const payload of payloads.slice(3)) write(res, payload);
      res.end();
    });
    const stream = await postStream(`${sluice.baseURL}/chat/completions`, {
      model: 'claude-sonnet-4-5',
      stream: true,
      messages: [{ role: 'user', content: 'x' }],
    });
    const seen: string[] = [];
    let keepalivesAfterChunk = 0;
    for await (const event of stream.events) {
      if (event.comments.includes('keepalive')) {
        if (seen.includes('chunk') && ++keepalivesAfterChunk === 2) sawKeepalives.resolve();
        seen.push('keepalive');
      } else seen.push(event.data === '[DONE]' ? 'done' : 'chunk');
    }
    const silence = seen.indexOf('keepalive', seen.indexOf('chunk'));
    assert.ok(
      seen.indexOf('chunk') >= 0 && silence > 0,
      `a chunk, then the silence: ${seen.join()}`,
    );
    assert.ok(seen.lastIndexOf('chunk') > silence, `chunks after it: ${seen.join()}`);
    assert.equal(seen.at(-1), 'done');
    for (const block of stream.raw().split('\n\n').filter(Boolean))
      if (!block.startsWith(':')) validChunkOrDone(block);
  });
});

function validChunkOrDone(block: string): void {
  const data = block.replace(/^data: /, '');
  if (data === '[DONE]') return;
  assert.ok(validChunk(JSON.parse(data)), `${data}: ${JSON.stringify(validChunk.errors)}`);
}
