/**
 * A Chat Completions conversation as Anthropic's `system` and `messages`.
 *
 * - `system` and `developer` messages, wherever they stand, become `system` text blocks in
 *   order: Anthropic's system prompt is one top-level field (as LiteLLM and new-api do too).
 * - `tool` messages become `tool_result` blocks of a user turn, and consecutive turns of one role
 *   are merged, so the results of one round of calls share a single user turn, as Anthropic
 *   requires, with any user text after them.
 * - Assistant `tool_calls` become `tool_use` blocks; `arguments` must be a JSON object (or
 *   empty), since Anthropic takes the input parsed.
 * - Dropped, as they change nothing the model can use: empty text, `name` on messages (Anthropic
 *   has no participants), `image_url.detail`, and `reasoning_content` from earlier turns
 *   (Anthropic accepts earlier thinking only with its own signature).
 * - Refused: audio, deprecated `function_call`/`function` messages, OpenAI file ids.
 */
import { chatFileToAnthropic, chatImageToAnthropic } from './media.ts';
import {
  type JsonObject,
  arrayAt,
  asString,
  isObject,
  isUnset,
  objectAt,
  stringAt,
  untranslatable,
} from './json.ts';
import { anthropicToolId } from './tools.ts';

interface Turn {
  readonly role: 'user' | 'assistant';
  readonly content: JsonObject[];
}

export interface AnthropicPrompt {
  readonly system: JsonObject[];
  readonly messages: Turn[];
}

export function chatPromptToAnthropic(messages: unknown): AnthropicPrompt {
  const system: JsonObject[] = [];
  const turns: Turn[] = [];
  const push = (role: Turn['role'], blocks: JsonObject[]) => {
    if (blocks.length === 0) return;
    const last = turns.at(-1);
    if (last?.role === role) last.content.push(...blocks);
    else turns.push({ role, content: blocks });
  };
  arrayAt(messages, 'messages').forEach((value, i) => {
    const param = `messages[${i}]`;
    const message = objectAt(value, param);
    switch (message.role) {
      case 'system':
      case 'developer':
        system.push(...textBlocks(message.content, `${param}.content`));
        return;
      case 'user':
        push('user', userBlocks(message.content, `${param}.content`));
        return;
      case 'assistant':
        push('assistant', assistantBlocks(message, param));
        return;
      case 'tool':
        push('user', [toolResult(message, param)]);
        return;
      default:
        throw untranslatable(
          `${param}.role`,
          'expected system, developer, user, assistant or tool (function messages are deprecated: use tools).',
        );
    }
  });
  if (turns.length === 0) {
    throw untranslatable('messages', 'Anthropic needs at least one user or assistant message.');
  }
  return { system, messages: turns };
}

/** Text content (a string or text parts) as text blocks, empty ones left out. */
function textBlocks(content: unknown, param: string): JsonObject[] {
  if (typeof content === 'string') return content === '' ? [] : [{ type: 'text', text: content }];
  if (isUnset(content)) return [];
  return arrayAt(content, param).flatMap((value, j) => {
    const part = objectAt(value, `${param}[${j}]`);
    if (part.type !== 'text' && part.type !== 'refusal') {
      throw untranslatable(`${param}[${j}].type`, 'only text parts are allowed here.');
    }
    const text = stringAt(part.type === 'text' ? part.text : part.refusal, `${param}[${j}]`);
    return text === '' ? [] : [{ type: 'text', text }];
  });
}

function userBlocks(content: unknown, param: string): JsonObject[] {
  if (!Array.isArray(content)) return textBlocks(content, param);
  return content.flatMap((value: unknown, j) => {
    const at = `${param}[${j}]`;
    const part = objectAt(value, at);
    switch (part.type) {
      case 'text':
        return textBlocks([part], param);
      case 'image_url':
        return [chatImageToAnthropic(part, at)];
      case 'file':
        return [chatFileToAnthropic(part, at)];
      case 'input_audio':
        throw untranslatable(`${at}.type`, 'Anthropic models take no audio input.');
      default:
        throw untranslatable(`${at}.type`, `unknown content part ${String(part.type)}.`);
    }
  });
}

function assistantBlocks(message: JsonObject, param: string): JsonObject[] {
  if (!isUnset(message.audio)) {
    throw untranslatable(`${param}.audio`, 'Anthropic models produce no audio.');
  }
  if (!isUnset(message.function_call)) {
    throw untranslatable(`${param}.function_call`, 'deprecated: send tool_calls instead.');
  }
  const blocks = textBlocks(message.content, `${param}.content`);
  const refusal = asString(message.refusal);
  if (refusal !== undefined && refusal !== '') blocks.push({ type: 'text', text: refusal });
  if (isUnset(message.tool_calls)) return blocks;
  arrayAt(message.tool_calls, `${param}.tool_calls`).forEach((value, k) => {
    blocks.push(toolUse(value, `${param}.tool_calls[${k}]`));
  });
  return blocks;
}

function toolUse(value: unknown, param: string): JsonObject {
  const call = objectAt(value, param);
  if (call.type !== 'function') {
    throw untranslatable(`${param}.type`, 'Anthropic takes only function tool calls.');
  }
  const fn = objectAt(call.function, `${param}.function`);
  const args = stringAt(fn.arguments, `${param}.function.arguments`);
  return {
    type: 'tool_use',
    id: anthropicToolId(stringAt(call.id, `${param}.id`)),
    name: stringAt(fn.name, `${param}.function.name`),
    input: toolInput(args, `${param}.function.arguments`),
  };
}

function toolInput(args: string, param: string): JsonObject {
  if (args.trim() === '') return {};
  try {
    const input: unknown = JSON.parse(args);
    if (isObject(input)) return input;
  } catch {
    // Not JSON: refused below, like any non-object.
  }
  throw untranslatable(param, 'Anthropic takes tool input as a JSON object.');
}

function toolResult(message: JsonObject, param: string): JsonObject {
  const content = textBlocks(message.content, `${param}.content`);
  return {
    type: 'tool_result',
    tool_use_id: anthropicToolId(stringAt(message.tool_call_id, `${param}.tool_call_id`)),
    ...(content.length === 0 ? {} : { content }),
  };
}
