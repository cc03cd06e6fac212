/**
 * A Responses API client (the official `openai` SDK) against an upstream that serves Chat
 * Completions only (`"responses": false`, as vLLM, DeepSeek or Ollama): the request goes out as
 * a Chat request, the recorded Chat streams come back as Responses events the SDK accumulates,
 * every event valid against OpenAI's own schema, the record carries the upstream's usage.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import {
  chatChunksFor,
  claudeMessage,
  chatStream,
  chatText,
  fixturePayloads,
  messagesText,
  namedStream,
} from './support/chat-fixtures.ts';
import {
  deferred,
  type FakeUpstream,
  jsonReply,
  sseHead,
  startFakeUpstream,
} from './support/fake-upstream.ts';
import { schemaValidator } from './support/openapi.ts';
import { postStream } from './support/sse-client.ts';
import { ADMIN_KEY, startTestSluice, type TestSluice } from './support/sluice.ts';

const validEvent = schemaValidator('ResponseStreamEvent');
const validResponse = schemaValidator('Response');

const TEXT = 'openai-chat/openai-text.chunks.txt';
const CUT = 'openai-compatible-chat/deepseek-text.chunks.txt';
const TOOL = 'openai-compatible-chat/deepseek-tool-call.chunks.txt';

const ANSWER = {
  id: 'chatcmpl-1',
  object: 'chat.completion',
  created: 1_764_000_000,
  model: 'deepseek-chat',
  choices: [
    { index: 0, message: { role: 'assistant', content: 'Fine, thanks.' }, finish_reason: 'stop' },
  ],
  usage: { prompt_tokens: 9, completion_tokens: 4, total_tokens: 13 },
};

/**
 * A Responses stream through Sluice, read to its end: its status and headers, and each event's
 * payload — checked against OpenAI's schema, named as its `type`, numbered from 0.
 */
async function responsesStream(
  sluice: TestSluice,
  body: Record<string, unknown>,
  label = String(body.model),
) {
  const stream = await postStream(`${sluice.baseURL}/responses`, { ...body, stream: true });
  const events = (await stream.all()).filter((e) => e.data !== undefined);
  const payloads = events.map((e) => JSON.parse(e.data ?? '') as Record<string, unknown>);
  for (const [i, payload] of payloads.entries()) {
    const what = `${label} ${String(payload.type)}`;
    assert.ok(validEvent(payload), `${what}: ${JSON.stringify(validEvent.errors?.at(-1))}`);
    assert.equal(events[i]?.event, payload.type, `${what}: the event name is the type`);
    assert.equal(payload.sequence_number, i, `${what}: numbered from 0`);
  }
  return { status: stream.status, headers: stream.headers, payloads };
}

