/**
 * chatStreamToMessages over the recorded OpenAI, Azure, DeepSeek and xAI streams: events in the
 * order Anthropic's protocol has them, the same answer (text, thinking, tool calls, stop reason,
 * usage), and `@anthropic-ai/sdk`'s MessageStream accumulating it from the translated bytes.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import {
  type FakeUpstream,
  sseHead,
  startFakeUpstream,
} from '../../../test/support/fake-upstream.ts';
import { SseParser } from '../../sse/index.ts';
import { chatStreamToMessages } from './index.ts';

type Chunk = Record<string, unknown>;

const fixtures = new URL('../../../test/fixtures/provider-streams/', import.meta.url);
const load = (path: string): string[] =>
  readFileSync(new URL(path, fixtures), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '');

/** Feeds the chunks, then `[DONE]`, then the end of the stream. */
function translate(lines: readonly string[], done = true) {
  const t = chatStreamToMessages({ model: 'asked-model' });
  const pieces = lines.map((data) => t.event(undefined, data));
  if (done) pieces.push(t.event(undefined, '[DONE]'));
  pieces.push(t.end());
  return { sse: pieces.join(''), pieces };
}

interface Event {
  name: string | undefined;
  data: Record<string, unknown> & { type: string };
}

function eventsOf(sse: string): Event[] {
  const out: Event[] = [];
  const parser = new SseParser((e) => {
    if (e.data !== undefined)
      out.push({ name: e.event, data: JSON.parse(e.data) as Event['data'] });
  });
  parser.push(Buffer.from(sse));
  return out;
}

/** What the chat stream said, read straight from the recording. */
function expected(lines: readonly string[]) {
  let text = '';
  let thinking = '';
  let finish: unknown;
  let usage: Record<string, unknown> | undefined;
  const calls = new Map<number, { id: string; name: string; args: string }>();
  for (const chunk of lines.map((l) => JSON.parse(l) as Chunk)) {
    if (chunk.usage) usage = chunk.usage as Record<string, unknown>;
    const choice = (chunk.choices as Chunk[])[0];
    if (choice === undefined) continue;
    const delta = choice.delta as Record<string, unknown>;
    text += (delta.content as string | null | undefined) ?? '';
    thinking += (delta.reasoning_content as string | null | undefined) ?? '';
    for (const call of (delta.tool_calls ?? []) as Chunk[]) {
      const fn = call.function as { name?: string; arguments?: string };
      const known = calls.get(call.index as number);
      if (known) known.args += fn.arguments ?? '';
      else
        calls.set(call.index as number, {
          id: call.id as string,
          name: fn.name ?? '',
          args: fn.arguments ?? '',
        });
    }
    finish = choice.finish_reason ?? finish;
  }
  return {
    text,
    thinking,
    finish,
    usage,
    calls: [...calls.values()].map((c) => ({
      id: c.id,
      name: c.name,
      input: JSON.parse(c.args) as unknown,
    })),
  };
}

interface MessageDelta {
  delta: { stop_reason: string };
  usage: Chunk;
}

const STOP: Record<string, string> = {
  stop: 'end_turn',
  length: 'max_tokens',
  tool_calls: 'tool_use',
  content_filter: 'refusal',
};

/** Asserts Anthropic's event grammar: start, blocks one at a time from 0, delta, stop. */
function assertProtocolOrder(events: readonly Event[]): void {
  for (const e of events) assert.equal(e.name, e.data.type, 'the event name is the type');
  assert.equal(events[0]?.data.type, 'message_start');
  assert.deepEqual(
    events.slice(-2).map((e) => e.data.type),
    ['message_delta', 'message_stop'],
  );
  let open: number | undefined;
  let next = 0;
  for (const e of events.slice(1, -2)) {
    const index = e.data.index as number;
    if (e.data.type === 'content_block_start') {
      assert.equal(open, undefined, 'one block at a time');
      assert.equal(index, next++);
      open = index;
    } else if (e.data.type === 'content_block_delta') {
      assert.equal(index, open);
    } else {
      assert.equal(e.data.type, 'content_block_stop');
      assert.equal(index, open);
      open = undefined;
    }
  }
  assert.equal(open, undefined, 'every block is closed');
}

