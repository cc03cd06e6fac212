/**
 * A Responses API request as a Chat Completions request, for an upstream that serves Chat
 * Completions only (vLLM, DeepSeek, Ollama and the like: `"responses": false`).
 *
 * - `instructions` → a leading system message; `input` (text, or items) → messages: `message`
 *   items with their text and image parts, `function_call` items → an assistant turn's
 *   `tool_calls` (consecutive calls share one turn), `function_call_output` → `tool` messages;
 *   `reasoning` items of earlier turns are dropped (Chat has no way to send them back).
 * - Function tools, `tool_choice`, `parallel_tool_calls`; `max_output_tokens` → `max_tokens`
 *   (the name every Chat server knows); `text.format` → `response_format`;
 *   `reasoning.effort` → `reasoning_effort`; a stream asks for usage (`include_usage`).
 * - Refused with a 400 naming the field: what needs the provider to hold state
 *   (`previous_response_id`, `conversation`, `background`, `prompt`), tools the provider runs
 *   (web search, file search, …), parts Chat cannot carry (files, audio), and any field not
 *   named here. Settings that change nothing the client sees are dropped (`store`, `metadata`,
 *   `include`, …): nothing is stored, the answer is not retrievable later.
 */
import { InvalidFieldError } from '../../errors/index.ts';
import {
  type JsonObject,
  arrayAt,
  asString,
  isObject,
  isUnset,
  objectAt,
  setIfPresent,
  stringAt,
  untranslatable,
} from './json.ts';
import type { RequestPurpose } from './types.ts';
import { unsignedCall } from './thought-signatures.ts';

const MAPPED = new Set([
  'model',
  'input',
  'instructions',
  'tools',
  'tool_choice',
  'parallel_tool_calls',
  'max_output_tokens',
  'temperature',
  'top_p',
  'stream',
  'text',
  'reasoning',
  'user',
]);

/** What changes nothing the client sees once the answer is not stored. */
const DROPPED = new Set([
  'store',
  'metadata',
  'include',
  'service_tier',
  'truncation',
  'prompt_cache_key',
  'prompt_cache_retention',
  'safety_identifier',
  'stream_options',
  'top_logprobs',
  'max_tool_calls',
]);

/** Why a field that needs the provider's state or tools cannot be honoured. */
const NEEDS_PROVIDER = new Map([
  ['previous_response_id', 'the upstream keeps no earlier responses; send the whole input.'],
  ['conversation', 'the upstream keeps no conversations; send the whole input.'],
  ['background', 'the upstream runs no background responses.'],
  ['prompt', 'the upstream has no stored prompts.'],
]);

/**
 * Responses request → Chat Completions request. Throws a 400 naming what cannot map. For a
 * count (`/v1/responses/input_tokens`), the prompt alone: instructions without input count too,
 * and `personality` (a style a count's body may carry) is dropped.
 */
export function responsesRequestToChat(
  body: JsonObject,
  purpose: RequestPurpose = 'answer',
): JsonObject {
  for (const [key, value] of Object.entries(body)) {
    if (MAPPED.has(key) || DROPPED.has(key) || isUnset(value)) continue;
    if (key === 'personality' && purpose === 'count') continue;
    if (key === 'background' && value === false) continue;
    throw untranslatable(key, NEEDS_PROVIDER.get(key) ?? 'Chat Completions has no such field.');
  }
  const messages: JsonObject[] = [];
  const instructions = body.instructions;
  if (!isUnset(instructions))
    messages.push({ role: 'system', content: stringAt(instructions, 'instructions') });
  messages.push(...inputMessages(body.input));
  if (purpose === 'answer' && !messages.some((m) => m.role !== 'system'))
    throw new InvalidFieldError('input', 'input must hold at least one message to answer.');

  const out: JsonObject = { model: body.model, messages };
  const tools = isUnset(body.tools) ? [] : arrayAt(body.tools, 'tools').map(chatTool);
  if (tools.length > 0) out.tools = tools;
  if (!isUnset(body.tool_choice)) out.tool_choice = chatToolChoice(body.tool_choice);
  setIfPresent(out, 'parallel_tool_calls', body.parallel_tool_calls);
  setIfPresent(out, 'max_tokens', body.max_output_tokens);
  setIfPresent(out, 'temperature', body.temperature);
  setIfPresent(out, 'top_p', body.top_p);
  setIfPresent(out, 'user', body.user);
  const format = responseFormat(body.text);
  if (format !== undefined) out.response_format = format;
  const effort = isObject(body.reasoning) ? body.reasoning.effort : undefined;
  setIfPresent(out, 'reasoning_effort', effort);
  if (body.stream === true) {
    out.stream = true;
    out.stream_options = { include_usage: true };
  }
  return out;
}

function inputMessages(input: unknown): JsonObject[] {
  if (typeof input === 'string') return [{ role: 'user', content: input }];
  if (isUnset(input)) return [];
  const messages: JsonObject[] = [];
  arrayAt(input, 'input').forEach((raw, i) => {
    const param = `input[${i}]`;
    const item = objectAt(raw, param);
    const type = item.type ?? 'message';
    if (type === 'message') messages.push(message(item, param));
    else if (type === 'function_call') addToolCall(messages, item, param);
    else if (type === 'function_call_output')
      messages.push({
        role: 'tool',
        tool_call_id: unsignedCall(stringAt(item.call_id, `${param}.call_id`)).id,
        content: outputText(item.output, `${param}.output`),
      });
    else if (type !== 'reasoning')
      throw untranslatable(
        `${param}.type`,
        `Chat Completions has no ${JSON.stringify(type)} input.`,
      );
  });
  return messages;
}