describe('a Responses client, an upstream with Chat Completions only', () => {
  let dir: string;
  let chatOnly: FakeUpstream;
  let native: FakeUpstream;
  let sluice: TestSluice;
  let openai: OpenAI;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sluice-responses-'));
    chatOnly = await startFakeUpstream();
    native = await startFakeUpstream();
    native.script(namedStream('openai-responses/openai-phase.1.chunks.txt'));
    const config = join(dir, 'sluice.json');
    await writeFile(
      config,
      JSON.stringify({
        upstreams: [
          {
            name: 'deepseek',
            baseUrl: chatOnly.origin,
            apiKey: 'sk-ds',
            models: ['deepseek-*'],
            responses: false,
          },
          { name: 'openai', baseUrl: native.origin, apiKey: 'sk-o', models: ['gpt-*'] },
        ],
      }),
    );
    sluice = await startTestSluice({ SLUICE_CONFIG: config });
    openai = new OpenAI({ baseURL: sluice.baseURL, apiKey: ADMIN_KEY, maxRetries: 0 });
  });
  after(async () => {
    await sluice.stop();
    await chatOnly.stop();
    await native.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('streams as Responses events, each valid; the request went to /chat/completions', async () => {
    chatOnly.script(chatStream(TEXT));
    const { status, headers, payloads } = await responsesStream(sluice, {
      model: 'deepseek-chat',
      instructions: 'Be brief.',
      input: [{ role: 'user', content: [{ type: 'input_text', text: 'How are you?' }] }],
      max_output_tokens: 100,
      store: true,
    });
    assert.equal(status, 200);
    assert.match(headers.get('content-type') ?? '', /^text\/event-stream/);
    assert.deepEqual(
      payloads.map((p) => p.type).filter((t, i, all) => t !== all[i - 1]),
      [
        'response.created',
        'response.in_progress',
        'response.output_item.added',
        'response.content_part.added',
        'response.output_text.delta',
        'response.output_text.done',
        'response.content_part.done',
        'response.output_item.done',
        'response.completed',
      ],
    );
    const done = payloads.at(-1)?.response as Record<string, unknown>;
    assert.ok(validResponse(done), JSON.stringify(validResponse.errors));
    const usage = done.usage as Record<string, number>;
    const recorded = chatChunksFor(TEXT, true).at(-1)?.usage as Record<string, number>;
    assert.deepEqual(
      [usage.input_tokens, usage.output_tokens, usage.total_tokens],
      [recorded.prompt_tokens, recorded.completion_tokens, recorded.total_tokens],
    );
    const sent = chatOnly.calls.at(-1);
    assert.ok(sent);
    assert.equal(sent.path, '/v1/chat/completions');
    assert.equal(sent.headers.authorization, 'Bearer sk-ds');
    assert.deepEqual(sent.json?.messages, [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'How are you?' },
    ]);
    assert.equal(sent.json.max_tokens, 100);
    assert.deepEqual(sent.json.stream_options, { include_usage: true });
    assert.equal(sent.json.store, undefined, 'nothing Chat would store');
  });

  it('reasoning, tool calls and a token limit make valid events too', async () => {
    for (const fixture of [TOOL, CUT, 'openai-compatible-chat/xai-tool-call.chunks.txt']) {
      chatOnly.script(chatStream(fixture));
      const { payloads } = await responsesStream(
        sluice,
        { model: 'deepseek-reasoner', input: 'Weather?' },
        fixture,
      );
      assert.match(String(payloads.at(-1)?.type), /^response\.(completed|incomplete)$/, fixture);
    }
  });

  it('the official client accumulates the text, and the record is the upstream’s usage', async () => {
    chatOnly.script(chatStream(TEXT));
    const stream = openai.responses.stream({ model: 'deepseek-chat', input: 'How are you?' });
    let streamed = '';
    stream.on('response.output_text.delta', (e) => {
      streamed += e.delta;
    });
    const final = await stream.finalResponse();
    const text = chatText(chatChunksFor(TEXT, true));
    assert.equal(streamed, text);
    assert.equal(final.output_text, text);
    assert.equal(final.status, 'completed');
    await sluice.running.settled();
    const [record] = await sluice.running.store.listUsage({ limit: 1 });
    assert.ok(record);
    assert.equal(record.endpoint, '/v1/responses');
    assert.equal(record.upstream, 'deepseek');
    assert.equal(record.usageSource, 'upstream');
    const usage = chatChunksFor(TEXT, true).at(-1)?.usage as Record<string, number>;
    assert.deepEqual(
      [record.promptTokens, record.completionTokens],
      [usage.prompt_tokens, usage.completion_tokens],
    );
  });

  it('an answer cut at the token limit ends incomplete, as the Responses API says it', async () => {
    chatOnly.script(chatStream(CUT));
    const events: string[] = [];
    const stream = openai.responses.stream({ model: 'deepseek-chat', input: 'Tell me a story.' });
    stream.on('event', (e) => events.push(e.type));
    const final = await stream.finalResponse();
    assert.equal(final.status, 'incomplete');
    assert.equal(final.incomplete_details?.reason, 'max_output_tokens');
    assert.equal(events.at(-1), 'response.incomplete');
    assert.equal(final.output_text, chatText(chatChunksFor(CUT, true)));
  });

  it('tool calls become function_call items; reasoning a reasoning item, in order', async () => {
    chatOnly.script(chatStream(TOOL));
    const final = await openai.responses
      .stream({
        model: 'deepseek-reasoner',
        input: 'Weather in Paris?',
        tools: [
          {
            type: 'function',
            name: 'weather',
            parameters: { type: 'object', properties: { location: { type: 'string' } } },
            strict: false,
          },
        ],
      })
      .finalResponse();
    assert.deepEqual(
      final.output.map((o) => o.type),
      ['reasoning', 'function_call'],
    );
    const call = final.output[1];
    assert.ok(call?.type === 'function_call');
    assert.equal(call.name, 'weather');
    assert.equal(call.call_id, 'call_00_ioIn7yN9p1ZOMNpDLwd4MgAF');
    const args = chatChunksFor(TOOL, true)
      .flatMap(
        (c) =>
          (c.choices as { delta?: { tool_calls?: { function?: { arguments?: string } }[] } }[])[0]
            ?.delta?.tool_calls ?? [],
      )
      .map((t) => t.function?.arguments ?? '')
      .join('');
    assert.equal(call.arguments, args);
    const reasoning = final.output[0];
    assert.ok(reasoning?.type === 'reasoning');
    assert.equal(
      reasoning.content?.[0]?.text,
      chatText(chatChunksFor(TOOL, true), 'reasoning_content'),
    );
    const sent = chatOnly.calls.at(-1);
    assert.deepEqual(sent?.json?.tools, [
      {
        type: 'function',
        function: {
          name: 'weather',
          parameters: { type: 'object', properties: { location: { type: 'string' } } },
          strict: false,
        },
      },
    ]);
  });

  it('a tool result goes back as the assistant turn’s tool_calls and a tool message', async () => {
    chatOnly.script(jsonReply(200, ANSWER));
    await openai.responses.create({
      model: 'deepseek-reasoner',
      input: [
        { role: 'user', content: 'Weather in Paris?' },
        {
          type: 'function_call',
          call_id: 'call_1',
          name: 'weather',
          arguments: '{"city":"Paris"}',
        },
        { type: 'function_call_output', call_id: 'call_1', output: '18 °C' },
      ],
    });
    assert.deepEqual(chatOnly.calls.at(-1)?.json?.messages, [
      { role: 'user', content: 'Weather in Paris?' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          {
            id: 'call_1',
            type: 'function',
            function: { name: 'weather', arguments: '{"city":"Paris"}' },
          },
        ],
      },
      { role: 'tool', tool_call_id: 'call_1', content: '18 °C' },
    ]);
  });

  it('a whole answer is one response object', async () => {
    chatOnly.script(jsonReply(200, ANSWER));
    const answer = await openai.responses.create({ model: 'deepseek-chat', input: 'How are you?' });
    assert.ok(validResponse(answer), JSON.stringify(validResponse.errors));
    assert.equal(answer.object, 'response');
    assert.equal(answer.output_text, 'Fine, thanks.');
    assert.deepEqual(
      [answer.usage?.input_tokens, answer.usage?.output_tokens, answer.usage?.total_tokens],
      [9, 4, 13],
    );
    assert.equal(chatOnly.calls.at(-1)?.json?.stream, undefined);
    // Metered from the upstream's own report, as a stream is (not estimated).
    await sluice.running.settled();
    const [record] = await sluice.running.store.listUsage({ limit: 1 });
    assert.deepEqual(
      [record?.usageSource, record?.promptTokens, record?.completionTokens],
      ['upstream', 9, 4],
    );
  });

  it('a whole answer that is not a chat completion is a 502, not an empty response', async () => {
    // null, 42 and [] became a "completed" response with no output, recorded as done.
    for (const body of [null, 42, [], { object: 'chat.completion', choices: [] }]) {
      chatOnly.script(jsonReply(200, body));
      await assert.rejects(
        openai.responses.create({ model: 'deepseek-chat', input: 'How are you?' }),
        (error: unknown) => error instanceof OpenAI.APIError && error.status === 502,
        JSON.stringify(body),
      );
    }
  });

  it('refuses what needs the provider’s state or tools with a 400 naming it; nothing goes out', async () => {
    const before = chatOnly.calls.length;
    for (const [extra, param] of [
      [{ previous_response_id: 'resp_1' }, 'previous_response_id'],
      [{ tools: [{ type: 'web_search' }] }, 'tools[0].type'],
      [
        { input: [{ role: 'user', content: [{ type: 'input_file', file_id: 'file-1' }] }] },
        'input[0].content[0].type',
      ],
      [{ made_up: 1 }, 'made_up'],
    ] as const) {
      await assert.rejects(
        openai.responses.create({ model: 'deepseek-chat', input: 'Hi', ...extra } as never),
        (error: unknown) => error instanceof OpenAI.BadRequestError && error.param === param,
        param,
      );
    }
    assert.equal(chatOnly.calls.length, before);
  });

  it('a client that leaves stops the upstream at once; the record says so', async () => {
    const hold = deferred();
    let aborted: Promise<void> | undefined;
    chatOnly.script(async (call) => {
      aborted = call.aborted;
      sseHead(call.res);
      for (const payload of fixturePayloads(TEXT).slice(0, 4))
        call.res.write(`data: ${JSON.stringify(payload)}\n\n`);
      await hold.promise;
    });
    const controller = new AbortController();
    const stream = await openai.responses.create(
      { model: 'deepseek-chat', input: 'x', stream: true },
      { signal: controller.signal },
    );
    for await (const event of stream) if (event.type === 'response.output_text.delta') break;
    controller.abort();
    await aborted;
    hold.resolve();
    await sluice.running.settled();
    const [record] = await sluice.running.store.listUsage({ limit: 1 });
    assert.equal(record?.endReason, 'client_cancelled');
  });

  it('an error mid-stream reaches the client as an error event, not as a finished answer', async () => {
    chatOnly.script((call) => {
      sseHead(call.res);
      for (const payload of fixturePayloads(TEXT).slice(0, 3))
        call.res.write(`data: ${JSON.stringify(payload)}\n\n`);
      call.res.end(
        `data: ${JSON.stringify({ error: { message: 'Overloaded mid-answer', type: 'server_error', code: 'overloaded' } })}\n\n`,
      );
    });
    const seen = await streamFailing(openai, /Overloaded mid-answer/);
    assert.ok(seen.includes('response.output_text.delta'), `tokens came first: ${seen.join()}`);
    assert.ok(!seen.includes('response.completed'));
    await sluice.running.settled();
    const [record] = await sluice.running.store.listUsage({ limit: 1 });
    assert.equal(record?.endReason, 'upstream_error');
  });

  it('an answer longer than the translation holds for its final event fails there, and the upstream is stopped', async () => {
    // The closing events repeat the whole output: an endless answer held it all (100 MB took
    // the process to 1.4 GB; 150 MB failed past V8's longest string).
    const hold = deferred();
    let aborted: Promise<void> | undefined;
    chatOnly.script(async (call) => {
      aborted = call.aborted;
      sseHead(call.res);
      const [first] = fixturePayloads(TEXT);
      const piece = JSON.stringify({
        ...first,
        choices: [{ index: 0, delta: { content: 'x'.repeat(1 << 20) } }],
      });
      for (let i = 0; i < 9; i++) call.res.write(`data: ${piece}\n\n`);
      await hold.promise;
    });
    const seen = await streamFailing(openai, /longer than \d+ characters/);
    await aborted;
    hold.resolve();
    assert.equal(seen.filter((type) => type === 'response.output_text.delta').length, 9);
    await sluice.running.settled();
    const [record] = await sluice.running.store.listUsage({ limit: 1 });
    assert.equal(record?.endReason, 'upstream_error');
  });

  it('the admin API says which upstreams have the Responses API', async () => {
    const reply = await fetch(`${sluice.baseURL.replace(/\/v1$/, '')}/api/admin/upstreams`, {
      headers: { authorization: `Bearer ${ADMIN_KEY}` },
    });
    const { data } = (await reply.json()) as { data: { name: string; responses: boolean }[] };
    assert.deepEqual(
      data.filter((u) => u.name !== 'sluice-demo').map((u) => [u.name, u.responses]),
      [
        ['deepseek', false],
        ['openai', true],
      ],
    );
  });

  it('a model an upstream with the Responses API serves goes there untranslated', async () => {
    const final = await openai.responses
      .stream({ model: 'gpt-5.3-codex', input: 'News?' })
      .finalResponse();
    assert.equal(final.status, 'completed');
    assert.equal(native.calls.at(-1)?.path, '/v1/responses');
  });
});