const CASES = [
  'openai-chat/openai-text.chunks.txt',
  'openai-chat/azure-model-router.1.chunks.txt',
  'openai-compatible-chat/deepseek-text.chunks.txt',
  'openai-compatible-chat/deepseek-reasoning.chunks.txt',
  'openai-compatible-chat/deepseek-tool-call.chunks.txt',
  'openai-compatible-chat/xai-text.chunks.txt',
  'openai-compatible-chat/xai-tool-call.chunks.txt',
];

/** Text, thinking and tool_use of a message, as MessageStream or our events assemble them. */
function summary(content: readonly Record<string, unknown>[]) {
  return {
    text: content
      .filter((b) => b.type === 'text')
      .map((b) => b.text)
      .join(''),
    thinking: content
      .filter((b) => b.type === 'thinking')
      .map((b) => b.thinking)
      .join(''),
    calls: content
      .filter((b) => b.type === 'tool_use')
      .map((b) => ({ id: b.id, name: b.name, input: b.input })),
  };
}

describe('chatStreamToMessages on recorded chat streams', () => {
  for (const path of CASES) {
    it(`${path}: Anthropic's event order, the same answer`, () => {
      const lines = load(path);
      const want = expected(lines);
      const events = eventsOf(translate(lines).sse);
      assertProtocolOrder(events);

      const content: Record<string, unknown>[] = [];
      for (const { data } of events) {
        if (data.type === 'content_block_start') content.push({ ...(data.content_block as Chunk) });
        if (data.type !== 'content_block_delta') continue;
        const block = content[data.index as number] as Record<string, string>;
        const delta = data.delta as Record<string, string>;
        const append = (field: string, more: string | undefined) => {
          block[field] = (block[field] ?? '') + (more ?? '');
        };
        if (delta.type === 'text_delta') append('text', delta.text);
        if (delta.type === 'thinking_delta') append('thinking', delta.thinking);
        if (delta.type === 'input_json_delta') append('json', delta.partial_json);
      }
      for (const block of content) {
        if (block.type === 'tool_use') block.input = JSON.parse(block.json as string);
      }
      const got = summary(content);
      assert.equal(got.text, want.text);
      assert.equal(got.thinking, want.thinking);
      assert.deepEqual(got.calls, want.calls);

      const delta = events.at(-2)?.data as unknown as MessageDelta;
      assert.equal(delta.delta.stop_reason, STOP[String(want.finish)]);
      const usage = want.usage as {
        prompt_tokens: number;
        completion_tokens: number;
        total_tokens: number;
        prompt_tokens_details: { cached_tokens: number };
        completion_tokens_details?: { reasoning_tokens: number };
      };
      const cached = usage.prompt_tokens_details.cached_tokens;
      const reasoning = usage.completion_tokens_details?.reasoning_tokens ?? 0;
      // xAI counts reasoning beside completion_tokens (its total gives it away); Anthropic's
      // output_tokens includes thinking.
      const beside =
        usage.total_tokens === usage.prompt_tokens + usage.completion_tokens + reasoning;
      assert.equal(delta.usage.input_tokens, usage.prompt_tokens - cached);
      assert.equal(delta.usage.cache_read_input_tokens, cached);
      assert.equal(
        delta.usage.output_tokens,
        usage.completion_tokens + (reasoning > 0 && beside ? reasoning : 0),
      );
    });
  }

  it('answers each chunk as it comes: text reaches the client before the stream ends', () => {
    const lines = load('openai-chat/openai-text.chunks.txt');
    const { pieces } = translate(lines);
    assert.match(pieces[0] ?? '', /^event: message_start\n/);
    assert.match(pieces[1] ?? '', /"text_delta","text":"\*\*"/);
    assert.equal(
      translate(load('openai-chat/azure-model-router.1.chunks.txt')).pieces[0],
      '',
      "Azure's filter chunk gives nothing",
    );
  });

  it('holds message_delta until usage is known, and sends it with the usage chunk', () => {
    const lines = load('openai-chat/openai-text.chunks.txt');
    const { pieces } = translate(lines);
    const finish = lines.length - 2;
    assert.match(pieces[finish] ?? '', /^event: content_block_stop\n/);
    assert.doesNotMatch(pieces[finish] ?? '', /message_delta/);
    assert.match(pieces[finish + 1] ?? '', /event: message_delta\n[^]*event: message_stop\n/);
    assert.equal(pieces[finish + 2], '', '[DONE] adds nothing after message_stop');
  });

  it('ends a stream without usage at [DONE], and one without [DONE] at its end', () => {
    const lines = load('openai-compatible-chat/xai-text.chunks.txt').slice(0, -1);
    for (const done of [true, false]) {
      const events = eventsOf(translate(lines, done).sse);
      assertProtocolOrder(events);
      const last = events.at(-2)?.data as unknown as MessageDelta;
      assert.equal(last.delta.stop_reason, 'end_turn');
      assert.equal(last.usage.output_tokens, 0);
    }
  });

  it('turns an in-band error chunk into event: error, and stops there', () => {
    const lines = load('openai-chat/openai-text.chunks.txt').slice(0, 3);
    lines.push(
      JSON.stringify({
        error: {
          message: 'Rate limit reached',
          type: 'rate_limit_error',
          code: 'rate_limit_exceeded',
        },
      }),
    );
    const t = chatStreamToMessages({ model: 'm' });
    const out = lines.map((l) => t.event(undefined, l)).join('');
    const events = eventsOf(out);
    assert.deepEqual(events.at(-1), {
      name: 'error',
      data: {
        type: 'error',
        error: {
          type: 'rate_limit_error',
          message: 'Rate limit reached',
          code: 'rate_limit_exceeded',
        },
      },
    });
    assert.equal(t.event(undefined, '[DONE]'), '');
    assert.equal(t.end(), '', 'no message_stop after an error');
  });
});

