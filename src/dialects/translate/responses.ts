/**
 * Whole (non-streamed) answers in the other API's shape, mapped as the streams are: text ⇄
 * `content`, thinking ⇄ `reasoning_content`, `tool_use` ⇄ `tool_calls`, stop reasons
 * (finish-reasons.ts) and usage (token-counts.ts). Anthropic's signatures, redacted thinking and
 * citations have no Chat Completions field and are dropped.
 *
 * Tool arguments that are not a JSON object (a model's slip) reach an Anthropic client as the
 * raw text in `input` rather than as `{}`: its tool code sees what the model said, and the text
 * goes back upstream unchanged if the client returns the call in its history.
 */
import { randomUUID } from 'node:crypto';
import { UpstreamProtocolError } from '../../errors/index.ts';
import { anthropicStopReason, chatFinishReason } from './finish-reasons.ts';
import { type JsonObject, asArray, asString, isObject } from './json.ts';
import { anthropicUsage, chatUsage, readAnthropicCounts, readChatCounts } from './token-counts.ts';
import { signedCallId } from './thought-signatures.ts';

/** An Anthropic Message as a `chat.completion`. */
export function messagesResponseToChat(
  json: unknown,
  model: string,
  created = Math.floor(Date.now() / 1000),
): Record<string, unknown> {
  const blocks = isObject(json) ? asArray(json.content) : undefined;
  if (!isObject(json) || blocks === undefined) {
    throw new UpstreamProtocolError('anthropic', 'the answer is not a Messages response.');
  }
  let text = '';
  let reasoning = '';
  const calls: JsonObject[] = [];
  for (const block of blocks) {
    if (!isObject(block)) continue;
    if (block.type === 'text') text += asString(block.text) ?? '';
    if (block.type === 'thinking') reasoning += asString(block.thinking) ?? '';
    if (block.type === 'tool_use') {
      calls.push({
        id: asString(block.id) ?? '',
        type: 'function',
        function: {
          name: asString(block.name) ?? '',
          arguments: JSON.stringify(block.input ?? {}),
        },
      });
    }
  }
  const message: JsonObject = {
    role: 'assistant',
    content: text === '' && calls.length > 0 ? null : text,
    refusal: null,
  };
  if (reasoning !== '') message.reasoning_content = reasoning;
  if (calls.length > 0) message.tool_calls = calls;
  return {
    id: asString(json.id) ?? '',
    object: 'chat.completion',
    created,
    model: asString(json.model) || model,
    choices: [
      { index: 0, message, logprobs: null, finish_reason: chatFinishReason(json.stop_reason) },
    ],
    usage: chatUsage(readAnthropicCounts(json.usage)),
  };
}

/** A `chat.completion` as an Anthropic Message. */
export function chatResponseToMessages(json: unknown, model: string): Record<string, unknown> {
  const choice = isObject(json) ? asArray(json.choices)?.[0] : undefined;
  if (!isObject(json) || !isObject(choice)) {
    throw new UpstreamProtocolError('openai', 'the answer is not a chat completion.');
  }
  const message = isObject(choice.message) ? choice.message : {};
  const content: JsonObject[] = [];
  const reasoning = asString(message.reasoning_content) ?? asString(message.reasoning);
  if (reasoning) content.push({ type: 'thinking', thinking: reasoning, signature: '' });
  for (const text of [asString(message.content), asString(message.refusal)]) {
    if (text) content.push({ type: 'text', text });
  }
  const calls = asArray(message.tool_calls) ?? [];
  for (const call of calls) {
    if (!isObject(call)) continue;
    const fn = isObject(call.function) ? call.function : {};
    content.push({
      type: 'tool_use',
      id: signedCallId(asString(call.id) ?? '', call),
      name: asString(fn.name) ?? '',
      input: toolInput(asString(fn.arguments) ?? ''),
    });
  }
  const stopReason = anthropicStopReason(choice.finish_reason);
  return {
    id: asString(json.id) || `msg_${randomUUID().replaceAll('-', '')}`,
    type: 'message',
    role: 'assistant',
    model: asString(json.model) || model,
    content,
    // Some compatible servers finish a turn of tool calls with `stop`.
    stop_reason: stopReason === 'end_turn' && calls.length > 0 ? 'tool_use' : stopReason,
    stop_sequence: null,
    usage: anthropicUsage(readChatCounts(json.usage)),
  };
}

function toolInput(args: string): unknown {
  if (args.trim() === '') return {};
  try {
    const input: unknown = JSON.parse(args);
    return isObject(input) ? input : args;
  } catch {
    return args;
  }
}
