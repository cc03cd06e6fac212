import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_PRICES, type PriceTable } from '../config/index.ts';
import { costOf } from './prices.ts';

const usage = (promptTokens: number, completionTokens: number, cachedTokens = 0) => ({
  promptTokens,
  completionTokens,
  cachedTokens,
  reasoningTokens: 0,
});

describe('costOf', () => {
  it('prices by the first matching pattern, cached input at its own rate', () => {
    // gpt-4.1-mini* comes before gpt-4.1*: $0.4 in, $1.6 out, $0.1 cached, per million.
    const cost = costOf(
      DEFAULT_PRICES,
      'gpt-4.1-mini-2025-04-14',
      usage(1_000_000, 500_000, 200_000),
    );
    assert.ok(Math.abs((cost ?? 0) - (0.8 * 0.4 + 0.2 * 0.1 + 0.5 * 1.6)) < 1e-9, String(cost));
    assert.equal(costOf(DEFAULT_PRICES, 'gpt-4.1', usage(1_000_000, 0)), 2);
  });

  it('a model without a price costs null, asked once or many times', () => {
    for (let i = 0; i < 3; i++)
      assert.equal(costOf(DEFAULT_PRICES, 'my-llama', usage(10, 10)), null);
    assert.equal(costOf(DEFAULT_PRICES, null, usage(10, 10)), null);
  });

  it('each price table answers for itself, also after another was asked about the same model', () => {
    const custom: PriceTable = { 'my-*': { input: 1, output: 2 } };
    assert.equal(costOf(DEFAULT_PRICES, 'my-llama', usage(1_000_000, 0)), null);
    assert.equal(costOf(custom, 'my-llama', usage(1_000_000, 1_000_000)), 3);
    assert.equal(costOf(custom, 'gpt-4o', usage(1_000_000, 0)), null);
    assert.equal(costOf(DEFAULT_PRICES, 'gpt-4o', usage(1_000_000, 0)), 2.5);
  });
});
