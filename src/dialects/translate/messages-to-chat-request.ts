/**
 * An Anthropic Messages request as a Chat Completions request, for `POST /v1/chat/completions`
 * on an OpenAI-family upstream.
 *
 * Mapped: `model`; `system` and `messages` (anthropic-prompt-to-chat.ts); `max_tokens` →
 * `max_completion_tokens` (OpenAI's current name; reasoning models refuse `max_tokens`);
 * `stop_sequences` → `stop`; `temperature`; `top_p`; `stream`, with
 * `stream_options.include_usage` so the Anthropic client gets its usage; tools and
 * `tool_choice` (tools.ts); `output_config.effort` → `reasoning_effort`, or else an enabled
 * `thinking` budget → an effort by size; `output_config.format` (or the older top-level
 * `output_format`) → `response_format` `json_schema`, strict, as Anthropic's is.
 *
 * Dropped, as they change nothing the client sees: `metadata` (its `user_id` is the client's
 * own namespace), `service_tier`, `speed`, `cache_control`, `diagnostics`, `workspace_id`,
 * `user_profile_id`, `thinking: disabled` (OpenAI-family models have no common switch for it).
 *
 * Refused with a 400 naming the field: `top_k` (OpenAI samples with no top-k), `inference_geo`
 * (a residency promise another provider cannot keep), `container`, `mcp_servers`,
 * `context_management` (run by Anthropic), and any field not named here.
 */
import { InvalidFieldError } from '../../errors/index.ts';
import { anthropicPromptToChat } from './anthropic-prompt-to-chat.ts';
import {
  type JsonObject,
  asNumber,
  isObject,
  isUnset,
  objectAt,
  stringAt,
  untranslatable,
} from './json.ts';
import { anthropicToolChoiceToChat, anthropicToolsToChat } from './tools.ts';
import type { RequestPurpose } from './types.ts';

const MAPPED = new Set([
  'model',
  'messages',
  'system',
  'max_tokens',
  'stop_sequences',
  'temperature',
  'top_p',
  'stream',
  'tools',
  'tool_choice',
  'thinking',
  'output_config',
  'output_format',
]);

const DROPPED = new Set([
  'metadata',
  'service_tier',
  'speed',
  'cache_control',
  'diagnostics',
  'workspace_id',
  'user_profile_id',
]);

/**
 * Messages request → Chat Completions request (`stream_options.include_usage` when streaming).
 * For a count (`count_tokens`), the prompt alone: no `max_tokens` is needed.
 */
export function messagesRequestToChat(
  body: Record<string, unknown>,
  purpose: RequestPurpose = 'answer',
): Record<string, unknown> {
  for (const [key, value] of Object.entries(body)) {
    if (MAPPED.has(key) || DROPPED.has(key) || isUnset(value)) continue;
    if (key === 'top_k') throw untranslatable(key, 'OpenAI-compatible models take no top_k.');
    throw untranslatable(key, 'OpenAI-compatible models have no such field.');
  }
  const out: JsonObject = {
    model: stringAt(body.model, 'model'),
    messages: anthropicPromptToChat(body.system, body.messages),
  };
  const maxTokens = body.max_tokens;
  if (purpose === 'answer') {
    if (typeof maxTokens !== 'number' || !Number.isInteger(maxTokens) || maxTokens < 1) {
      throw new InvalidFieldError('max_tokens', 'max_tokens must be a positive integer.');
    }
    out.max_completion_tokens = maxTokens;
  }
  if (Array.isArray(body.stop_sequences) && body.stop_sequences.length > 0) {
    out.stop = body.stop_sequences;
  }
  for (const key of ['temperature', 'top_p']) {
    if (!isUnset(body[key])) out[key] = body[key];
  }
  if (body.stream === true) {
    out.stream = true;
    out.stream_options = { include_usage: true };
  }
  const tools = isUnset(body.tools) ? [] : anthropicToolsToChat(body.tools);
  if (tools.length > 0) {
    out.tools = tools;
    Object.assign(out, anthropicToolChoiceToChat(body.tool_choice));
  }
  const config = isUnset(body.output_config) ? {} : objectAt(body.output_config, 'output_config');
  const effort = reasoningEffort(config.effort, body.thinking);
  if (effort !== undefined) out.reasoning_effort = effort;
  const format = config.format ?? body.output_format;
  if (!isUnset(format)) out.response_format = responseFormat(format);
  return out;
}

const EFFORTS = new Set(['low', 'medium', 'high', 'xhigh', 'max']);

function reasoningEffort(effort: unknown, thinking: unknown): string | undefined {
  if (!isUnset(effort)) {
    if (typeof effort === 'string' && EFFORTS.has(effort)) return effort;
    throw untranslatable('output_config.effort', 'expected low, medium, high, xhigh or max.');
  }
  if (!isObject(thinking) || thinking.type !== 'enabled') return undefined;
  // Budgets by size; Anthropic's minimum budget is 1,024 tokens.
  const budget = asNumber(thinking.budget_tokens) ?? 0;
  return budget < 4096 ? 'low' : budget < 16384 ? 'medium' : 'high';
}

function responseFormat(format: unknown): JsonObject {
  const f = objectAt(format, 'output_config.format');
  if (f.type !== 'json_schema') {
    throw untranslatable('output_config.format.type', 'expected json_schema.');
  }
  return {
    type: 'json_schema',
    json_schema: {
      name: 'response',
      schema: objectAt(f.schema, 'output_config.format.schema'),
      strict: true,
    },
  };
}
