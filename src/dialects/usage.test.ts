/**
 * Reading usage for what is billed above the plain input and output rates. Anthropic's
 * prompt-cache writes are billed above the input rate (1.25 × for
 * the 5-minute cache, 2 × for the 1-hour one), so they are kept apart from other input, with
 * how long they are kept — which only `message_start` says.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { anthropicUsage, count, MAX_COUNT, openaiUsage } from './usage.ts';

const START = {
  input_tokens: 1000,
  cache_read_input_tokens: 2000,
  cache_creation_input_tokens: 4000,
  cache_creation: { ephemeral_5m_input_tokens: 3000, ephemeral_1h_input_tokens: 1000 },
  output_tokens: 1,
};

describe('anthropicUsage', () => {
  it('keeps cache writes apart, by how long they are kept; all of them are input', () => {
    assert.deepEqual(anthropicUsage(START), {
      promptTokens: 7000,
      completionTokens: 1,
      cachedTokens: 2000,
      reasoningTokens: 0,
      cacheWrites: { minutes: 3000, hour: 1000 },
    });
  });

  it('message_delta repeats the totals without the split: the split from message_start stands', () => {
    const start = anthropicUsage(START);
    const { cache_creation: _split, ...totals } = START;
    assert.deepEqual(anthropicUsage({ ...totals, output_tokens: 30 }, start)?.cacheWrites, {
      minutes: 3000,
      hour: 1000,
    });
    assert.deepEqual(anthropicUsage({ output_tokens: 30 }, start)?.cacheWrites, start?.cacheWrites);
  });

  it('writes without a split are 5-minute ones; none written, none kept', () => {
    const { cache_creation: _split, ...totals } = START;
    assert.deepEqual(anthropicUsage(totals)?.cacheWrites, { minutes: 4000, hour: 0 });
    const none = anthropicUsage({ ...START, cache_creation_input_tokens: 0, cache_creation: {} });
    assert.equal(none !== undefined && 'cacheWrites' in none, false);
  });
});

describe('web searches in usage', () => {
  it("Anthropic's are cumulative: message_delta's count replaces message_start's, or keeps it", () => {
    const start = anthropicUsage({ input_tokens: 10, output_tokens: 1 });
    assert.equal(start?.searches, undefined);
    const delta = anthropicUsage(
      { output_tokens: 50, server_tool_use: { web_search_requests: 2 } },
      start,
    );
    assert.equal(delta?.searches, 2);
    assert.equal(anthropicUsage({ output_tokens: 60 }, delta)?.searches, 2);
  });

  it("xAI's Live Search: each source used", () => {
    const usage = { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 };
    assert.equal(openaiUsage({ ...usage, num_sources_used: 4 })?.searches, 4);
    assert.equal(openaiUsage({ ...usage, num_sources_used: 0 })?.searches, undefined);
  });
});

describe('openaiUsage', () => {
  it('keeps the audio a chat model heard and spoke apart: it is billed at audio rates', () => {
    const usage = openaiUsage({
      prompt_tokens: 120,
      completion_tokens: 300,
      total_tokens: 420,
      prompt_tokens_details: { cached_tokens: 0, audio_tokens: 100 },
      completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 250 },
    });
    assert.deepEqual(usage?.audioTokens, { input: 100, output: 250 });
    const text = openaiUsage({ prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 });
    assert.equal(text !== undefined && 'audioTokens' in text, false);
  });

  it('reasoning counted beside completion_tokens (xAI, Gemini) is billed as output', () => {
    const reasoning = (usage: Record<string, unknown>) => {
      const read = openaiUsage(usage);
      return [read?.completionTokens, read?.reasoningTokens];
    };
    // OpenAI: inside completion_tokens; the total says nothing more.
    const openai = { prompt_tokens: 15, completion_tokens: 78, total_tokens: 93 };
    const details = { completion_tokens_details: { reasoning_tokens: 64 } };
    assert.deepEqual(reasoning({ ...openai, ...details }), [78, 64]);
    // xAI: beside, and named.
    const xai = { prompt_tokens: 12, completion_tokens: 2, total_tokens: 354 };
    assert.deepEqual(
      reasoning({ ...xai, completion_tokens_details: { reasoning_tokens: 340 } }),
      [342, 340],
    );
    // Gemini: beside, named nowhere.
    assert.deepEqual(
      reasoning({ prompt_tokens: 9, completion_tokens: 3, total_tokens: 109 }),
      [100, 97],
    );
    // No total, or a total short of the parts: what completion_tokens says.
    assert.deepEqual(reasoning({ prompt_tokens: 9, completion_tokens: 3 }), [3, 0]);
    assert.deepEqual(
      reasoning({ prompt_tokens: 9, completion_tokens: 3, total_tokens: 5 }),
      [3, 0],
    );
  });
});

describe('count', () => {
  it('holds a count past any real request at MAX_COUNT: sums stay finite, budgets are charged', () => {
    // From a broken relay: 1e308 made records Infinity or null, and a token budget charged 0.
    const usage = openaiUsage(
      JSON.parse('{"prompt_tokens":1e308,"completion_tokens":1e308,"total_tokens":1e308}'),
    );
    assert.equal(usage?.promptTokens, MAX_COUNT);
    assert.equal(usage.completionTokens, MAX_COUNT);
    assert.ok(Number.isSafeInteger(usage.promptTokens + usage.completionTokens));
    for (const [value, read] of [
      [-5, 0],
      [2.6, 3],
      ['7', 0],
      [Number.NaN, 0],
      [Number.POSITIVE_INFINITY, 0],
    ] as const)
      assert.equal(count(value), read, String(value));
  });
});