describe('chatStreamToMessages through @anthropic-ai/sdk', () => {
  let upstream: FakeUpstream;
  let client: Anthropic;
  before(async () => {
    upstream = await startFakeUpstream();
    client = new Anthropic({ baseURL: upstream.origin, apiKey: 'k', maxRetries: 0 });
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
  const ask = () =>
    client.messages.stream({
      model: 'asked-model',
      max_tokens: 100,
      messages: [{ role: 'user', content: 'hi' }],
    });

  for (const path of CASES) {
    it(`${path}: MessageStream's final message`, async () => {
      const lines = load(path);
      const want = expected(lines);
      replay(translate(lines).sse);
      const message = await ask().finalMessage();
      const got = summary(message.content as unknown as Record<string, unknown>[]);
      assert.equal(got.text, want.text);
      assert.equal(got.thinking, want.thinking);
      assert.deepEqual(got.calls, want.calls);
      assert.equal(message.stop_reason, STOP[String(want.finish)]);
      const usage = want.usage as {
        prompt_tokens: number;
        prompt_tokens_details: { cached_tokens: number };
      };
      assert.equal(
        message.usage.input_tokens + (message.usage.cache_read_input_tokens ?? 0),
        usage.prompt_tokens,
      );
      const last = JSON.parse(lines.at(-1) ?? '{}') as { model?: string };
      assert.equal(message.model, last.model || 'asked-model');
    });
  }

  it('raises the translated in-band error', async () => {
    const lines = load('openai-chat/openai-text.chunks.txt').slice(0, 3);
    lines.push(
      JSON.stringify({ error: { message: 'The server had an error', type: 'server_error' } }),
    );
    replay(translate(lines, false).sse);
    await assert.rejects(
      () => ask().finalMessage(),
      (error: unknown) =>
        error instanceof Anthropic.APIError && /The server had an error/.test(error.message),
    );
  });
});
