/**
 * messagesStreamToChat over the recorded Anthropic streams: every chunk valid against OpenAI's
 * own schema, the answer (text, tool calls, finish, usage) the same as Anthropic's, and the
 * official `openai` client accumulating the same message from the translated bytes.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import {
  type FakeUpstream,
  sseHead,
  startFakeUpstream,
} from '../../../test/support/fake-upstream.ts';
import { schemaValidator } from '../../../test/support/openapi.ts';
import { SseParser } from '../../sse/index.ts';
import { messagesStreamToChat } from './index.ts';

type Payload = Record<string, unknown> & { type: string };

const fixtures = new URL(
  '../../../test/fixtures/provider-streams/anthropic-messages/',
  import.meta.url,
);
const load = (name: string): Payload[] =>
  readFileSync(new URL(`${name}.chunks.txt`, fixtures), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Payload);

/** Feeds the events as Anthropic frames them (event name = type), then ends the stream. */
function translate(events: readonly Payload[], includeUsage: boolean) {
  const t = messagesStreamToChat({ model: 'asked-model', includeUsage, created: 1_700_000_000 });
  const pieces = events.map((e) => t.event(e.type, JSON.stringify(e)));
  pieces.push(t.end());
  return { sse: pieces.join(''), pieces };
}

function dataOf(sse: string): string[] {
  const out: string[] = [];
  const parser = new SseParser((e) => {
    if (e.data !== undefined) out.push(e.data);
  });
  parser.push(Buffer.from(sse));
  return out;
}

interface Chunk {
  choices: {
    delta: {
      content?: string;
      reasoning_content?: string;
      tool_calls?: {
        index: number;
        id?: string;
        type?: string;
        function?: { name?: string; arguments?: string };
      }[];
    };
    finish_reason: string | null;
  }[];
  usage?: Record<string, unknown> | null;
}

/** What the Anthropic stream said, read straight from the recording. */
function expected(events: readonly Payload[]) {
  let text = '';
  let thinking = '';
  const tools = new Map<number, { id: string; name: string; json: string }>();
  let stop: unknown;
  let usage: Record<string, number> = {};
  for (const e of events) {
    const block = e.content_block as { type: string; id: string; name: string } | undefined;
    const delta = e.delta as Partial<Record<string, string>> | undefined;
    if (e.type === 'message_start') {
      usage = { ...(e.message as { usage: Record<string, number> }).usage };
    }
    if (e.type === 'content_block_start' && block?.type === 'tool_use') {
      tools.set(e.index as number, { id: block.id, name: block.name, json: '' });
    }
    if (e.type === 'content_block_delta' && delta?.type === 'text_delta') {
      text += delta.text ?? '';
    }
    if (e.type === 'content_block_delta' && delta?.type === 'thinking_delta') {
      thinking += delta.thinking ?? '';
    }
    if (e.type === 'content_block_delta' && delta?.type === 'input_json_delta') {
      const tool = tools.get(e.index as number);
      if (tool) tool.json += delta.partial_json ?? '';
    }
    if (e.type === 'message_delta') {
      stop = (e.delta as { stop_reason: unknown }).stop_reason;
      usage = { ...usage, ...(e.usage as Record<string, number>) };
    }
  }
  const calls = [...tools.values()].map((t) => ({
    id: t.id,
    name: t.name,
    input: t.json === '' ? {} : (JSON.parse(t.json) as unknown),
  }));
  const prompt =
    (usage.input_tokens ?? 0) +
    (usage.cache_read_input_tokens ?? 0) +
    (usage.cache_creation_input_tokens ?? 0);
  return { text, thinking, calls, stop, prompt, completion: usage.output_tokens ?? 0 };
}

const FINISH: Record<string, string> = {
  end_turn: 'stop',
  tool_use: 'tool_calls',
  refusal: 'content_filter',
  max_tokens: 'length',
};

const validChunk = schemaValidator('CreateChatCompletionStreamResponse');

const CASES = [
  'anthropic-text',
  'anthropic-json-tool.1',
  'anthropic-tool-no-args',
  'anthropic-refusal',
  'anthropic-message-delta-input-tokens',
  'anthropic-web-search-tool.1',
  'duplicate-message-start',
];

