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

  it('an image model without tokens costs by the image: its size and quality, else the most', () => {
    const images = (count: number, kind: string) => ({ ...usage(0, 0), images: { count, kind } });
    const near = (a: number | null, b: number) => Math.abs((a ?? Number.NaN) - b) < 1e-9;
    assert.ok(near(costOf(DEFAULT_PRICES, 'dall-e-3', images(2, 'hd 1024x1792')), 0.24));
    assert.ok(near(costOf(DEFAULT_PRICES, 'dall-e-3', images(1, '1024x1024')), 0.04));
    assert.ok(near(costOf(DEFAULT_PRICES, 'dall-e-3', images(1, '')), 0.12), 'unknown: the most');
    assert.ok(near(costOf(DEFAULT_PRICES, 'dall-e-2', images(4, '256x256')), 0.064));
    const flat: PriceTable = { 'grok-2-image*': { input: 0, output: 0, perImage: 0.07 } };
    assert.ok(near(costOf(flat, 'grok-2-image-1212', images(3, '1024x1024')), 0.21));
    // A text model's price has no images.
    assert.equal(costOf(DEFAULT_PRICES, 'gpt-4.1', images(5, '1024x1024')), 0);
  });

  it('priority processing: the price’s own priority rates, else twice the standard ones', () => {
    const near = (a: number | null, b: number) => Math.abs((a ?? Number.NaN) - b) < 1e-9;
    const priority = { ...usage(1_000_000, 500_000, 200_000), priority: true as const };
    // gpt-4.1-mini: $0.4 in, $1.6 out, $0.1 cached; doubled.
    const standard = 0.8 * 0.4 + 0.2 * 0.1 + 0.5 * 1.6;
    assert.ok(near(costOf(DEFAULT_PRICES, 'gpt-4.1-mini', priority), 2 * standard));
    const own: PriceTable = {
      'gpt-4.1-mini': {
        input: 0.4,
        output: 1.6,
        cachedInput: 0.1,
        priority: { input: 0.7, output: 2.8, cachedInput: 0.175 },
      },
    };
    assert.ok(near(costOf(own, 'gpt-4.1-mini', priority), 0.8 * 0.7 + 0.2 * 0.175 + 0.5 * 2.8));
    assert.ok(near(costOf(own, 'gpt-4.1-mini', usage(1_000_000, 500_000, 200_000)), standard));
    // No cached rate of its own: cached input at the priority input rate.
    const uncached: PriceTable = { m: { input: 1, output: 2, priority: { input: 3, output: 4 } } };
    assert.ok(near(costOf(uncached, 'm', priority), 0.8 * 3 + 0.2 * 3 + 0.5 * 4));
  });

  it('Anthropic cache writes: 1.25 × the input rate kept 5 minutes, 2 × kept an hour', () => {
    const near = (a: number | null, b: number) => Math.abs((a ?? Number.NaN) - b) < 1e-9;
    // claude-haiku-4*: $1 input, $0.1 cached, $5 output per million.
    const written = {
      ...usage(7_000_000, 1_000_000, 2_000_000),
      cacheWrites: { minutes: 3_000_000, hour: 1_000_000 },
    };
    const expected = 1 * 1 + 2 * 0.1 + 3 * 1 * 1.25 + 1 * 1 * 2 + 1 * 5;
    assert.ok(near(costOf(DEFAULT_PRICES, 'claude-haiku-4-5', written), expected));
    const read = usage(7_000_000, 1_000_000, 2_000_000);
    assert.ok(near(costOf(DEFAULT_PRICES, 'claude-haiku-4-5', read), 5 * 1 + 2 * 0.1 + 5));
  });

  it('a long prompt: every token at the long-context rates, past the threshold only', () => {
    const near = (a: number | null, b: number) => Math.abs((a ?? Number.NaN) - b) < 1e-9;
    // claude-sonnet-4*: $3 / $15, cached $0.3; past 200K input: $6 / $22.5, cached $0.6.
    const at = (prompt: number) => costOf(DEFAULT_PRICES, 'claude-sonnet-4-5', usage(prompt, 1000));
    assert.ok(near(at(200_000), (200_000 * 3 + 1000 * 15) / 1e6), 'at the threshold: standard');
    assert.ok(near(at(200_001), (200_001 * 6 + 1000 * 22.5) / 1e6));
    const cachedAndWritten = {
      ...usage(300_000, 0, 100_000),
      cacheWrites: { minutes: 100_000, hour: 0 },
    };
    const expected = (100_000 * 6 + 100_000 * 0.6 + 100_000 * 6 * 1.25) / 1e6;
    assert.ok(near(costOf(DEFAULT_PRICES, 'claude-sonnet-4', cachedAndWritten), expected));
    assert.ok(
      near(costOf(DEFAULT_PRICES, 'claude-opus-4-1', usage(300_000, 0)), (300_000 * 15) / 1e6),
    );
  });

  it('a chat model that hears and speaks: its audio tokens at the audio rates, its text at text rates', () => {
    const near = (a: number | null, b: number) => Math.abs((a ?? Number.NaN) - b) < 1e-9;
    // gpt-4o-audio-preview: text $2.5 / $10, audio $40 / $80 per million.
    const spoken = {
      ...usage(1_000_000, 1_000_000),
      audioTokens: { input: 400_000, output: 500_000 },
    };
    const expected = 0.6 * 2.5 + 0.4 * 40 + 0.5 * 10 + 0.5 * 80;
    assert.ok(near(costOf(DEFAULT_PRICES, 'gpt-4o-audio-preview-2025-06-03', spoken), expected));
    // A price without audio rates charges audio as text, as before.
    const plain: PriceTable = { m: { input: 1, output: 2 } };
    assert.ok(near(costOf(plain, 'm', spoken), 1 + 2));
  });

  it('a pro, research or mini variant is not billed at its family’s rates', () => {
    // Each of these names also matches a row further down, at 1/100 to 5 × its own price.
    // 100K in and out: under every long-context threshold; the figures are per million.
    const tenth = usage(100_000, 100_000);
    const cases: [string, number][] = [
      ['gpt-5-pro-2025-10-06', 15 + 120],
      ['gpt-5', 1.25 + 10],
      ['gpt-5.1-codex-mini', 0.25 + 2],
      ['o3-pro', 20 + 80],
      ['o3-deep-research-2025-06-26', 10 + 40],
      ['o4-mini-deep-research', 2 + 8],
      ['o1-pro', 150 + 600],
      ['o1-mini', 1.1 + 4.4],
      ['o1', 15 + 60],
      ['claude-opus-4-5-20251101', 5 + 25],
      ['claude-opus-4-1-20250805', 15 + 75],
      ['grok-4-1-fast-reasoning', 0.2 + 0.5],
      ['grok-code-fast-1', 0.2 + 1.5],
      ['gemini-2.5-flash-lite', 0.1 + 0.4],
      ['gemini-2.5-flash', 0.3 + 2.5],
      ['gemini-2.5-flash-image', 0.3 + 30],
      ['deepseek-reasoner', 0.28 + 0.42],
    ];
    for (const [model, dollars] of cases) {
      const cost = costOf(DEFAULT_PRICES, model, tenth);
      assert.ok(Math.abs((cost ?? Number.NaN) - dollars / 10) < 1e-9, `${model}: ${String(cost)}`);
    }
  });

  it('Gemini: `models/` names priced as the bare name, a prompt past 200K at the higher rates', () => {
    const near = (a: number | null, b: number) => Math.abs((a ?? Number.NaN) - b) < 1e-9;
    assert.ok(near(costOf(DEFAULT_PRICES, 'models/gemini-2.5-pro', usage(100_000, 10_000)), 0.225));
    assert.ok(near(costOf(DEFAULT_PRICES, 'gemini-2.5-pro', usage(300_000, 10_000)), 0.9));
    assert.ok(near(costOf(DEFAULT_PRICES, 'models/gemini-3-pro-preview', usage(0, 1_000_000)), 12));
    // An operator's own `models/…` pattern still wins; an unknown one stays unpriced.
    const own: PriceTable = { 'models/gemini-2.5-pro': { input: 1, output: 1 }, ...DEFAULT_PRICES };
    assert.equal(costOf(own, 'models/gemini-2.5-pro', usage(1_000_000, 0)), 1);
    assert.equal(costOf(DEFAULT_PRICES, 'models/my-llama', usage(10, 10)), null);
    // Bedrock's Claude: `anthropic.claude-…`, a cross-region profile's `us.anthropic.claude-…`.
    const sonnet = costOf(DEFAULT_PRICES, 'claude-sonnet-4-5', usage(1_000_000, 0));
    assert.ok(sonnet !== null && sonnet > 0);
    for (const id of [
      'anthropic.claude-sonnet-4-5-20250929-v1:0',
      'us.anthropic.claude-sonnet-4-5-20250929-v1:0',
    ])
      assert.equal(costOf(DEFAULT_PRICES, id, usage(1_000_000, 0)), sonnet, id);
    // Vertex AI's OpenAI-compatible names: `google/gemini-…`.
    assert.ok(near(costOf(DEFAULT_PRICES, 'google/gemini-2.5-pro', usage(100_000, 10_000)), 0.225));
    // Grok past 128K input: every token at twice the rates.
    assert.ok(near(costOf(DEFAULT_PRICES, 'grok-4-0709', usage(200_000, 0)), 1.2));
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
