import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_PRICES } from '../config/index.ts';
import { reserveOf, UNBOUNDED_ANSWER_TOKENS } from './reserve.ts';

const CHAT = '/v1/chat/completions';
/** 44 bytes of text (content and role): 11 tokens at four bytes a token, 4 for framing. */
const messages = [{ role: 'user', content: 'a'.repeat(40) }];
const PROMPT = 15;
const near = (a: number, b: number) => Math.abs(a - b) < 1e-12;

describe('reserveOf', () => {
  it('holds the prompt and the answer at its bound, times the choices asked for', () => {
    const bounded = reserveOf(CHAT, { messages, max_tokens: 500 }, ['gpt-4.1'], DEFAULT_PRICES);
    assert.equal(bounded.tokens, PROMPT + 500);
    // gpt-4.1: $2 in, $8 out per million.
    assert.ok(near(bounded.cost, (PROMPT * 2 + 500 * 8) / 1e6), String(bounded.cost));
    const choices = reserveOf(CHAT, { messages, max_completion_tokens: 500, n: 3 }, [], {});
    assert.deepEqual(choices, { tokens: PROMPT + 1_500, cost: 0 });
    const responses = { input: 'a'.repeat(40), max_output_tokens: 70 };
    assert.equal(reserveOf('/v1/responses', responses, [], {}).tokens, 10 + 70);
  });

  it('an answer with no bound holds UNBOUNDED_ANSWER_TOKENS; a route that writes none, none', () => {
    assert.equal(reserveOf(CHAT, { messages }, [], {}).tokens, PROMPT + UNBOUNDED_ANSWER_TOKENS);
    assert.equal(reserveOf('/v1/embeddings', { input: 'a'.repeat(40) }, [], {}).tokens, 10);
  });

  it('prices at the dearest name the model goes by, at the tier asked for', () => {
    const body = { messages, max_tokens: 1_000 };
    const names = ['my-alias', 'gpt-4.1-nano', 'gpt-4.1'];
    assert.ok(near(reserveOf(CHAT, body, names, DEFAULT_PRICES).cost, (PROMPT * 2 + 8_000) / 1e6));
    const priority = reserveOf(CHAT, { ...body, service_tier: 'priority' }, ['gpt-4.1'], {
      'gpt-4.1': { input: 2, output: 8 },
    });
    assert.ok(near(priority.cost, (2 * (PROMPT * 2 + 8_000)) / 1e6), 'twice, with no own rates');
  });

  it('images as asked: n of them at their size, a form’s at the dearest', () => {
    const four = reserveOf(
      '/v1/images/generations',
      { prompt: 'x', n: 4 },
      ['dall-e-2'],
      DEFAULT_PRICES,
    );
    assert.ok(near(four.cost, 4 * 0.02), String(four.cost));
    const form = reserveOf('/v1/images/edits', undefined, ['dall-e-3'], DEFAULT_PRICES);
    assert.ok(near(form.cost, 0.12), String(form.cost));
  });

  it('a bound that parses oddly holds a finite amount, never nothing', () => {
    for (const bound of [1e300, Number.MAX_VALUE, 2 ** 53 + 1]) {
      const reserve = reserveOf(
        CHAT,
        { messages, max_tokens: bound, n: 1e9 },
        ['gpt-4.1'],
        DEFAULT_PRICES,
      );
      assert.ok(Number.isFinite(reserve.tokens) && reserve.tokens >= 1e9, String(reserve.tokens));
      assert.ok(Number.isFinite(reserve.cost) && reserve.cost >= 8_000, String(reserve.cost));
    }
    // Not numbers, negative, zero: as if unbounded.
    for (const bound of ['9999999', -5, 0, null, true]) {
      assert.equal(
        reserveOf(CHAT, { messages, max_tokens: bound }, [], {}).tokens,
        PROMPT + UNBOUNDED_ANSWER_TOKENS,
      );
    }
  });

  it('counts text by its UTF-8 bytes: CJK near a token a character, not a quarter', () => {
    // 120 bytes: 30 tokens (a tokenizer gives about 40).
    assert.equal(reserveOf('/v1/embeddings', { input: '漢'.repeat(40) }, [], {}).tokens, 30);
  });
});
