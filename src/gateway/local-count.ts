/**
 * A token count no upstream can give, counted here: a Messages client's `count_tokens` for a
 * model only OpenAI-family or Bedrock upstreams serve (they have no such route; Claude Code asks
 * before it sends, to size its context), or a Responses client's `input_tokens` for a model only
 * upstreams without the Responses API serve. The prompt is counted as it would be sent —
 * translated to Chat Completions — with the tokenizer metering estimates with (o200k_base,
 * `metering/tokens.ts`): an estimate, and the answer's `x-sluice-token-count` says so.
 */
import { messagesRequestToChat, responsesRequestToChat } from '../dialects/index.ts';
import { parseJsonObject } from '../http/index.ts';
import { estimatePromptTokens } from '../metering/index.ts';
import type { ParsedRequest } from './request.ts';

export interface LocalCount {
  /** The answer in the client's shape. */
  answer(): Promise<Record<string, unknown>>;
}

/** Says a count is Sluice's estimate, not the provider's own. */
export const ESTIMATED = { 'x-sluice-token-count': 'estimate' } as const;

/**
 * The count for a counting request, its body checked now (a field the translation cannot
 * carry is the same 400 the request itself would get); undefined for any other route.
 */
export function localCountFor(parsed: ParsedRequest): LocalCount | undefined {
  if (!Buffer.isBuffer(parsed.body)) return undefined;
  if (parsed.pathname === '/v1/messages/count_tokens') {
    const chat = messagesRequestToChat(parseJsonObject(parsed.body), 'count');
    return { answer: async () => ({ input_tokens: await estimatePromptTokens(chat) }) };
  }
  if (parsed.pathname === '/v1/responses/input_tokens') {
    const chat = responsesRequestToChat(parseJsonObject(parsed.body), 'count');
    return {
      answer: async () => ({
        object: 'response.input_tokens',
        input_tokens: await estimatePromptTokens(chat),
      }),
    };
  }
  return undefined;
}
