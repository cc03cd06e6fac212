import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { anthropicMessages, type Dialect, openaiChat, openaiResponses } from '../dialects/index.ts';
import { formatEvent, SseFramer } from '../sse/index.ts';
import { ChunkEdits } from './chunk-edits.ts';
import { bodyLength, frame } from './chunked-sink.ts';
import { capturedText, EventTap } from './tap.ts';

const fixtures = new URL('../../test/fixtures/provider-streams/', import.meta.url);
const payloads = (file: string) =>
  readFileSync(new URL(file, fixtures), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);

/**
 * Runs a stream through framer and tap as the relay does, one event per chunk: the edits the
 * tap returns applied as the chunk is written out. Returns what the client gets.
 */
function relay(
  dialect: Dialect,
  events: string[],
  hideUsage: boolean,
  encoding: BufferEncoding = 'utf8',
) {
  const tap = new EventTap(dialect, hideUsage);
  const edits = new ChunkEdits();
  const framer = new SseFramer({
    onEvent: (buf, start, end) => {
      const edit = tap.onEvent(buf, start, end);
      if (edit !== undefined) edits.add(start, end, edit);
    },
  });
  let out = '';
  for (const event of events) {
    const bytes = framer.push(Buffer.from(event, encoding));
    out += frame(bytes, bodyLength(bytes, edits), edits, false).toString(encoding);
    edits.clear();
  }
  return { tap, out };
}

const chatEvents = (chunks: Record<string, unknown>[]) => [
  ...chunks.map((c) => formatEvent({ data: JSON.stringify(c) })),
  formatEvent({ data: '[DONE]' }),
];
const named = (file: string) =>
  payloads(file).map((p) => formatEvent({ event: String(p.type), data: JSON.stringify(p) }));

describe('EventTap on Chat Completions', () => {
  const withUsage = payloads('openai-chat/openai-text.chunks.txt');
  const usageChunk = withUsage.at(-1) as { usage: Record<string, unknown> };

  it('reads the usage chunk', () => {
    const { tap } = relay(openaiChat, chatEvents(withUsage), false);
    assert.deepEqual(tap.usage, {
      promptTokens: 16,
      completionTokens: 300,
      cachedTokens: 0,
      reasoningTokens: 0,
    });
    assert.equal(usageChunk.usage.completion_tokens, 300);
    assert.equal(tap.sawTerminal, true);
  });

  it('hides usage the client did not ask for: exactly the stream OpenAI sends without include_usage', () => {
    const { tap, out } = relay(openaiChat, chatEvents(withUsage), true);
    const without = withUsage
      .filter((c) => (c.choices as unknown[]).length > 0)
      .map(({ usage: _u, ...rest }) => rest);
    assert.equal(out, chatEvents(without).join(''));
    assert.equal(tap.usage?.completionTokens, 300, 'still read before it is hidden');
  });

  it('returns each event’s edit to its caller and keeps none itself', () => {
    const tap = new EventTap(openaiChat, true);
    const events = chatEvents(withUsage).map((e) => Buffer.from(e));
    const found = events.map((e) => tap.onEvent(e, 0, e.length));
    assert.equal(found[0]?.kind, 'cut', '"usage":null cut from a chunk');
    assert.equal(found.at(-2)?.kind, 'drop', 'the usage chunk dropped');
    assert.equal(found.at(-1), undefined, '[DONE] as it came');
    assert.equal(tap.usage?.completionTokens, 300);
  });

  it('hides usage across chunk edges: events split, several per chunk, one dropped alone', () => {
    const stream = Buffer.from(chatEvents(withUsage).join(''));
    const expected = relay(openaiChat, chatEvents(withUsage), true).out;
    for (const size of [7, 100, 333, 4096]) {
      // Bytes as latin1 text: a cut through a multi-byte character stays a cut through bytes.
      const pieces: string[] = [];
      for (let at = 0; at < stream.length; at += size)
        pieces.push(stream.toString('latin1', at, at + size));
      const { out } = relay(openaiChat, pieces, true, 'latin1');
      assert.equal(Buffer.from(out, 'latin1').toString(), expected, `chunks of ${size}`);
    }
  });

  it('hides usage riding on the finishing chunk, keeping the chunk (DeepSeek style)', () => {
    const chunks = payloads('openai-compatible-chat/deepseek-text.chunks.txt');
    const last = chunks.at(-1) as Record<string, unknown>;
    assert.ok(last.usage !== null && (last.choices as unknown[]).length === 1);
    const { tap, out } = relay(openaiChat, chatEvents(chunks), true);
    const lastData = out.split('\n\n').filter(Boolean).at(-2) ?? '';
    const { usage: _usage, ...expected } = last;
    assert.deepEqual(JSON.parse(lastData.replace(/^data: /, '')), expected);
    assert.equal(tap.usage?.completionTokens, 400);
  });

  it('captures the generated text for an estimate', () => {
    const chunks = payloads('openai-chat/openai-text.chunks.txt');
    const { tap } = relay(openaiChat, chatEvents(chunks), false);
    const text = chunks
      .map((c) => (c.choices as { delta?: { content?: string } }[])[0]?.delta?.content ?? '')
      .join('');
    assert.ok(text.length > 100);
    assert.equal(capturedText(tap.rawText), text);
    // Kept for the whole stream: no slice of Node's 64 KiB Buffer pool (it would hold the
    // slab) and no copies left behind as it grew — at most one part-filled 1 KiB block.
    assert.ok(tap.heldBytes <= tap.rawText.length + 1024, `holds ${tap.heldBytes} bytes`);
  });

  it('captures text longer than its blocks whole, across block edges', () => {
    const pieces = Array.from({ length: 300 }, (_, i) => `piece ${i} “ü” \\ `);
    const chunks = pieces.map((content) => ({ choices: [{ index: 0, delta: { content } }] }));
    const { tap } = relay(openaiChat, chatEvents(chunks), false);
    assert.ok(tap.rawText.length > 4 * 1024);
    assert.equal(capturedText(tap.rawText), pieces.join(''));
    assert.ok(tap.heldBytes <= tap.rawText.length + 1024, `holds ${tap.heldBytes} bytes`);
  });

  it('captures text with escapes and non-ASCII intact', () => {
    const chunk = { choices: [{ index: 0, delta: { content: 'He said "hi"\n→ 漢字 \\ done' } }] };
    const { tap } = relay(openaiChat, chatEvents([chunk]), false);
    assert.equal(capturedText(tap.rawText), 'He said "hi"\n→ 漢字 \\ done');
  });
});

