/**
 * A Chat Completions request as an Anthropic Messages request, for `POST /v1/messages` with
 * `anthropic-version: 2023-06-01` (version 2026-10-21 refuses `temperature` and `top_p` at any
 * value).
 *
 * Mapped: `model`; `messages` (chat-prompt-to-anthropic.ts); `max_completion_tokens` or
 * `max_tokens` → `max_tokens`, which Anthropic requires: without either, DEFAULT_MAX_TOKENS,
 * which every Claude model accepts (LiteLLM's default too) and whose cut shows as
 * `finish_reason: "length"`; `stop` → `stop_sequences`; `temperature` (Anthropic's range is
 * 0–1, so above 1 is refused rather than squeezed); `top_p`; `top_k` (an extension some
 * clients send); `stream`; tools, `tool_choice`, `parallel_tool_calls` (tools.ts);
 * `response_format` `json_schema` → `output_config.format`; `reasoning_effort` → adaptive
 * `thinking` with `output_config.effort` (`none` turns thinking off; `minimal` reads as `low`).
 *
 * Dropped, as they change nothing the client sees: `user`, `safety_identifier`, `metadata`,
 * `store`, `service_tier`, `seed` (best effort at OpenAI too), `prediction` (latency only),
 * `prompt_cache_key`, `prompt_cache_retention`, `prompt_cache_options`, `stream_options` (the
 * stream translator is told `include_usage`), and the settings below at their defaults.
 *
 * Refused with a 400 naming the field: what would change the answer and has no Anthropic
 * equivalent (DEFAULTS_ONLY), `response_format: json_object` (Anthropic constrains output only
 * to a schema), and any field not named here.
 */
import { InvalidFieldError } from '../../errors/index.ts';
import { chatPromptToAnthropic } from './chat-prompt-to-anthropic.ts';
import {
  type JsonObject,
  asNumber,
  isObject,
  isUnset,
  objectAt,
  stringAt,
  untranslatable,
} from './json.ts';
import { chatToolChoiceToAnthropic, chatToolsToAnthropic } from './tools.ts';

export const DEFAULT_MAX_TOKENS = 4096;

const MAPPED = new Set([
  'model',
  'messages',
  'max_tokens',
  'max_completion_tokens',
  'stop',
  'temperature',
  'top_p',
  'top_k',
  'stream',
  'tools',
  'tool_choice',
  'parallel_tool_calls',
  'response_format',
  'reasoning_effort',
]);

const DROPPED = new Set([
  'user',
  'safety_identifier',
  'metadata',
  'store',
  'service_tier',
  'seed',
  'prediction',
  'prompt_cache_key',
  'prompt_cache_retention',
  'prompt_cache_options',
  'stream_options',
]);

type DefaultRule = readonly [(v: unknown) => boolean, string];

/**
 * Fields accepted only unset or at their default, and why another value cannot be honoured. A
 * Map, not an object: the keys are the client's, and an object also answers `constructor`.
 */
const DEFAULTS_ONLY: ReadonlyMap<string, DefaultRule> = new Map(
  Object.entries<DefaultRule>({
    n: [(v) => v === 1, 'Anthropic returns one choice per request.'],
    logprobs: [(v) => v === false, 'Anthropic reports no log probabilities.'],
    top_logprobs: [(v) => v === 0, 'Anthropic reports no log probabilities.'],
    frequency_penalty: [(v) => v === 0, 'Anthropic has no frequency penalty.'],
    presence_penalty: [(v) => v === 0, 'Anthropic has no presence penalty.'],
    logit_bias: [(v) => isObject(v) && Object.keys(v).length === 0, 'Anthropic has no logit bias.'],
    modalities: [
      (v) => Array.isArray(v) && v.every((m) => m === 'text'),
      'Anthropic models answer in text only.',
    ],
    audio: [() => false, 'Anthropic models produce no audio.'],
    verbosity: [(v) => v === 'medium', 'Anthropic has no verbosity setting.'],
    web_search_options: [() => false, 'web search is a tool run by OpenAI.'],
    moderation: [() => false, 'moderation is run by OpenAI.'],
    functions: [() => false, 'deprecated: send tools instead.'],
    function_call: [() => false, 'deprecated: send tool_choice instead.'],
  }),
);

