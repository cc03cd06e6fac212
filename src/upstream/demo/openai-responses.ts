/**
 * The OpenAI Responses API, field for field as api.openai.com sends it (see
 * test/fixtures/provider-streams/openai-responses): one message item with one `output_text`
 * part, streamed as the full event sequence with `event:` names and `sequence_number` from 0.
 * Nothing is stored, so the response says `store: false`.
 */
import { formatEvent } from '../../sse/index.ts';
import { demoReply, type DemoReply, type DemoUsage } from './answer.ts';
import { MODEL_ID } from './models.ts';
import { isRecord, type Prompt, readPrompt } from './prompt.ts';
import type { DemoEndpoint, ReplyContext, StreamPlan } from './types.ts';

type Request = Readonly<Record<string, unknown>>;

export const openaiResponses: DemoEndpoint = {
  path: '/v1/responses',
  requestIdHeader: 'x-request-id',
  respond(body, context) {
    const reply = demoReply(responsesPrompt(body));
    if (body.stream !== true) {
      return { kind: 'json', body: completedResponse(reply, context, body) };
    }
    return { kind: 'stream', plan: responsesStream(reply, context, body) };
  },
};

/** `input` is a bare string or a list of messages; `instructions` counts as prompt too. */
export function responsesPrompt(body: Request): Prompt {
  const input =
    typeof body.input === 'string' ? [{ role: 'user', content: body.input }] : body.input;
  return readPrompt(input, body.instructions);
}

export function completedResponse(
  reply: DemoReply,
  context: ReplyContext,
  request: Request,
): object {
  return response(context, request, {
    status: 'completed',
    output: [message(context, 'completed', [outputText(reply.text)])],
    usage: responsesUsage(reply.usage),
  });
}

export function responsesStream(
  reply: DemoReply,
  context: ReplyContext,
  request: Request,
): StreamPlan {
  let sequence = 0;
  const frame = (type: string, fields: object): string =>
    formatEvent({
      event: type,
      data: JSON.stringify({ type, sequence_number: sequence++, ...fields }),
    });
  const started = response(context, request, { status: 'in_progress', output: [], usage: null });
  const itemId = `msg_${context.id}`;
  const at = { item_id: itemId, output_index: 0, content_index: 0 };
  const head = [
    frame('response.created', { response: started }),
    frame('response.in_progress', { response: started }),
    frame('response.output_item.added', {
      output_index: 0,
      item: message(context, 'in_progress', []),
    }),
    frame('response.content_part.added', { ...at, part: outputText('') }),
  ];
  const tokens = reply.tokens.map((delta) =>
    frame('response.output_text.delta', { ...at, delta, logprobs: [] }),
  );
  const done = completedResponse(reply, context, request);
  const tail = [
    frame('response.output_text.done', { ...at, text: reply.text, logprobs: [] }),
    frame('response.content_part.done', { ...at, part: outputText(reply.text) }),
    frame('response.output_item.done', {
      output_index: 0,
      item: message(context, 'completed', [outputText(reply.text)]),
    }),
    frame('response.completed', { response: done }),
  ];
  return { head, tokens, tail };
}

interface ResponseState {
  readonly status: 'in_progress' | 'completed';
  readonly output: readonly object[];
  readonly usage: object | null;
}

function response(
  { id, created }: ReplyContext,
  request: Request,
  { status, output, usage }: ResponseState,
): object {
  return {
    id: `resp_${id}`,
    object: 'response',
    created_at: created,
    status,
    background: false,
    error: null,
    incomplete_details: null,
    instructions: typeof request.instructions === 'string' ? request.instructions : null,
    max_output_tokens: null,
    max_tool_calls: null,
    model: MODEL_ID,
    output,
    parallel_tool_calls: true,
    previous_response_id: null,
    prompt_cache_key: null,
    prompt_cache_retention: null,
    reasoning: { effort: null, summary: null },
    safety_identifier: null,
    // As recorded: the tier requested while in progress, the one that served it when done.
    service_tier: status === 'completed' ? 'default' : 'auto',
    store: false,
    temperature: 1,
    text: { format: { type: 'text' }, verbosity: 'medium' },
    tool_choice: 'auto',
    tools: [],
    top_logprobs: 0,
    top_p: 1,
    truncation: 'disabled',
    usage,
    user: null,
    metadata: isRecord(request.metadata) ? request.metadata : {},
  };
}

function message(
  { id }: ReplyContext,
  status: 'in_progress' | 'completed',
  content: readonly object[],
): object {
  return { id: `msg_${id}`, type: 'message', status, content, role: 'assistant' };
}

function outputText(text: string): object {
  return { type: 'output_text', annotations: [], logprobs: [], text };
}

function responsesUsage({ promptTokens, completionTokens }: DemoUsage): object {
  return {
    input_tokens: promptTokens,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens: completionTokens,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: promptTokens + completionTokens,
  };
}
