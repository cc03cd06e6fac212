/**
 * The demo model driven by the official SDKs pointed straight at it: if `openai`,
 * `@anthropic-ai/sdk` and `ai` + `@ai-sdk/openai` accept its bytes, so will any client the
 * gateway relays them to.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import { createOpenAI } from '@ai-sdk/openai';
import { streamText } from 'ai';
import OpenAI from 'openai';
import { type DemoUpstream, startDemoUpstream } from './index.ts';

const MODEL = 'sluice-demo';
const QUESTION = 'What is the capital of France?';
const KEY = 'sk-not-a-real-key';

/** Every answer says where it comes from and quotes the question. */
function assertDemoAnswer(text: string): void {
  assert.match(text, /Sluice demo model/);
  assert.ok(text.includes(`You wrote: "${QUESTION}"`), text);
  assert.match(text, /OPENAI_API_KEY/);
}

describe('sluice-demo through the official SDKs', () => {
  let demo: DemoUpstream;
  let openai: OpenAI;
  let anthropic: Anthropic;

  before(async () => {
    demo = await startDemoUpstream({ tokenMs: 1, firstTokenMs: 1 });
    openai = new OpenAI({ apiKey: KEY, baseURL: `${demo.origin}/v1`, maxRetries: 0 });
    anthropic = new Anthropic({ apiKey: KEY, baseURL: demo.origin, maxRetries: 0 });
  });
  after(() => demo.close());

  it('lists itself as the only model', async () => {
    const models = await openai.models.list();
    assert.deepEqual(
      models.data.map((m) => [m.id, m.owned_by]),
      [[MODEL, MODEL]],
    );
    const model = await openai.models.retrieve(MODEL);
    assert.equal(model.id, MODEL);
  });

  it('streams chat completions without a usage chunk unless asked', async () => {
    const stream = await openai.chat.completions.create({
      model: MODEL,
      messages: [{ role: 'user', content: QUESTION }],
      stream: true,
    });
    const chunks: OpenAI.Chat.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    assert.ok(
      chunks.every((c) => !('usage' in c)),
      'no chunk carries a usage field',
    );
    assert.deepEqual(chunks[0]?.choices[0]?.delta, {
      role: 'assistant',
      content: '',
      refusal: null,
    });
    assert.equal(chunks.at(-1)?.choices[0]?.finish_reason, 'stop');
    assertDemoAnswer(chunks.map((c) => c.choices[0]?.delta.content ?? '').join(''));
  });

  it('streams chat completions with a final usage chunk when include_usage is set', async () => {
    const stream = await openai.chat.completions.create({
      model: MODEL,
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: QUESTION },
      ],
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks: OpenAI.Chat.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    const last = chunks.pop();
    assert.deepEqual(last?.choices, []);
    assert.ok(
      chunks.every((c) => c.usage === null),
      'every other chunk has usage: null',
    );
    const tokens = chunks.slice(1, -1).map((c) => c.choices[0]?.delta.content ?? '');
    assertDemoAnswer(tokens.join(''));
    const usage = last.usage;
    assert.ok(usage);
    assert.equal(usage.completion_tokens, tokens.length);
    assert.ok(usage.prompt_tokens >= 1);
    assert.equal(usage.total_tokens, usage.prompt_tokens + tokens.length);
  });

  it('answers chat completions without streaming', async () => {
    const completion = await openai.chat.completions.create({
      model: MODEL,
      messages: [{ role: 'user', content: [{ type: 'text', text: QUESTION }] }],
    });
    assert.equal(completion.object, 'chat.completion');
    assert.equal(completion.model, MODEL);
    assert.equal(completion.choices[0]?.finish_reason, 'stop');
    assertDemoAnswer(completion.choices[0].message.content ?? '');
    assert.ok((completion.usage?.completion_tokens ?? 0) >= 120);
  });

  it('streams the full Responses event sequence', async () => {
    const stream = await openai.responses.create({ model: MODEL, input: QUESTION, stream: true });
    const types: string[] = [];
    const sequence: number[] = [];
    let text = '';
    let deltas = 0;
    let usage: OpenAI.Responses.ResponseUsage | undefined;
    for await (const event of stream) {
      sequence.push(event.sequence_number);
      if (event.type === 'response.output_text.delta') {
        text += event.delta;
        deltas++;
        continue;
      }
      types.push(event.type);
      if (event.type === 'response.completed') usage = event.response.usage;
    }
    assert.deepEqual(types, [
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
    assert.deepEqual(
      sequence,
      sequence.map((_, i) => i),
    );
    assertDemoAnswer(text);
    assert.equal(usage?.output_tokens, deltas);
    assert.equal(usage.total_tokens, usage.input_tokens + deltas);
  });

  it('streams Responses that the SDK accumulator rebuilds', async () => {
    const response = await openai.responses
      .stream({ model: MODEL, input: [{ role: 'user', content: QUESTION }] })
      .finalResponse();
    assert.equal(response.status, 'completed');
    assertDemoAnswer(response.output_text);
  });

  it('answers Responses without streaming, from a message list', async () => {
    const response = await openai.responses.create({
      model: MODEL,
      instructions: 'Be brief.',
      input: [
        { role: 'user', content: 'Hello' },
        { role: 'assistant', content: 'Hi!' },
        { role: 'user', content: [{ type: 'input_text', text: QUESTION }] },
      ],
    });
    assert.equal(response.status, 'completed');
    assert.equal(response.instructions, 'Be brief.');
    assertDemoAnswer(response.output_text);
    assert.ok((response.usage?.output_tokens ?? 0) >= 120);
  });

  it('streams Anthropic messages that the SDK accumulates', async () => {
    const stream = anthropic.messages.stream({
      model: MODEL,
      max_tokens: 1024,
      system: 'Be brief.',
      messages: [{ role: 'user', content: QUESTION }],
    });
    let deltas = 0;
    stream.on('text', () => deltas++);
    const message = await stream.finalMessage();
    assert.equal(message.stop_reason, 'end_turn');
    assert.equal(message.usage.output_tokens, deltas);
    const [block] = message.content;
    assert.equal(block?.type, 'text');
    assertDemoAnswer(block.text);
  });

  it('answers Anthropic messages without streaming', async () => {
    const message = await anthropic.messages.create({
      model: MODEL,
      max_tokens: 1024,
      messages: [{ role: 'user', content: [{ type: 'text', text: QUESTION }] }],
    });
    assert.equal(message.model, MODEL);
    assert.equal(message.stop_reason, 'end_turn');
    const [block] = message.content;
    assert.equal(block?.type, 'text');
    assertDemoAnswer(block.text);
  });

  it('streams to the AI SDK over Chat Completions', async () => {
    const provider = createOpenAI({ baseURL: `${demo.origin}/v1`, apiKey: KEY });
    const result = streamText({ model: provider.chat(MODEL), prompt: QUESTION, maxRetries: 0 });
    assertDemoAnswer(await result.text);
    assert.equal(await result.finishReason, 'stop');
    assert.ok(((await result.usage).outputTokens ?? 0) >= 120);
    assert.match((await result.finalStep).response.id, /^chatcmpl-/);
  });

  it('streams to the AI SDK over Responses, its default', async () => {
    const provider = createOpenAI({ baseURL: `${demo.origin}/v1`, apiKey: KEY });
    const result = streamText({ model: provider(MODEL), prompt: QUESTION, maxRetries: 0 });
    assertDemoAnswer(await result.text);
    assert.equal(await result.finishReason, 'stop');
    assert.ok(((await result.usage).outputTokens ?? 0) >= 120);
    assert.match((await result.finalStep).response.id, /^resp_/);
  });

  it('sends the same answer for the same question', async () => {
    const ask = async (): Promise<string | null | undefined> =>
      (
        await openai.chat.completions.create({
          model: MODEL,
          messages: [{ role: 'user', content: QUESTION }],
        })
      ).choices[0]?.message.content;
    assert.equal(await ask(), await ask());
  });
});

describe('sluice-demo over raw HTTP', () => {
  let demo: DemoUpstream;
  before(async () => {
    demo = await startDemoUpstream({ tokenMs: 1, firstTokenMs: 1 });
  });
  after(() => demo.close());

  const post = (path: string, body: string): Promise<Response> =>
    fetch(`${demo.origin}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });

  it('sends stream headers and names each event after its type', async () => {
    for (const path of ['/v1/responses', '/v1/messages']) {
      const messages = [{ role: 'user', content: QUESTION }];
      const res = await post(
        path,
        JSON.stringify({ model: MODEL, messages, input: messages, stream: true }),
      );
      assert.equal(res.headers.get('content-type'), 'text/event-stream; charset=utf-8');
      assert.equal(res.headers.get('cache-control'), 'no-cache');
      const blocks = (await res.text()).split('\n\n').filter((b) => b !== '');
      for (const block of blocks) {
        const [, event, data] = /^event: (.+)\ndata: (.+)$/.exec(block) ?? [];
        assert.equal((JSON.parse(data ?? '{}') as { type?: string }).type, event, block);
      }
    }
  });

  it('ends a chat stream with [DONE]', async () => {
    const res = await post('/v1/chat/completions', JSON.stringify({ messages: [], stream: true }));
    assert.ok((await res.text()).endsWith('data: [DONE]\n\n'));
  });

  it('refuses what it does not serve with an OpenAI-shaped 404', async () => {
    const res = await post('/v1/embeddings', JSON.stringify({ input: 'x' }));
    assert.equal(res.status, 404);
    assert.deepEqual(await res.json(), {
      error: {
        message:
          'sluice-demo does not support POST /v1/embeddings; configure an upstream (OPENAI_API_KEY / BASE_URL) for it.',
        type: 'invalid_request_error',
        param: null,
        code: 'unsupported_by_demo',
      },
    });
  });

  it('rejects malformed JSON with an OpenAI-shaped 400', async () => {
    for (const body of ['{"messages": [', '[1, 2]']) {
      const res = await post('/v1/chat/completions', body);
      assert.equal(res.status, 400);
      const { error } = (await res.json()) as { error: Record<string, unknown> };
      assert.equal(error.type, 'invalid_request_error');
      assert.equal(error.param, null);
      assert.equal(error.code, 'invalid_json');
    }
  });

  it('validates its options eagerly', async () => {
    await assert.rejects(startDemoUpstream({ tokenMs: -1 }), /tokenMs must be a number/);
    await assert.rejects(startDemoUpstream({ firstTokenMs: Number.NaN }), /firstTokenMs/);
  });
});

/**
 * Hang-ups. A token timer one minute long makes a leak obvious: it would stay in the active
 * resources and hold this test process open for that minute.
 */
describe('sluice-demo when the client goes away', () => {
  const timers = (): number =>
    process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

  /** Opens a chat stream on a socket of its own and resolves once the first token is in. */
  function openStream(origin: string): Promise<{ hangUp(): void; ended: Promise<void> }> {
    return new Promise((resolve, reject) => {
      const req = request(`${origin}/v1/chat/completions`, { method: 'POST', agent: false });
      req.on('error', () => undefined);
      req.on('response', (res) => {
        const ended = new Promise<void>((done) => res.on('close', done));
        let seen = '';
        res.on('data', (chunk: Buffer) => {
          seen += chunk.toString();
          if (seen.includes('"content":"**"')) resolve({ hangUp: () => req.destroy(), ended });
        });
        res.on('error', reject);
      });
      req.end(JSON.stringify({ messages: [{ role: 'user', content: QUESTION }], stream: true }));
    });
  }

  async function until(condition: () => boolean, ms: number): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (!condition() && Date.now() < deadline) {
      await new Promise((resolve) => setImmediate(resolve));
    }
    return condition();
  }

  it('cancels the stream timers as soon as the client hangs up', async (t) => {
    const demo = await startDemoUpstream({ firstTokenMs: 0, tokenMs: 60_000 });
    t.after(() => demo.close());
    const stream = await openStream(demo.origin);
    const streaming = timers();
    stream.hangUp();
    assert.ok(await until(() => timers() < streaming, 1000), 'the token timer is cleared');
    const started = Date.now();
    await demo.close();
    assert.ok(Date.now() - started < 1000, 'close() resolves promptly');
  });

  it('ends open streams on close()', async () => {
    const demo = await startDemoUpstream({ firstTokenMs: 0, tokenMs: 60_000 });
    const stream = await openStream(demo.origin);
    const started = Date.now();
    await demo.close();
    await stream.ended;
    assert.ok(Date.now() - started < 1000, 'close() does not wait for the stream');
  });
});
