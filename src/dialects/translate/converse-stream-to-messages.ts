/**
 * A Converse stream (Bedrock's `converse-stream`: `messageStart`, `contentBlockStart`, …,
 * `messageStop`, `metadata`, each an event of Amazon's event stream) as the Anthropic Messages
 * stream a Claude-speaking client reads, event by event. Converse opens text and reasoning blocks
 * with their first delta and says the usage after the stop: those are made up here, so the
 * client sees `content_block_start` before a block's deltas, and one `message_delta` carrying
 * the stop reason and the usage before `message_stop`.
 */
import { formatEvent } from '../../sse/index.ts';
import { asString, isObject, type JsonObject } from './json.ts';
import { converseStopReason, converseUsage } from './messages-to-converse.ts';

export class ConverseStreamToMessages {
  readonly #model: string;
  readonly #id: string;
  #started = false;
  readonly #open = new Set<number>();
  /**
   * Converse's block index → Anthropic's, which is the block's place in the message's content:
   * numbered as they open (Converse's own, copied, could be 1e9 or -1, and SDKs lost the text).
   */
  readonly #places = new Map<number, number>();
  #stopReason: string | undefined;
  #ended = false;

  constructor(model: string, id: string) {
    this.#model = model;
    this.#id = id;
  }

  /** The Messages events for one Converse event, as SSE text. */
  event(type: string, payload: JsonObject): string {
    if (this.#ended) return '';
    const index = typeof payload.contentBlockIndex === 'number' ? payload.contentBlockIndex : 0;
    switch (type) {
      case 'messageStart':
        return this.#start();
      case 'contentBlockStart': {
        const start = isObject(payload.start) ? payload.start : {};
        const tool = isObject(start.toolUse) ? start.toolUse : undefined;
        if (tool === undefined || this.#open.has(index)) return '';
        this.#open.add(index);
        return (
          this.#start() +
          sse('content_block_start', {
            type: 'content_block_start',
            index: this.#place(index),
            content_block: {
              type: 'tool_use',
              id: asString(tool.toolUseId) ?? '',
              name: asString(tool.name) ?? '',
              input: {},
            },
          })
        );
      }
      case 'contentBlockDelta':
        return this.#delta(index, isObject(payload.delta) ? payload.delta : {});
      case 'contentBlockStop':
        if (!this.#open.delete(index)) return '';
        return sse('content_block_stop', { type: 'content_block_stop', index: this.#place(index) });
      case 'messageStop':
        this.#stopReason = converseStopReason(payload.stopReason);
        return this.#closeBlocks();
      case 'metadata':
        return this.#finish(payload.usage);
      default:
        return '';
    }
  }

  /** What is still owed when the stream ends: the stop, if no `metadata` came. */
  end(): string {
    return this.#stopReason === undefined || this.#ended ? '' : this.#finish(undefined);
  }

  #start(): string {
    if (this.#started) return '';
    this.#started = true;
    return sse('message_start', {
      type: 'message_start',
      message: {
        id: this.#id,
        type: 'message',
        role: 'assistant',
        model: this.#model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: 0, output_tokens: 0 },
      },
    });
  }

  #delta(index: number, delta: JsonObject): string {
    const text = asString(delta.text);
    const tool = isObject(delta.toolUse) ? delta.toolUse : undefined;
    const reasoning = isObject(delta.reasoningContent) ? delta.reasoningContent : undefined;
    let block: JsonObject;
    let out: JsonObject;
    if (text !== undefined) {
      block = { type: 'text', text: '' };
      out = { type: 'text_delta', text };
    } else if (tool !== undefined) {
      block = { type: 'tool_use', id: '', name: '', input: {} };
      out = { type: 'input_json_delta', partial_json: asString(tool.input) ?? '' };
    } else if (reasoning !== undefined && asString(reasoning.text) !== undefined) {
      block = { type: 'thinking', thinking: '', signature: '' };
      out = { type: 'thinking_delta', thinking: asString(reasoning.text) };
    } else if (reasoning !== undefined && asString(reasoning.signature) !== undefined) {
      block = { type: 'thinking', thinking: '', signature: '' };
      out = { type: 'signature_delta', signature: asString(reasoning.signature) };
    } else {
      return '';
    }
    let opened = '';
    if (!this.#open.has(index)) {
      this.#open.add(index);
      opened = sse('content_block_start', {
        type: 'content_block_start',
        index: this.#place(index),
        content_block: block,
      });
    }
    return (
      this.#start() +
      opened +
      sse('content_block_delta', {
        type: 'content_block_delta',
        index: this.#place(index),
        delta: out,
      })
    );
  }

  #place(index: number): number {
    let place = this.#places.get(index);
    if (place === undefined) {
      place = this.#places.size;
      this.#places.set(index, place);
    }
    return place;
  }

  #closeBlocks(): string {
    let out = this.#start();
    for (const index of this.#open)
      out += sse('content_block_stop', { type: 'content_block_stop', index: this.#place(index) });
    this.#open.clear();
    return out;
  }

  #finish(usage: unknown): string {
    this.#ended = true;
    return (
      this.#closeBlocks() +
      sse('message_delta', {
        type: 'message_delta',
        delta: { stop_reason: this.#stopReason ?? 'end_turn', stop_sequence: null },
        usage: converseUsage(usage),
      }) +
      sse('message_stop', { type: 'message_stop' })
    );
  }
}

function sse(event: string, data: JsonObject): string {
  return formatEvent({ event, data: JSON.stringify(data) });
}
