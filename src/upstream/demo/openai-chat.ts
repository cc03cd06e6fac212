/**
 * OpenAI Chat Completions, field for field as api.openai.com sends them (see
 * test/fixtures/provider-streams/openai-chat): a role chunk, one chunk per token, a `stop`
 * chunk, the usage chunk only when `stream_options.include_usage` asks for it, then `[DONE]`.
 * The random `obfuscation` padding is left out; clients ignore it.
 */
import { formatEvent } from '../../sse/index.ts';
import { demoReply, type DemoReply, type DemoUsage } from './answer.ts';
import { MODEL_ID } from './models.ts';
import { isRecord, readPrompt } from './prompt.ts';
import type { DemoEndpoint, ReplyContext, StreamPlan } from './types.ts';

export const openaiChat: DemoEndpoint = {
  path: '/v1/chat/completions',
  requestIdHeader: 'x-request-id',
  respond(body, context) {
    const reply = demoReply(readPrompt(body.messages));
    if (body.stream !== true) return { kind: 'json', body: chatCompletion(reply, context) };
    const options = body.stream_options;
    const includeUsage = isRecord(options) && options.include_usage === true;
    return { kind: 'stream', plan: chatStream(reply, context, includeUsage) };
  },
};

const FINGERPRINT = 'fp_sluice_demo';

export function chatCompletion(reply: DemoReply, { id, created }: ReplyContext): object {
  return {
    id: `chatcmpl-${id}`,
    object: 'chat.completion',
    created,
    model: MODEL_ID,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: reply.text, refusal: null, annotations: [] },
        logprobs: null,
        finish_reason: 'stop',
      },
    ],
    usage: chatUsage(reply.usage),
    service_tier: 'default',
    system_fingerprint: FINGERPRINT,
  };
}

export function chatStream(
  reply: DemoReply,
  { id, created }: ReplyContext,
  includeUsage: boolean,
): StreamPlan {
  const frame = (choices: readonly object[], usage: object | null = null): string =>
    formatEvent({
      data: JSON.stringify({
        id: `chatcmpl-${id}`,
        object: 'chat.completion.chunk',
        created,
        model: MODEL_ID,
        service_tier: 'default',
        system_fingerprint: FINGERPRINT,
        choices,
        // OpenAI sends `usage: null` on every chunk only when usage was asked for.
        ...(includeUsage ? { usage } : {}),
      }),
    });
  const choice = (delta: object, finishReason: string | null = null): object => ({
    index: 0,
    delta,
    logprobs: null,
    finish_reason: finishReason,
  });
  return {
    head: [frame([choice({ role: 'assistant', content: '', refusal: null })])],
    tokens: reply.tokens.map((token) => frame([choice({ content: token })])),
    tail: [
      frame([choice({}, 'stop')]),
      ...(includeUsage ? [frame([], chatUsage(reply.usage))] : []),
      formatEvent({ data: '[DONE]' }),
    ],
  };
}

function chatUsage({ promptTokens, completionTokens }: DemoUsage): object {
  return {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: 0,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}
