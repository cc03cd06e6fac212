/**
 * An Anthropic Messages stream as Chat Completions chunks, one upstream event at a time, each
 * answered at once (nothing is held back).
 *
 * - `message_start` → the first chunk, `delta: {role: "assistant", content: ""}`, with the
 *   message's id and model; a second `message_start` with the same id (recorded in the wild) is
 *   ignored, one with another id is a broken stream: an in-band error, as the Vercel AI SDK does.
 * - Text deltas → `content`; thinking deltas → `reasoning_content` (DeepSeek's field, which
 *   OpenAI-compatible clients read); signatures, redacted thinking and citations have no field
 *   and are dropped.
 * - A `tool_use` block → a tool call: `index`, `id`, `type`, `function.name` first, then its
 *   `input_json_delta` fragments as `arguments`; a call whose input streamed empty gets `{}`,
 *   since clients parse the arguments as JSON.
 * - `message_delta` → the finishing chunk (`finish_reason`, finish-reasons.ts);
 *   `message_stop` → with `includeUsage`, OpenAI's usage chunk (`choices: []`, counts from
 *   message_start as updated by message_delta), then `data: [DONE]`.
 * - `event: error` → OpenAI's in-band `data: {"error": …}` and nothing after it, no `[DONE]`.
 * - `ping` and event types this code does not know → nothing.
 */
import { UpstreamProtocolError } from '../../errors/index.ts';
import { formatEvent } from '../../sse/index.ts';
import { openaiChat } from '../openai-chat.ts';
import { messagesErrorToChat } from './errors.ts';
import { type ChatFinishReason, chatFinishReason } from './finish-reasons.ts';
import { type JsonObject, asNumber, asString, isObject } from './json.ts';
import { type AnthropicCounts, NO_COUNTS, chatUsage, readAnthropicCounts } from './token-counts.ts';
import type { StreamTranslator } from './types.ts';

export interface MessagesStreamToChatOptions {
  /** Reported when the upstream's `message_start` names no model. */
  readonly model: string;
  /** The client asked for `stream_options.include_usage`. */
  readonly includeUsage: boolean;
  /** Unix seconds, the same on every chunk. */
  readonly created: number;
}

/** What one Anthropic content block becomes. */
type Block =
  | { readonly kind: 'text' | 'thinking' | 'dropped' }
  | { readonly kind: 'tool'; readonly call: number; hasArguments: boolean };

const DONE = formatEvent({ data: '[DONE]' });

export function messagesStreamToChat(o: MessagesStreamToChatOptions): StreamTranslator {
  return new MessagesToChat(o);
}

class MessagesToChat implements StreamTranslator {
  failure: UpstreamProtocolError | undefined;
  readonly #o: MessagesStreamToChatOptions;
  /** Set by `message_start`. */
  #id: string | undefined;
  #model = '';
  /** Content block index → what it became: a Map, as the upstream's index may be any number. */
  readonly #blocks = new Map<number, Block>();
  #calls = 0;
  #counts: AnthropicCounts = NO_COUNTS;
  #finish: ChatFinishReason | undefined;
  #done = false;

  constructor(o: MessagesStreamToChatOptions) {
    this.#o = o;
  }

