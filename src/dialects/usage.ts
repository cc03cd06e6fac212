/**
 * Token usage as providers report it, in one shape. Each dialect knows which of its events (or
 * which field of a whole JSON response) carries usage; only those are ever parsed.
 */
import type { UsageScan } from './types.ts';

export interface TokenUsage {
  /** Input tokens, cached ones included. */
  readonly promptTokens: number;
  readonly completionTokens: number;
  /** Input tokens served from the provider's prompt cache. */
  readonly cachedTokens: number;
  /** Output tokens spent on hidden reasoning (part of completionTokens). */
  readonly reasoningTokens: number;
  /** Input audio, for models billed by duration (`usage: {type: "duration"}`). */
  readonly audioSeconds?: number;
  /** Input text, for models billed by its length (speech). */
  readonly inputCharacters?: number;
  /**
   * Audio heard and spoken by a chat model (part of promptTokens and completionTokens), billed
   * at its audio rates.
   */
  readonly audioTokens?: { readonly input: number; readonly output: number };
  /** Input tokens that are images (part of promptTokens), for models that price them apart. */
  readonly imageTokens?: number;
  /** Images made, for models billed by the image, and their size and quality (`"hd 1024x1792"`). */
  readonly images?: { readonly count: number; readonly kind: string };
  /**
   * Input tokens written to Anthropic's prompt cache (part of promptTokens), billed above the
   * input rate: `minutes` for the 5-minute cache (1.25 ×), `hour` for the 1-hour one (2 ×).
   */
  readonly cacheWrites?: { readonly minutes: number; readonly hour: number };
  /** Run at OpenAI's priority processing (the answer's `service_tier`), billed at its own rates. */
  readonly priority?: true;
  /** Web searches the model ran, billed per search beside the tokens (`Price.searches`). */
  readonly searches?: number;
}

/** `usage` with `searches` web searches, when there were any. */
export function withSearches(usage: TokenUsage, searches: number): TokenUsage {
  return searches > 0 ? { ...usage, searches } : usage;
}

/** `usage` as run at the tier an OpenAI answer names in its `service_tier`. */
export function atTier(usage: TokenUsage | undefined, tier: unknown): TokenUsage | undefined {
  return usage !== undefined && tier === 'priority' ? { ...usage, priority: true } : usage;
}

/**
 * A non-negative integer read from a provider's JSON, or 0; at most `MAX_COUNT`. A count past
 * any real request (1e308 from a broken relay) is held there rather than believed: sums of it
 * were Infinity, records null, a token budget charged nothing and a cost budget locked.
 */
export function count(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0
    ? Math.min(Math.round(value), MAX_COUNT)
    : 0;
}

/** More tokens than any request has (context windows hold millions, not billions). */
export const MAX_COUNT = 2 ** 31 - 1;

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * OpenAI Chat/Completions/Embeddings: `{prompt_tokens, completion_tokens, *_details}`, with
 * `completionTokens` as what is billed as output (see `chatOutput`).
 */
export function openaiUsage(usage: unknown): TokenUsage | undefined {
  if (!isObject(usage)) return undefined;
  const prompt = isObject(usage.prompt_tokens_details) ? usage.prompt_tokens_details : {};
  const details = isObject(usage.completion_tokens_details) ? usage.completion_tokens_details : {};
  const { output, reasoning } = chatOutput(usage);
  const audio = { input: count(prompt.audio_tokens), output: count(details.audio_tokens) };
  return withSearches(
    {
      promptTokens: count(usage.prompt_tokens),
      completionTokens: output,
      cachedTokens: count(prompt.cached_tokens),
      reasoningTokens: reasoning,
      ...(audio.input + audio.output > 0 ? { audioTokens: audio } : {}),
    },
    // xAI's Live Search bills each source it used.
    count(usage.num_sources_used),
  );
}

/**
 * The output a Chat Completions `usage` bills, and the reasoning in it. OpenAI counts reasoning
 * inside `completion_tokens`. xAI and Gemini's OpenAI-compatible API count it beside — their
 * `total_tokens` is prompt + completion + reasoning; xAI names it in `reasoning_tokens`, Gemini
 * nowhere — and bill it as output all the same: what `total_tokens` holds beyond the prompt and
 * the completion is output spent reasoning.
 */
export function chatOutput(usage: Readonly<Record<string, unknown>>): {
  readonly output: number;
  readonly reasoning: number;
} {
  const details = isObject(usage.completion_tokens_details) ? usage.completion_tokens_details : {};
  const completion = count(usage.completion_tokens);
  const beside = count(usage.total_tokens) - count(usage.prompt_tokens) - completion;
  return beside > 0
    ? { output: completion + beside, reasoning: beside }
    : { output: completion, reasoning: count(details.reasoning_tokens) };
}