describe('EventTap on Responses and Anthropic', () => {
  it('Responses: usage from response.completed, cached and reasoning tokens included', () => {
    const { tap } = relay(
      openaiResponses,
      named('openai-responses/openai-phase.1.chunks.txt'),
      false,
    );
    assert.deepEqual(tap.usage, {
      promptTokens: 7112,
      completionTokens: 463,
      cachedTokens: 3072,
      reasoningTokens: 64,
    });
  });

  it('Anthropic: message_delta’s cumulative counts replace message_start’s', () => {
    const { tap } = relay(
      anthropicMessages,
      named('anthropic-messages/anthropic-message-delta-input-tokens.chunks.txt'),
      false,
    );
    assert.deepEqual(tap.usage, {
      promptTokens: 61,
      completionTokens: 2,
      cachedTokens: 0,
      reasoningTokens: 0,
    });
    assert.equal(capturedText(tap.rawText), 'pong');
  });

  it('Anthropic: a stream cut after message_start has the input count only', () => {
    const events = named('anthropic-messages/anthropic-text.chunks.txt').slice(0, 4);
    const { tap } = relay(anthropicMessages, events, false);
    assert.equal(tap.sawTerminal, false);
    assert.ok((tap.usage?.promptTokens ?? 0) > 0);
  });
});

describe('the objects a stored response’s stream makes', () => {
  const events = payloads('openai-responses/openai-phase.1.chunks.txt').map((p) =>
    formatEvent({ event: String(p.type), data: JSON.stringify(p) }),
  );
  const added = payloads('openai-responses/openai-phase.1.chunks.txt')
    .filter((p) => p.type === 'response.output_item.added')
    .map((p) => (p.item as { id: string }).id);

  it('watched: the response’s id and the ids of the items it adds', () => {
    const tap = new EventTap(openaiResponses, false);
    tap.watchId();
    const framer = new SseFramer({ onEvent: (buf, start, end) => tap.onEvent(buf, start, end) });
    for (const event of events) framer.push(Buffer.from(event));
    assert.match(tap.firstId ?? '', /^resp_/);
    assert.equal(added.length, 2);
    assert.deepEqual(tap.itemIds, added);
  });

  it('not watched: nothing read', () => {
    const tap = new EventTap(openaiResponses, false);
    const framer = new SseFramer({ onEvent: (buf, start, end) => tap.onEvent(buf, start, end) });
    for (const event of events) framer.push(Buffer.from(event));
    assert.equal(tap.firstId, undefined);
    assert.deepEqual(tap.itemIds, []);
  });
});