  event(name: string | undefined, data: string): string {
    if (this.#done || name === 'ping') return '';
    let payload: unknown;
    try {
      payload = JSON.parse(data);
    } catch {
      return this.#fail(`an event's data is not JSON: ${data.slice(0, 100)}`);
    }
    if (!isObject(payload)) return this.#fail('an event is not a JSON object.');
    const type = asString(payload.type) ?? name;
    if (type === 'error') {
      this.#done = true;
      return formatEvent({ data: JSON.stringify(messagesErrorToChat(payload)) });
    }
    if (type === 'message_start') return this.#start(payload);
    if (this.#id === undefined) {
      return type === 'ping' ? '' : this.#fail(`${String(type)} came before message_start.`);
    }
    switch (type) {
      case 'content_block_start':
        return this.#blockStart(payload);
      case 'content_block_delta':
        return this.#blockDelta(payload);
      case 'content_block_stop':
        return this.#blockStop(payload);
      case 'message_delta':
        return this.#messageDelta(payload);
      case 'message_stop':
        return this.#stop();
      default:
        return '';
    }
  }

  end(): string {
    return this.#done || this.#id === undefined ? '' : this.#stop();
  }

  #start(payload: JsonObject): string {
    const message = isObject(payload.message) ? payload.message : {};
    const id = asString(message.id) ?? '';
    if (this.#id === id) return '';
    if (this.#id !== undefined) {
      return this.#fail(`message ${id} started before message ${this.#id} ended.`);
    }
    this.#id = id;
    this.#model = asString(message.model) || this.#o.model;
    this.#counts = readAnthropicCounts(message.usage);
    return this.#chunk({ role: 'assistant', content: '' });
  }

  #blockStart(payload: JsonObject): string {
    const index = asNumber(payload.index) ?? this.#blocks.size;
    const block = isObject(payload.content_block) ? payload.content_block : {};
    switch (block.type) {
      case 'text':
        this.#blocks.set(index, { kind: 'text' });
        return this.#content('content', block.text);
      case 'thinking':
        this.#blocks.set(index, { kind: 'thinking' });
        return this.#content('reasoning_content', block.thinking);
      case 'tool_use': {
        const input = isObject(block.input) && Object.keys(block.input).length > 0;
        const call = this.#calls++;
        this.#blocks.set(index, { kind: 'tool', call, hasArguments: input });
        return this.#chunk({
          tool_calls: [
            {
              index: call,
              id: asString(block.id) ?? `call_${call}`,
              type: 'function',
              function: {
                name: asString(block.name) ?? '',
                arguments: input ? JSON.stringify(block.input) : '',
              },
            },
          ],
        });
      }
      default: // redacted_thinking, and server tool blocks, never asked for by a translated request
        this.#blocks.set(index, { kind: 'dropped' });
        return '';
    }
  }

  #blockDelta(payload: JsonObject): string {
    const block = this.#blocks.get(asNumber(payload.index) ?? -1);
    const delta = isObject(payload.delta) ? payload.delta : {};
    if (block?.kind === 'text' && delta.type === 'text_delta') {
      return this.#content('content', delta.text);
    }
    if (block?.kind === 'thinking' && delta.type === 'thinking_delta') {
      return this.#content('reasoning_content', delta.thinking);
    }
    const json = asString(delta.partial_json);
    if (block?.kind !== 'tool' || delta.type !== 'input_json_delta' || !json) return '';
    block.hasArguments = true;
    return this.#chunk({ tool_calls: [{ index: block.call, function: { arguments: json } }] });
  }

  #blockStop(payload: JsonObject): string {
    const block = this.#blocks.get(asNumber(payload.index) ?? -1);
    if (block?.kind !== 'tool' || block.hasArguments) return '';
    block.hasArguments = true;
    return this.#chunk({ tool_calls: [{ index: block.call, function: { arguments: '{}' } }] });
  }

  #messageDelta(payload: JsonObject): string {
    this.#counts = readAnthropicCounts(payload.usage, this.#counts);
    const stopReason = isObject(payload.delta) ? payload.delta.stop_reason : undefined;
    if (this.#finish !== undefined || typeof stopReason !== 'string') return '';
    return this.#finishChunk(chatFinishReason(stopReason));
  }

  #stop(): string {
    this.#done = true;
    let out = '';
    if (this.#finish === undefined)
      out += this.#finishChunk(this.#calls > 0 ? 'tool_calls' : 'stop');
    if (this.#o.includeUsage) out += this.#frame([], chatUsage(this.#counts));
    return out + DONE;
  }

  #finishChunk(reason: ChatFinishReason): string {
    this.#finish = reason;
    return this.#chunk({}, reason);
  }

  /** A text-like delta, or nothing for an empty one. */
  #content(field: 'content' | 'reasoning_content', text: unknown): string {
    return typeof text === 'string' && text !== '' ? this.#chunk({ [field]: text }) : '';
  }

  #chunk(delta: JsonObject, finish: ChatFinishReason | null = null): string {
    return this.#frame([{ index: 0, delta, logprobs: null, finish_reason: finish }], null);
  }

  /** With include_usage OpenAI sends `"usage": null` on every chunk but the last. */
  #frame(choices: JsonObject[], usage: JsonObject | null): string {
    const chunk: JsonObject = {
      id: this.#id,
      object: 'chat.completion.chunk',
      created: this.#o.created,
      model: this.#model,
      choices,
    };
    if (this.#o.includeUsage) chunk.usage = usage;
    return formatEvent({ data: JSON.stringify(chunk) });
  }

  #fail(message: string): string {
    this.#done = true;
    this.failure = new UpstreamProtocolError('anthropic', message);
    return openaiChat.errorEvent(this.failure, 0);
  }
}