/** OpenAI transcription billed by duration: `{type: "duration", seconds}`. */
export function durationUsage(seconds: unknown): TokenUsage {
  const audioSeconds = typeof seconds === 'number' && seconds > 0 ? seconds : 0;
  return {
    promptTokens: 0,
    completionTokens: 0,
    cachedTokens: 0,
    reasoningTokens: 0,
    audioSeconds,
  };
}

/**
 * OpenAI Responses, images and transcriptions: `{input_tokens, output_tokens, *_details}`;
 * images say how many input tokens were images (`input_tokens_details.image_tokens`).
 */
export function responsesUsage(usage: unknown): TokenUsage | undefined {
  if (!isObject(usage)) return undefined;
  const input = isObject(usage.input_tokens_details) ? usage.input_tokens_details : {};
  const output = isObject(usage.output_tokens_details) ? usage.output_tokens_details : {};
  const imageTokens = count(input.image_tokens);
  return {
    promptTokens: count(usage.input_tokens),
    completionTokens: count(usage.output_tokens),
    cachedTokens: count(input.cached_tokens),
    reasoningTokens: count(output.reasoning_tokens),
    ...(imageTokens > 0 ? { imageTokens } : {}),
  };
}

/**
 * A whole Responses answer (a body, or the response of `response.completed`): its usage at its
 * tier, and its web searches (`isWebSearch`).
 */
export function responseUsage(response: Record<string, unknown>): TokenUsage | undefined {
  const usage = atTier(responsesUsage(response.usage), response.service_tier);
  if (usage === undefined || !Array.isArray(response.output)) return usage;
  return withSearches(usage, (response.output as unknown[]).filter(isWebSearch).length);
}

/**
 * A Responses output item that is a billed web search: a `web_search_call` that searched. The
 * same tool also opens pages and finds in them (`open_page`, `find_in_page`), which are not
 * searches; an item without its action is counted.
 */
export function isWebSearch(item: unknown): boolean {
  if (!isObject(item) || item.type !== 'web_search_call') return false;
  return !isObject(item.action) || item.action.type === 'search';
}

/** Usage with nothing counted yet. */
export const NO_USAGE: TokenUsage = Object.freeze({
  promptTokens: 0,
  completionTokens: 0,
  cachedTokens: 0,
  reasoningTokens: 0,
});

/**
 * Anthropic: `input_tokens` excludes cache reads and writes, which are reported beside it; the
 * counts in `message_delta` are cumulative and replace earlier ones field by field.
 */
export function anthropicUsage(usage: unknown, previous?: TokenUsage): TokenUsage | undefined {
  if (!isObject(usage)) return undefined;
  const has = (field: string) => typeof usage[field] === 'number';
  const cacheRead = count(usage.cache_read_input_tokens);
  const written = count(usage.cache_creation_input_tokens);
  const prompt = count(usage.input_tokens) + cacheRead + written;
  const anyInput =
    has('input_tokens') || has('cache_read_input_tokens') || has('cache_creation_input_tokens');
  const cacheWrites = has('cache_creation_input_tokens')
    ? cacheWritesOf(written, usage.cache_creation, previous?.cacheWrites)
    : previous?.cacheWrites;
  const tools = usage.server_tool_use;
  return withSearches(
    {
      promptTokens: anyInput ? prompt : (previous?.promptTokens ?? 0),
      completionTokens: has('output_tokens')
        ? count(usage.output_tokens)
        : (previous?.completionTokens ?? 0),
      cachedTokens: has('cache_read_input_tokens') ? cacheRead : (previous?.cachedTokens ?? 0),
      reasoningTokens: 0,
      ...(cacheWrites === undefined ? {} : { cacheWrites }),
    },
    isObject(tools) ? count(tools.web_search_requests) : (previous?.searches ?? 0),
  );
}

/**
 * Cache writes by how long they are kept: `cache_creation` splits them (1-hour writes cost
 * more). `message_delta` repeats the total without the split: the split `message_start` gave
 * stands. With neither, every write is a 5-minute one, the default.
 */
function cacheWritesOf(
  written: number,
  detail: unknown,
  previous: TokenUsage['cacheWrites'],
): TokenUsage['cacheWrites'] {
  if (written === 0) return undefined;
  const hour = isObject(detail) ? count(detail.ephemeral_1h_input_tokens) : (previous?.hour ?? 0);
  return { minutes: written - Math.min(hour, written), hour: Math.min(hour, written) };
}

/** What a scan found that reports usage and hides nothing (see `Dialect.scanUsage`). */
export function usageFound(usage: TokenUsage | undefined): UsageScan {
  return usage === undefined ? undefined : { kind: 'usage', usage, edit: undefined };
}
