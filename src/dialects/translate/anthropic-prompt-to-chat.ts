/**
 * Anthropic's `system` and `messages` as a Chat Completions conversation.
 *
 * - `system` (a string or text blocks) becomes the first message, role `system`; a `system`
 *   turn inside `messages` (API 2026-10-21) stays where it is.
 * - A user turn's `tool_result` blocks become `tool` messages, placed first: OpenAI wants the
 *   results right after the assistant message that called the tools; the turn's other blocks
 *   follow as one user message.
 * - Assistant `tool_use` blocks become `tool_calls` (`input` serialised as `arguments`).
 * - Dropped: `thinking` and `redacted_thinking` blocks of earlier turns (a chat request has no
 *   field for them), `cache_control`, citations attached to text (the text stays), and
 *   `is_error` on a tool result (its content says what went wrong).
 * - Refused: server tool blocks (web search and the like run on Anthropic's side), search
 *   results, images inside tool results (a `tool` message carries text only), and documents
 *   other than base64 PDFs (media.ts).
 */
import { anthropicDocumentToChat, anthropicImageToChat } from './media.ts';
import { type JsonObject, arrayAt, isUnset, objectAt, stringAt, untranslatable } from './json.ts';
import { unsignedCall } from './thought-signatures.ts';

export function anthropicPromptToChat(system: unknown, messages: unknown): JsonObject[] {
  const out: JsonObject[] = [];
  if (!isUnset(system)) out.push({ role: 'system', content: textContent(system, 'system') });
  arrayAt(messages, 'messages').forEach((value, i) => {
    const param = `messages[${i}]`;
    const message = objectAt(value, param);
    const at = `${param}.content`;
    switch (message.role) {
      case 'system':
        out.push({ role: 'system', content: textContent(message.content, at) });
        return;
      case 'user':
        out.push(...userMessages(message.content, at));
        return;
      case 'assistant':
        out.push(...assistantMessage(message.content, at));
        return;
      default:
        throw untranslatable(`${param}.role`, 'expected user, assistant or system.');
    }
  });
  return out;
}

/** A string, or text blocks as text parts (a lone one as a plain string). */
function textContent(content: unknown, param: string): string | JsonObject[] {
  if (typeof content === 'string') return content;
  const parts = arrayAt(content, param).map((value, j) => {
    const block = objectAt(value, `${param}[${j}]`);
    if (block.type !== 'text') {
      throw untranslatable(`${param}[${j}].type`, 'only text blocks are allowed here.');
    }
    return { type: 'text', text: stringAt(block.text, `${param}[${j}].text`) };
  });
  return parts.length === 1 && parts[0] !== undefined ? parts[0].text : parts;
}

function userMessages(content: unknown, param: string): JsonObject[] {
  if (typeof content === 'string') return [{ role: 'user', content }];
  const tools: JsonObject[] = [];
  const parts: JsonObject[] = [];
  arrayAt(content, param).forEach((value, j) => {
    const at = `${param}[${j}]`;
    const block = objectAt(value, at);
    switch (block.type) {
      case 'tool_result':
        tools.push(toolMessage(block, at));
        return;
      case 'text':
        parts.push({ type: 'text', text: stringAt(block.text, `${at}.text`) });
        return;
      case 'image':
        parts.push(anthropicImageToChat(block, at));
        return;
      case 'document':
        parts.push(anthropicDocumentToChat(block, at));
        return;
      default:
        throw untranslatable(
          `${at}.type`,
          `${String(block.type)} blocks have no OpenAI-compatible form.`,
        );
    }
  });
  if (parts.length === 0) return tools;
  const lone = parts.length === 1 && parts[0]?.type === 'text' ? parts[0].text : undefined;
  return [...tools, { role: 'user', content: lone ?? parts }];
}

function toolMessage(block: JsonObject, param: string): JsonObject {
  const content = block.content;
  return {
    role: 'tool',
    tool_call_id: unsignedCall(stringAt(block.tool_use_id, `${param}.tool_use_id`)).id,
    content: isUnset(content) ? '' : textContent(content, `${param}.content`),
  };
}

/** One assistant message, or none when nothing in the turn can be sent (thinking only). */
function assistantMessage(content: unknown, param: string): JsonObject[] {
  if (typeof content === 'string') return [{ role: 'assistant', content }];
  let text = '';
  const calls: JsonObject[] = [];
  arrayAt(content, param).forEach((value, j) => {
    const at = `${param}[${j}]`;
    const block = objectAt(value, at);
    switch (block.type) {
      case 'text':
        text += stringAt(block.text, `${at}.text`);
        return;
      case 'tool_use': {
        const { id, extra } = unsignedCall(stringAt(block.id, `${at}.id`));
        calls.push({
          id,
          type: 'function',
          function: {
            name: stringAt(block.name, `${at}.name`),
            // An input that was not a JSON object came back as the raw text (responses.ts).
            arguments:
              typeof block.input === 'string' ? block.input : JSON.stringify(block.input ?? {}),
          },
          ...extra,
        });
        return;
      }
      case 'thinking':
      case 'redacted_thinking':
        return;
      default:
        throw untranslatable(
          `${at}.type`,
          `${String(block.type)} blocks have no OpenAI-compatible form.`,
        );
    }
  });
  if (text === '' && calls.length === 0) return [];
  return [
    {
      role: 'assistant',
      content: text === '' ? null : text,
      ...(calls.length === 0 ? {} : { tool_calls: calls }),
    },
  ];
}
