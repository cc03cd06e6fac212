/**
 * Anthropic Messages, field for field as api.anthropic.com sends them (see
 * test/fixtures/provider-streams/anthropic-messages): one text block, streamed as
 * message_start, content_block_start, ping, a text_delta per token, content_block_stop,
 * message_delta with the cumulative usage, message_stop.
 */
import { formatEvent } from '../../sse/index.ts';
import { demoReply, type DemoReply, type DemoUsage } from './answer.ts';
import { MODEL_ID } from './models.ts';
import { readPrompt } from './prompt.ts';
import type { DemoEndpoint, ReplyContext, StreamPlan } from './types.ts';

export const anthropicMessages: DemoEndpoint = {
  path: '/v1/messages',
  requestIdHeader: 'request-id',
  respond(body, context) {
    const reply = demoReply(readPrompt(body.messages, body.system));
    if (body.stream !== true) return { kind: 'json', body: anthropicMessage(reply, context) };
    return { kind: 'stream', plan: anthropicStream(reply, context) };
  },
};

export function anthropicMessage(reply: DemoReply, { id }: ReplyContext): object {
  return {
    id: `msg_${id}`,
    type: 'message',
    role: 'assistant',
    model: MODEL_ID,
    content: [{ type: 'text', text: reply.text }],
    stop_reason: 'end_turn',
    stop_sequence: null,
    usage: messageUsage(reply.usage, reply.usage.completionTokens),
  };
}

export function anthropicStream(reply: DemoReply, { id }: ReplyContext): StreamPlan {
  const frame = (type: string, fields: object = {}): string =>
    formatEvent({ event: type, data: JSON.stringify({ type, ...fields }) });
  const { promptTokens, completionTokens } = reply.usage;
  return {
    head: [
      frame('message_start', {
        message: {
          model: MODEL_ID,
          id: `msg_${id}`,
          type: 'message',
          role: 'assistant',
          content: [],
          stop_reason: null,
          stop_sequence: null,
          // Anthropic reports one output token at the start and the running total at the end.
          usage: messageUsage(reply.usage, 1),
        },
      }),
      frame('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }),
      frame('ping'),
    ],
    tokens: reply.tokens.map((text) =>
      frame('content_block_delta', { index: 0, delta: { type: 'text_delta', text } }),
    ),
    tail: [
      frame('content_block_stop', { index: 0 }),
      frame('message_delta', {
        delta: { stop_reason: 'end_turn', stop_sequence: null },
        usage: {
          input_tokens: promptTokens,
          cache_creation_input_tokens: 0,
          cache_read_input_tokens: 0,
          output_tokens: completionTokens,
        },
      }),
      frame('message_stop'),
    ],
  };
}

function messageUsage({ promptTokens }: DemoUsage, outputTokens: number): object {
  return {
    input_tokens: promptTokens,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: 0,
    cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 0 },
    output_tokens: outputTokens,
    service_tier: 'standard',
    inference_geo: 'not_available',
  };
}