describe('a Responses client, a model only Anthropic serves', () => {
  let upstream: FakeUpstream;
  let sluice: TestSluice;
  let openai: OpenAI;
  before(async () => {
    upstream = await startFakeUpstream();
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

  it('goes out as Messages and streams back as valid Responses events the SDK accumulates', async () => {
    upstream.script(namedStream('anthropic-messages/anthropic-text.chunks.txt'));
    const { payloads } = await responsesStream(sluice, {
      model: 'claude-sonnet-4-5',
      instructions: 'Be brief.',
      input: 'How are you?',
    });
    const done = payloads.at(-1);
    assert.equal(done?.type, 'response.completed');
    const usage = (done.response as { usage: Record<string, number> }).usage;
    assert.deepEqual([usage.input_tokens, usage.output_tokens], [12, 30]);
    const sent = upstream.calls.at(-1);
    assert.ok(sent);
    assert.equal(sent.path, '/v1/messages');
    assert.equal(sent.headers['x-api-key'], 'sk-ant');
    assert.deepEqual(sent.json?.system, [{ type: 'text', text: 'Be brief.' }]);
    assert.deepEqual(sent.json.messages, [
      { role: 'user', content: [{ type: 'text', text: 'How are you?' }] },
    ]);

    upstream.script(namedStream('anthropic-messages/anthropic-text.chunks.txt'));
    const final = await openai.responses
      .stream({ model: 'claude-sonnet-4-5', input: 'How are you?' })
      .finalResponse();
    assert.equal(final.output_text, messagesText('anthropic-messages/anthropic-text.chunks.txt'));
    await sluice.running.settled();
    const [record] = await sluice.running.store.listUsage({ limit: 1 });
    assert.deepEqual([record?.promptTokens, record?.completionTokens], [12, 30]);
    assert.equal(record?.endpoint, '/v1/responses');
  });

  it('a tool use is a function_call item; a whole answer one response', async () => {
    upstream.script(namedStream('anthropic-messages/anthropic-json-tool.1.chunks.txt'));
    const final = await openai.responses
      .stream({
        model: 'claude-sonnet-4-5',
        input: 'Answer in JSON.',
        tools: [{ type: 'function', name: 'json', parameters: { type: 'object' }, strict: false }],
      })
      .finalResponse();
    const call = final.output.find((o) => o.type === 'function_call');
    assert.ok(call?.type === 'function_call');
    assert.equal(call.name, 'json');
    const args = fixturePayloads('anthropic-messages/anthropic-json-tool.1.chunks.txt')
      .filter((p) => (p.delta as { type?: string } | undefined)?.type === 'input_json_delta')
      .map((p) => (p.delta as { partial_json: string }).partial_json)
      .join('');
    assert.equal(call.arguments, args);

    upstream.script(
      jsonReply(200, claudeMessage('Fine, thanks.', { input_tokens: 9, output_tokens: 4 })),
    );
    const answer = await openai.responses.create({ model: 'claude-sonnet-4-5', input: 'Hi' });
    assert.ok(validResponse(answer), JSON.stringify(validResponse.errors));
    assert.equal(answer.output_text, 'Fine, thanks.');
    assert.deepEqual([answer.usage?.input_tokens, answer.usage?.output_tokens], [9, 4]);
  });
});

describe('a Responses client, BASE_URL to a Chat-only server with SLUICE_RESPONSES=false', () => {
  it('is translated as a config file’s "responses": false upstream is', async () => {
    const upstream = await startFakeUpstream(jsonReply(200, ANSWER));
    const sluice = await startTestSluice({
      BASE_URL: upstream.origin,
      OPENAI_API_KEY: 'sk-ds',
      SLUICE_RESPONSES: 'false',
    });
    try {
      const openai = new OpenAI({ baseURL: sluice.baseURL, apiKey: ADMIN_KEY, maxRetries: 0 });
      const answer = await openai.responses.create({ model: 'deepseek-chat', input: 'Hi' });
      assert.equal(answer.output_text, 'Fine, thanks.');
      assert.equal(upstream.calls.at(-1)?.path, '/v1/chat/completions');
    } finally {
      await sluice.stop();
      await upstream.stop();
    }
  });
});

/** The event types of a streamed Responses call that must end in an API error saying `said`. */
async function streamFailing(openai: OpenAI, said: RegExp): Promise<string[]> {
  const seen: string[] = [];
  await assert.rejects(
    (async () => {
      const stream = await openai.responses.create({
        model: 'deepseek-chat',
        input: 'x',
        stream: true,
      });
      for await (const event of stream) seen.push(event.type);
    })(),
    (error: unknown) => error instanceof OpenAI.APIError && said.test(error.message),
  );
  return seen;
}