/** Chat Completions request → Messages request. Throws a 400 SluiceError naming what cannot map. */
export function chatRequestToMessages(
  body: Record<string, unknown>,
  options: { readonly defaultMaxTokens?: number } = {},
): Record<string, unknown> {
  for (const [key, value] of Object.entries(body)) checkField(key, value);
  const { system, messages } = chatPromptToAnthropic(body.messages);
  const out: JsonObject = {
    model: stringAt(body.model, 'model'),
    max_tokens: maxTokens(body) ?? options.defaultMaxTokens ?? DEFAULT_MAX_TOKENS,
    messages,
  };
  if (system.length > 0) out.system = system;
  const stop = stopSequences(body.stop);
  if (stop.length > 0) out.stop_sequences = stop;
  const temperature = asNumber(body.temperature);
  if (temperature !== undefined && temperature > 1) {
    throw untranslatable('temperature', 'Anthropic takes a temperature from 0 to 1.');
  }
  for (const key of ['temperature', 'top_p', 'top_k']) {
    if (!isUnset(body[key])) out[key] = body[key];
  }
  if (typeof body.stream === 'boolean') out.stream = body.stream;
  const tools = isUnset(body.tools) ? [] : chatToolsToAnthropic(body.tools);
  if (tools.length > 0) out.tools = tools;
  const toolChoice = chatToolChoiceToAnthropic(body.tool_choice, body.parallel_tool_calls);
  if (toolChoice !== undefined && out.tools !== undefined) out.tool_choice = toolChoice;
  const format = outputFormat(body.response_format);
  const reasoning = reasoningOf(body.reasoning_effort);
  if (reasoning.thinking !== undefined) out.thinking = reasoning.thinking;
  const outputConfig = { ...reasoning.outputConfig, ...format };
  if (Object.keys(outputConfig).length > 0) out.output_config = outputConfig;
  return out;
}

/** What a count (`/v1/messages/count_tokens`) takes of a Messages request: no output settings. */
const COUNTED = [
  'model',
  'messages',
  'system',
  'tools',
  'tool_choice',
  'thinking',
  'output_config',
];

/** A Messages request's count body: the prompt and what shapes it (Anthropic refuses the rest). */
export function messagesCountBody(request: Record<string, unknown>): JsonObject {
  const out: JsonObject = {};
  for (const key of COUNTED) if (request[key] !== undefined) out[key] = request[key];
  return out;
}

function checkField(key: string, value: unknown): void {
  if (MAPPED.has(key) || DROPPED.has(key) || isUnset(value)) return;
  const rule = DEFAULTS_ONLY.get(key);
  if (rule === undefined) throw untranslatable(key, 'Anthropic has no such field.');
  const [isDefault, why] = rule;
  if (!isDefault(value)) throw untranslatable(key, why);
}

function maxTokens(body: JsonObject): number | undefined {
  const key = isUnset(body.max_completion_tokens) ? 'max_tokens' : 'max_completion_tokens';
  const value = body[key];
  if (isUnset(value)) return undefined;
  if (typeof value === 'number' && Number.isInteger(value) && value > 0) return value;
  throw new InvalidFieldError(key, `${key} must be a positive integer.`);
}

function stopSequences(stop: unknown): string[] {
  if (isUnset(stop)) return [];
  if (typeof stop === 'string') return [stop];
  if (Array.isArray(stop) && stop.every((s) => typeof s === 'string')) return stop;
  throw new InvalidFieldError('stop', 'stop must be a string or an array of strings.');
}

function outputFormat(format: unknown): JsonObject {
  if (isUnset(format)) return {};
  const f = objectAt(format, 'response_format');
  if (f.type === 'text') return {};
  if (f.type === 'json_schema') {
    const schema = objectAt(f.json_schema, 'response_format.json_schema');
    return {
      format: {
        type: 'json_schema',
        schema: objectAt(schema.schema, 'response_format.json_schema.schema'),
      },
    };
  }
  throw untranslatable(
    'response_format',
    'Anthropic constrains output only to a JSON schema: send type json_schema.',
  );
}

const EFFORTS = new Set(['low', 'medium', 'high', 'xhigh', 'max']);

function reasoningOf(effort: unknown): { thinking?: JsonObject; outputConfig: JsonObject } {
  if (isUnset(effort)) return { outputConfig: {} };
  if (effort === 'none') return { thinking: { type: 'disabled' }, outputConfig: {} };
  const level = effort === 'minimal' ? 'low' : effort;
  if (typeof level !== 'string' || !EFFORTS.has(level)) {
    throw untranslatable(
      'reasoning_effort',
      'expected none, minimal, low, medium, high, xhigh or max.',
    );
  }
  return { thinking: { type: 'adaptive' }, outputConfig: { effort: level } };
}
