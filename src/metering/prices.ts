/**
 * Turning tokens into money with the configured price table (`config/prices.ts`). A model
 * without a price costs `null`, never a guess.
 */
import type { Price, PriceTable, TierRates } from '../config/index.ts';
import type { TokenUsage } from '../dialects/index.ts';
import { namesOf, servesModel } from '../upstream/index.ts';

/**
 * Anthropic's prompt-cache writes, over the model's input rate: its price list's rule for every
 * model (5-minute cache 1.25 ×, 1-hour 2 ×); no other provider reports writes.
 */
const CACHE_WRITE_MINUTES = 1.25;
const CACHE_WRITE_HOUR = 2;

export function costOf(prices: PriceTable, model: string | null, usage: TokenUsage): number | null {
  if (model === null) return null;
  const price = priceOf(prices, model);
  if (price === undefined) return null;
  const rates =
    usage.priority === true
      ? priorityRates(price)
      : price.longContext !== undefined && usage.promptTokens > price.longContext.above
        ? price.longContext
        : price;
  const cached = Math.min(usage.cachedTokens, usage.promptTokens);
  // Image input tokens at their own rate where the model has one; otherwise as any input.
  const images = Math.min(usage.imageTokens ?? 0, usage.promptTokens - cached);
  const { minutes = 0, hour = 0 } = usage.cacheWrites ?? {};
  const heard = Math.min(usage.audioTokens?.input ?? 0, usage.promptTokens - cached - images);
  const spoken = Math.min(usage.audioTokens?.output ?? 0, usage.completionTokens);
  const dollars =
    Math.max(0, usage.promptTokens - cached - images - heard - minutes - hour) * rates.input +
    (minutes * CACHE_WRITE_MINUTES + hour * CACHE_WRITE_HOUR) * rates.input +
    images * (price.imageInput ?? rates.input) +
    heard * (price.audioInput ?? rates.input) +
    cached * (rates.cachedInput ?? rates.input) +
    (usage.completionTokens - spoken) * rates.output +
    spoken * (price.audioOutput ?? rates.output) +
    (usage.inputCharacters ?? 0) * (price.characters ?? 0);
  return (
    dollars / 1e6 +
    (usage.searches ?? 0) * (price.searches ?? 0) +
    ((usage.audioSeconds ?? 0) / 60) * (price.audioMinute ?? 0) +
    (usage.images === undefined ? 0 : usage.images.count * perImage(price, usage.images.kind))
  );
}

/** A model's rates under priority processing: its own, or twice its standard ones. */
function priorityRates(price: Price): TierRates {
  return (
    price.priority ?? {
      input: 2 * price.input,
      output: 2 * price.output,
      cachedInput: 2 * (price.cachedInput ?? price.input),
    }
  );
}

/** What one image of `kind` costs; a kind the table does not list costs the most it lists. */
function perImage({ perImage: table }: Price, kind: string): number {
  if (table === undefined || typeof table === 'number') return table ?? 0;
  return Object.hasOwn(table, kind) ? (table[kind] ?? 0) : Math.max(...Object.values(table));
}

/** Whether `model` has a price in `prices` (a cost can be told for it). */
export function hasPrice(prices: PriceTable, model: string): boolean {
  return priceOf(prices, model) !== undefined;
}

/** Whether `model`'s web searches have a price in `prices`. */
export function pricesSearches(prices: PriceTable, model: string): boolean {
  return priceOf(prices, model)?.searches !== undefined;
}

/**
 * The price of a model, looked up once per table and model name: every request asks, and a
 * model without a price would otherwise be tried against every pattern each time.
 */
const resolved = new WeakMap<PriceTable, Map<string, Price | undefined>>();

function priceOf(prices: PriceTable, model: string): Price | undefined {
  let byModel = resolved.get(prices);
  if (byModel === undefined) {
    byModel = new Map();
    resolved.set(prices, byModel);
  }
  if (byModel.has(model)) return byModel.get(model);
  const patterns = Object.keys(prices);
  // Google's `models/gemini-…` is `gemini-…`: the same price, unless a pattern names it as given.
  const pattern = namesOf(model)
    .map((name) => patterns.find((p) => servesModel([p], name)))
    .find((found) => found !== undefined);
  const price = pattern === undefined ? undefined : prices[pattern];
  // Model names come from requests: bound what is remembered.
  if (byModel.size >= 10_000) byModel.clear();
  byModel.set(model, price);
  return price;
}