function message(item: JsonObject, param: string): JsonObject {
  const role = item.role;
  if (role !== 'user' && role !== 'assistant' && role !== 'system' && role !== 'developer')
    throw new InvalidFieldError(
      `${param}.role`,
      `${param}.role must be user, assistant, system or developer.`,
    );
  // `developer` is OpenAI's newer name for system; Chat servers other than OpenAI know `system`.
  const chatRole = role === 'developer' ? 'system' : role;
  const content = item.content;
  if (typeof content === 'string') return { role: chatRole, content };
  const parts = arrayAt(content, `${param}.content`).map((raw, j) =>
    contentPart(raw, `${param}.content[${j}]`),
  );
  // Only a user turn may carry images; the others take text.
  if (chatRole !== 'user' || parts.every((p) => p.type === 'text'))
    return { role: chatRole, content: parts.map((p) => textOf(p, param)).join('') };
  return { role: chatRole, content: parts };
}

function contentPart(raw: unknown, param: string): JsonObject {
  const part = objectAt(raw, param);
  switch (part.type) {
    case 'input_text':
    case 'output_text':
      return { type: 'text', text: stringAt(part.text, `${param}.text`) };
    case 'refusal':
      return { type: 'text', text: stringAt(part.refusal, `${param}.refusal`) };
    case 'input_image': {
      const url = asString(part.image_url);
      if (url === undefined)
        throw untranslatable(`${param}.image_url`, 'Chat Completions takes images by URL only.');
      return {
        type: 'image_url',
        image_url: { url, ...(isUnset(part.detail) ? {} : { detail: part.detail }) },
      };
    }
    default:
      throw untranslatable(`${param}.type`, `Chat Completions has no "${String(part.type)}" part.`);
  }
}

function textOf(part: JsonObject, param: string): string {
  if (part.type === 'text') return part.text as string;
  throw untranslatable(`${param}.content`, 'only a user turn can carry images.');
}

/** A call joins the assistant turn just before it, if that turn is one. */
function addToolCall(messages: JsonObject[], item: JsonObject, param: string): void {
  const { id, extra } = unsignedCall(stringAt(item.call_id, `${param}.call_id`));
  const call = {
    id,
    type: 'function',
    function: {
      name: stringAt(item.name, `${param}.name`),
      arguments: stringAt(item.arguments, `${param}.arguments`),
    },
    ...extra,
  };
  const last = messages.at(-1);
  if (last?.role === 'assistant') {
    last.tool_calls = [...((last.tool_calls as JsonObject[] | undefined) ?? []), call];
    return;
  }
  messages.push({ role: 'assistant', content: null, tool_calls: [call] });
}

/** A tool's output: text, or text parts (other parts have no place in a `tool` message). */
function outputText(output: unknown, param: string): string {
  if (typeof output === 'string') return output;
  return arrayAt(output, param)
    .map((raw, i) => {
      const part = objectAt(raw, `${param}[${i}]`);
      if (part.type === 'input_text') return stringAt(part.text, `${param}[${i}].text`);
      throw untranslatable(`${param}[${i}].type`, 'a tool message carries text only.');
    })
    .join('');
}

function chatTool(raw: unknown, i: number): JsonObject {
  const tool = objectAt(raw, `tools[${i}]`);
  if (tool.type !== 'function')
    throw untranslatable(
      `tools[${i}].type`,
      `"${String(tool.type)}" is a tool the provider runs; Chat Completions takes functions only.`,
    );
  const fn: JsonObject = { name: stringAt(tool.name, `tools[${i}].name`) };
  setIfPresent(fn, 'description', tool.description);
  setIfPresent(fn, 'parameters', tool.parameters);
  setIfPresent(fn, 'strict', tool.strict);
  return { type: 'function', function: fn };
}

function chatToolChoice(choice: unknown): unknown {
  if (choice === 'auto' || choice === 'none' || choice === 'required') return choice;
  if (isObject(choice) && choice.type === 'function')
    return { type: 'function', function: { name: stringAt(choice.name, 'tool_choice.name') } };
  throw untranslatable('tool_choice', 'Chat Completions chooses among functions only.');
}

function responseFormat(text: unknown): JsonObject | undefined {
  if (isUnset(text)) return undefined;
  const format = objectAt(text, 'text').format;
  if (isUnset(format)) return undefined;
  const f = objectAt(format, 'text.format');
  if (f.type === 'text') return undefined;
  if (f.type === 'json_object') return { type: 'json_object' };
  if (f.type !== 'json_schema')
    throw untranslatable('text.format.type', `Chat Completions has no "${String(f.type)}" format.`);
  const schema: JsonObject = { name: stringAt(f.name, 'text.format.name') };
  setIfPresent(schema, 'schema', f.schema);
  setIfPresent(schema, 'strict', f.strict);
  setIfPresent(schema, 'description', f.description);
  return { type: 'json_schema', json_schema: schema };
}
