/**
 * Token usage between the two APIs. OpenAI's `prompt_tokens` includes cached input
 * (`prompt_tokens_details.cached_tokens`, and `cache_write_tokens` where reported); Anthropic's
 * `input_tokens` excludes cache reads and writes, which it reports beside it. Anthropic's
 * counts in `message_delta` are cumulative and replace earlier ones field by field.
 */
import { chatOutput, count } from '../usage.ts';
import { type JsonObject, isObject } from './json.ts';

export interface AnthropicCounts {
  /** Input tokens neither read from nor written to the prompt cache. */
  readonly input: number;
  readonly output: number;
  readonly cacheRead: number;
  readonly cacheWrite: number;
  /** Output tokens spent thinking, when the provider says. */
  readonly thinking: number | undefined;
}

export const NO_COUNTS: AnthropicCounts = {
  input: 0,
  output: 0,
  cacheRead: 0,
  cacheWrite: 0,
  thinking: undefined,
};

/** `previous` with the fields an Anthropic `usage` object carries replaced. */
export function readAnthropicCounts(usage: unknown, previous = NO_COUNTS): AnthropicCounts {
  if (!isObject(usage)) return previous;
  const field = (name: string, old: number) =>
    typeof usage[name] === 'number' ? count(usage[name]) : old;
  const details = isObject(usage.output_tokens_details) ? usage.output_tokens_details : {};
  return {
    input: field('input_tokens', previous.input),
    output: field('output_tokens', previous.output),
    cacheRead: field('cache_read_input_tokens', previous.cacheRead),
    cacheWrite: field('cache_creation_input_tokens', previous.cacheWrite),
    thinking:
      typeof details.thinking_tokens === 'number'
        ? count(details.thinking_tokens)
        : previous.thinking,
  };
}

/** Counts read from an OpenAI `usage` object. */
export function readChatCounts(usage: unknown): AnthropicCounts {
  if (!isObject(usage)) return NO_COUNTS;
  const prompt = count(usage.prompt_tokens);
  const promptDetails = isObject(usage.prompt_tokens_details) ? usage.prompt_tokens_details : {};
  const cacheRead = count(promptDetails.cached_tokens);
  const cacheWrite = count(promptDetails.cache_write_tokens);
  // Anthropic's output_tokens includes thinking, as OpenAI's completion_tokens does; some
  // compatible servers count it beside (chatOutput).
  const { output, reasoning } = chatOutput(usage);
  return {
    input: Math.max(0, prompt - cacheRead - cacheWrite),
    output,
    cacheRead,
    cacheWrite,
    thinking: reasoning > 0 ? reasoning : undefined,
  };
}

/** OpenAI's `usage` object. */
export function chatUsage(c: AnthropicCounts): JsonObject {
  const prompt = c.input + c.cacheRead + c.cacheWrite;
  return {
    prompt_tokens: prompt,
    completion_tokens: c.output,
    total_tokens: prompt + c.output,
    prompt_tokens_details: {
      cached_tokens: c.cacheRead,
      ...(c.cacheWrite > 0 ? { cache_write_tokens: c.cacheWrite } : {}),
    },
    ...(c.thinking === undefined
      ? {}
      : { completion_tokens_details: { reasoning_tokens: c.thinking } }),
  };
}

/** Anthropic's `usage` object. */
export function anthropicUsage(c: AnthropicCounts): JsonObject {
  return {
    input_tokens: c.input,
    output_tokens: c.output,
    cache_read_input_tokens: c.cacheRead,
    cache_creation_input_tokens: c.cacheWrite,
    ...(c.thinking === undefined ? {} : { output_tokens_details: { thinking_tokens: c.thinking } }),
  };
}

/** The Responses API's `usage` object (output tokens include reasoning, as OpenAI counts them). */
export function responsesUsage(c: AnthropicCounts): JsonObject {
  const input = c.input + c.cacheRead + c.cacheWrite;
  return {
    input_tokens: input,
    input_tokens_details: { cached_tokens: c.cacheRead, cache_write_tokens: c.cacheWrite },
    output_tokens: c.output,
    output_tokens_details: { reasoning_tokens: c.thinking ?? 0 },
    total_tokens: input + c.output,
  };
}
