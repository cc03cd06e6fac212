/**
 * What a request holds of its caller's budgets while it runs (`limits/types.ts`, `Reserve`):
 * its prompt, counted roughly from the body (`roughPromptTokens`), and its answer at the most it
 * may be — `max_tokens` and its kin, times `n` — or `UNBOUNDED_ANSWER_TOKENS` when it sets no
 * bound; in money at the dearest of the names its upstreams know the model by. Images and
 * speech as asked (`asked.ts`).
 */
import type { PriceTable } from '../config/index.ts';
import type { TokenUsage } from '../dialects/index.ts';
import { askedFor } from './asked.ts';
import type { Reserve } from './limits/index.ts';
import { costOf } from './prices.ts';
import { roughPromptTokens } from './tokens.ts';

/**
 * Held for the answer of a request that does not bound it. A request that writes more than
 * this can overrun the budget by the difference while others run beside it; one that wants
 * its reserve exact sets `max_tokens` (`max_completion_tokens`, `max_output_tokens`).
 */
export const UNBOUNDED_ANSWER_TOKENS = 4_096;

/** The routes that generate an answer; the others' answers are not tokens. */
const GENERATING: ReadonlySet<string> = new Set([
  '/v1/chat/completions',
  '/v1/completions',
  '/v1/responses',
  '/v1/messages',
]);

/** Where a bound on the answer is given, by the APIs that have one. */
const ANSWER_BOUNDS = ['max_completion_tokens', 'max_tokens', 'max_output_tokens'] as const;

/** Past any model's answer, and small enough that the price of it stays a finite number. */
const MOST_TOKENS = 1e9;

/** Choices asked for at once (`n`); the APIs allow 128. */
const MOST_CHOICES = 128;

export function reserveOf(
  endpoint: string,
  body: Record<string, unknown> | undefined,
  models: readonly string[],
  prices: PriceTable,
): Reserve {
  const usage: TokenUsage = {
    promptTokens: Math.min(roughPromptTokens(body), MOST_TOKENS),
    completionTokens: GENERATING.has(endpoint) ? answerTokens(body) : 0,
    cachedTokens: 0,
    reasoningTokens: 0,
    ...askedFor(endpoint, body),
  };
  let cost = 0;
  for (const model of models) cost = Math.max(cost, costOf(prices, model, usage) ?? 0);
  return { tokens: usage.promptTokens + usage.completionTokens, cost };
}

function answerTokens(body: Record<string, unknown> | undefined): number {
  let bound: number | undefined;
  for (const field of ANSWER_BOUNDS) {
    const value = body?.[field];
    if (typeof value === 'number' && value > 0) bound = Math.max(bound ?? 0, value);
  }
  const n = body?.n;
  const choices = typeof n === 'number' && n >= 1 ? Math.min(Math.floor(n), MOST_CHOICES) : 1;
  return Math.min(Math.ceil(bound ?? UNBOUNDED_ANSWER_TOKENS) * choices, MOST_TOKENS);
}