describe('messagesStreamToChat on recorded Anthropic streams', () => {
  for (const name of CASES) {
    for (const includeUsage of [true, false]) {
      it(`${name}, include_usage ${String(includeUsage)}: valid chunks, same answer`, () => {
        const events = load(name);
        const want = expected(events);
        const data = dataOf(translate(events, includeUsage).sse);
        assert.equal(data.at(-1), '[DONE]');
        const chunks = data.slice(0, -1).map((d) => JSON.parse(d) as Chunk);
        for (const chunk of chunks) {
          assert.ok(validChunk(chunk), JSON.stringify(validChunk.errors));
        }
        const first = chunks[0]?.choices[0]?.delta as { role?: string } | undefined;
        assert.equal(first?.role, 'assistant', 'the first chunk carries the role');
        const deltas = chunks.flatMap((c) => c.choices.map((ch) => ch.delta));
        assert.equal(deltas.map((d) => d.content ?? '').join(''), want.text);
        assert.equal(deltas.map((d) => d.reasoning_content ?? '').join(''), want.thinking);

        const calls = new Map<number, { id: string; name: string; args: string }>();
        for (const call of deltas.flatMap((d) => d.tool_calls ?? [])) {
          const known = calls.get(call.index);
          if (known === undefined) {
            assert.equal(call.type, 'function', 'a call opens with its type');
            assert.ok(call.id !== undefined && call.function?.name !== undefined);
            calls.set(call.index, {
              id: call.id,
              name: call.function.name,
              args: call.function.arguments ?? '',
            });
          } else {
            assert.equal(call.id, undefined, 'later fragments carry arguments only');
            known.args += call.function?.arguments ?? '';
          }
        }
        assert.deepEqual(
          [...calls.values()].map((c) => ({
            id: c.id,
            name: c.name,
            input: JSON.parse(c.args) as unknown,
          })),
          want.calls,
        );

        const finishes = chunks.flatMap((c) => c.choices.map((ch) => ch.finish_reason));
        assert.deepEqual(
          finishes.filter((f) => f !== null),
          [FINISH[String(want.stop)]],
        );
        const withUsage = chunks.filter((c) => c.usage !== undefined && c.usage !== null);
        if (includeUsage) {
          assert.equal(withUsage.length, 1);
          assert.equal(chunks.at(-1), withUsage[0], 'the usage chunk comes last');
          const usage = withUsage[0]?.usage;
          assert.deepEqual(withUsage[0]?.choices, []);
          assert.equal(usage?.prompt_tokens, want.prompt);
          assert.equal(usage.completion_tokens, want.completion);
          assert.equal(usage.total_tokens, want.prompt + want.completion);
        } else {
          assert.ok(
            chunks.every((c) => !('usage' in c)),
            'no usage unless asked',
          );
        }
      });
    }
  }

  it('answers each event as it comes: text reaches the client before the message ends', () => {
    const events = load('anthropic-text');
    const { pieces } = translate(events, false);
    const firstText = events.findIndex(
      (e) => e.type === 'content_block_delta' && (e.delta as { text: string }).text === 'Hello',
    );
    assert.match(pieces[firstText] ?? '', /"content":"Hello"/);
    const ping = events.findIndex((e) => e.type === 'ping');
    assert.equal(pieces[ping], '', 'a ping gives nothing');
  });

  it('counts cached input in prompt_tokens, as OpenAI does, and reports it as cached', () => {
    const events = load('anthropic-text');
    const start = events[0] as unknown as { message: { usage: Record<string, number> } };
    start.message.usage = { input_tokens: 5, cache_read_input_tokens: 100, output_tokens: 1 };
    events[events.length - 2] = {
      type: 'message_delta',
      delta: { stop_reason: 'max_tokens', stop_sequence: null },
      usage: { output_tokens: 7, cache_creation_input_tokens: 20 },
    };
    const chunks = dataOf(translate(events, true).sse)
      .slice(0, -1)
      .map((d) => JSON.parse(d) as Chunk);
    assert.deepEqual(chunks.at(-1)?.usage, {
      prompt_tokens: 125,
      completion_tokens: 7,
      total_tokens: 132,
      prompt_tokens_details: { cached_tokens: 100, cache_write_tokens: 20 },
    });
    assert.equal(chunks.at(-2)?.choices[0]?.finish_reason, 'length');
  });

  it('streams thinking as reasoning_content, dropping the signature, before the tool call', () => {
    // The first message of the spliced recording, finished as Anthropic finishes one.
    const events = load('spliced-message-start').slice(0, 6);
    events.push(
      {
        type: 'content_block_delta',
        index: 1,
        delta: { type: 'input_json_delta', partial_json: '{"value":"Sparkle Day"}' },
      },
      { type: 'content_block_stop', index: 1 },
      {
        type: 'message_delta',
        delta: { stop_reason: 'tool_use', stop_sequence: null },
        usage: { output_tokens: 65 },
      },
      { type: 'message_stop' },
    );
    const chunks = dataOf(translate(events, false).sse)
      .slice(0, -1)
      .map((d) => JSON.parse(d) as Chunk);
    for (const chunk of chunks) assert.ok(validChunk(chunk), JSON.stringify(validChunk.errors));
    const deltas = chunks.map((c) => c.choices[0]?.delta);
    assert.deepEqual(deltas[1], { reasoning_content: 'I will call the tool.' });
    assert.ok(!JSON.stringify(chunks).includes('sig-first'));
    assert.equal(deltas[2]?.tool_calls?.[0]?.function?.name, 'test-tool');
    assert.equal(chunks.at(-1)?.choices[0]?.finish_reason, 'tool_calls');
  });

  it('turns a second message_start with another id into an in-band error, without [DONE]', () => {
    const data = dataOf(translate(load('spliced-message-start'), true).sse);
    const last = JSON.parse(data.at(-1) ?? '') as { error: { message: string; code: string } };
    assert.match(last.error.message, /msg_second started before message msg_first ended/);
    assert.equal(last.error.code, 'upstream_error');
    assert.ok(!data.includes('[DONE]'));
    assert.ok(
      !data.some((d) => d.includes('"finish_reason":"tool_calls"')),
      'the cut tool call is never finished',
    );
  });

  it('turns an Anthropic error event into the OpenAI in-band error, and stops there', () => {
    const events = load('anthropic-text').slice(0, 4);
    events.push({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } });
    const t = messagesStreamToChat({ model: 'm', includeUsage: true, created: 1 });
    const out = events.map((e) => t.event(e.type, JSON.stringify(e))).join('');
    const data = dataOf(out);
    assert.deepEqual(JSON.parse(data.at(-1) ?? ''), {
      error: { message: 'Overloaded', type: 'server_error', param: null, code: 'overloaded_error' },
    });
    assert.equal(t.event('message_stop', '{"type":"message_stop"}'), '');
    assert.equal(t.end(), '', 'no [DONE] after an error');
  });
});

