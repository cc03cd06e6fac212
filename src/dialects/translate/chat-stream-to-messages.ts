/**
 * A Chat Completions stream as Anthropic Messages events, one upstream chunk at a time, in the
 * order `@anthropic-ai/sdk`'s MessageStream expects: `message_start`, then per content block
 * `content_block_start`, deltas, `content_block_stop`, then `message_delta` and
 * `message_stop`.
 *
 * - The first chunk with a choice or usage → `message_start` (the chunk's id and model; usage
 *   zero, as OpenAI reports counts only at the end). Azure's leading filter chunk, with neither,
 *   gives nothing.
 * - `reasoning_content` (DeepSeek, xAI) or `reasoning` → a `thinking` block, without a
 *   signature (there is none to give); `content` and `refusal` → a `text` block; each tool call
 *   → a `tool_use` block (id and name from its first fragment) whose `arguments` fragments are
 *   `input_json_delta`s. A change of kind closes the open block and opens the next.
 * - `finish_reason` → the open block closes and the stop reason is kept; `message_delta` (stop
 *   reason and usage) and `message_stop` follow once the usage is known too, or at `[DONE]`.
 *   This is the one hold the formats force: OpenAI sends the finish and the usage in two
 *   chunks, Anthropic in one event.
 * - An in-band `{"error": …}` → `event: error`, and nothing after it.
 */
import { randomUUID } from 'node:crypto';
import { UpstreamProtocolError } from '../../errors/index.ts';
import { formatEvent } from '../../sse/index.ts';
import { anthropicMessages } from '../anthropic-messages.ts';
import { firstChoice, parseChatChunk } from './chat-chunks.ts';
import { chatErrorToMessages } from './errors.ts';
import { type AnthropicStopReason, anthropicStopReason } from './finish-reasons.ts';
import { type JsonObject, asArray, asNumber, asString, isObject, isUnset } from './json.ts';
import { type AnthropicCounts, NO_COUNTS, anthropicUsage, readChatCounts } from './token-counts.ts';
import type { StreamTranslator } from './types.ts';
import { signedCallId } from './thought-signatures.ts';

export interface ChatStreamToMessagesOptions {
  /** Reported when the upstream's chunks name no model. */
  readonly model: string;
}

type BlockKind = 'text' | 'thinking' | 'tool';

export function chatStreamToMessages(o: ChatStreamToMessagesOptions): StreamTranslator {
  return new ChatToMessages(o);
}

class ChatToMessages implements StreamTranslator {
  failure: UpstreamProtocolError | undefined;
  readonly #o: ChatStreamToMessagesOptions;
  #started = false;
  #done = false;
  /** The Anthropic index the next content block gets. */
  #nextBlock = 0;
  #open: { readonly kind: BlockKind; readonly index: number } | undefined;
  /** OpenAI tool call index → Anthropic block index. */
  /** Chat tool call index → its block: a Map, as the upstream's index may be any number. */
  readonly #toolBlocks = new Map<number, number>();
  #stopReason: AnthropicStopReason | undefined;
  #counts: AnthropicCounts | undefined;

  constructor(o: ChatStreamToMessagesOptions) {
    this.#o = o;
  }

  event(_name: string | undefined, data: string): string {
    if (this.#done) return '';
    if (data === '[DONE]') return this.#finish();
    const chunk = parseChatChunk(data);
    if (typeof chunk === 'string') return this.#fail(chunk);
    if (!isUnset(chunk.error)) {
      this.#done = true;
      return event('error', chatErrorToMessages(chunk));
    }
    const choice = firstChoice(chunk);
    const usage = isObject(chunk.usage) ? chunk.usage : undefined;
    let out = '';
    if (!this.#started && (choice !== undefined || usage !== undefined)) out += this.#start(chunk);
    if (choice !== undefined) out += this.#choice(choice);
    if (usage !== undefined) this.#counts = readChatCounts(usage);
    if (this.#stopReason !== undefined && this.#counts !== undefined) out += this.#finish();
    return out;
  }

  end(): string {
    return this.#done ? '' : this.#finish();
  }

  #start(chunk: JsonObject): string {
    this.#started = true;
    return event('message_start', {
      type: 'message_start',
      message: {
        id: asString(chunk.id) || `msg_${randomUUID().replaceAll('-', '')}`,
        type: 'message',
        role: 'assistant',
        model: asString(chunk.model) || this.#o.model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: anthropicUsage(NO_COUNTS),
      },
    });
  }

  #choice(choice: JsonObject): string {
    const delta = isObject(choice.delta) ? choice.delta : {};
    let out = '';
    const reasoning = asString(delta.reasoning_content) ?? asString(delta.reasoning);
    if (reasoning) out += this.#text('thinking', reasoning);
    const text = asString(delta.content);
    if (text) out += this.#text('text', text);
    const refusal = asString(delta.refusal);
    if (refusal) out += this.#text('text', refusal);
    for (const call of asArray(delta.tool_calls) ?? []) {
      if (isObject(call)) out += this.#toolCall(call);
    }
    if (typeof choice.finish_reason === 'string') {
      out += this.#close();
      this.#stopReason = anthropicStopReason(choice.finish_reason);
    }
    return out;
  }

  #text(kind: 'text' | 'thinking', text: string): string {
    let out = '';
    if (this.#open?.kind !== kind) {
      out += this.#close();
      out += this.#openBlock(
        kind,
        kind === 'text'
          ? { type: 'text', text: '' }
          : { type: 'thinking', thinking: '', signature: '' },
      );
    }
    const delta =
      kind === 'text' ? { type: 'text_delta', text } : { type: 'thinking_delta', thinking: text };
    return out + this.#blockDelta(this.#open?.index ?? 0, delta);
  }

  #toolCall(call: JsonObject): string {
    const callIndex = asNumber(call.index) ?? 0;
    const fn = isObject(call.function) ? call.function : {};
    let out = '';
    let block = this.#toolBlocks.get(callIndex);
    if (block === undefined) {
      out += this.#close();
      block = this.#nextBlock;
      this.#toolBlocks.set(callIndex, block);
      out += this.#openBlock('tool', {
        type: 'tool_use',
        id: signedCallId(asString(call.id) || `toolu_${randomUUID().replaceAll('-', '')}`, call),
        name: asString(fn.name) ?? '',
        input: {},
      });
    }
    const args = asString(fn.arguments);
    // A fragment for a call whose block is no longer open (servers that interleave calls; none
    // recorded) still names its own block: the SDK accumulates by index.
    if (args) out += this.#blockDelta(block, { type: 'input_json_delta', partial_json: args });
    return out;
  }

  #openBlock(kind: BlockKind, contentBlock: JsonObject): string {
    const index = this.#nextBlock++;
    this.#open = { kind, index };
    return event('content_block_start', {
      type: 'content_block_start',
      index,
      content_block: contentBlock,
    });
  }

  #blockDelta(index: number, delta: JsonObject): string {
    return event('content_block_delta', { type: 'content_block_delta', index, delta });
  }

  #close(): string {
    if (this.#open === undefined) return '';
    const { index } = this.#open;
    this.#open = undefined;
    return event('content_block_stop', { type: 'content_block_stop', index });
  }

  #finish(): string {
    this.#done = true;
    let out = this.#started ? '' : this.#start({});
    out += this.#close();
    // Some compatible servers finish a turn of tool calls with `stop`, or not at all.
    const stopReason =
      this.#toolBlocks.size > 0 && (this.#stopReason ?? 'end_turn') === 'end_turn'
        ? 'tool_use'
        : (this.#stopReason ?? 'end_turn');
    out += event('message_delta', {
      type: 'message_delta',
      delta: { stop_reason: stopReason, stop_sequence: null },
      usage: anthropicUsage(this.#counts ?? NO_COUNTS),
    });
    return out + event('message_stop', { type: 'message_stop' });
  }

  #fail(message: string): string {
    this.#done = true;
    this.failure = new UpstreamProtocolError('openai', message);
    return anthropicMessages.errorEvent(this.failure, 0);
  }
}

function event(name: string, data: JsonObject): string {
  return formatEvent({ event: name, data: JSON.stringify(data) });
}