describe('messagesStreamToChat through the official openai client', () => {
  let upstream: FakeUpstream;
  let client: OpenAI;
  before(async () => {
    upstream = await startFakeUpstream();
    client = new OpenAI({ baseURL: `${upstream.origin}/v1`, apiKey: 'k', maxRetries: 0 });
  });
  after(async () => {
    await upstream.stop();
  });

  const replay = (sse: string) => {
    upstream.script(({ res }) => {
      sseHead(res);
      res.end(sse);
    });
  };

  for (const name of ['anthropic-text', 'anthropic-json-tool.1', 'anthropic-tool-no-args']) {
    it(`${name}: ChatCompletionStream accumulates the same message`, async () => {
      const events = load(name);
      const want = expected(events);
      replay(translate(events, true).sse);
      const stream = client.chat.completions.stream({
        model: 'asked-model',
        messages: [{ role: 'user', content: 'hi' }],
        stream_options: { include_usage: true },
      });
      const done = await stream.finalChatCompletion();
      const choice = done.choices[0];
      assert.ok(choice !== undefined);
      assert.equal(choice.finish_reason, FINISH[String(want.stop)]);
      assert.equal(choice.message.content ?? '', want.text);
      assert.deepEqual(
        (choice.message.tool_calls ?? []).map((c) => {
          assert.ok(c.type === 'function');
          return {
            id: c.id,
            name: c.function.name,
            input: JSON.parse(c.function.arguments) as unknown,
          };
        }),
        want.calls,
      );
      assert.equal(done.usage?.prompt_tokens, want.prompt);
      assert.equal(done.usage.completion_tokens, want.completion);
    });
  }

  it('raises the in-band error of a broken stream', async () => {
    replay(translate(load('spliced-message-start'), false).sse);
    const stream = await client.chat.completions.create({
      model: 'asked-model',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
    });
    await assert.rejects(
      async () => {
        for await (const _chunk of stream);
      },
      (error: unknown) => error instanceof OpenAI.APIError && /msg_second/.test(error.message),
    );
  });
});
