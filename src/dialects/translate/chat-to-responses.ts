/**
 * A Chat Completions answer as a Responses API answer, for a Responses client whose upstream
 * serves Chat Completions only: the stream chunk by chunk, in the order the official SDKs
 * accumulate (`response.created`, `response.in_progress`, then per output item
 * `output_item.added`, its part and deltas, `…done` events, `output_item.done`, and at the end
 * `response.completed` — or `response.incomplete` when the token limit cut the answer), and a
 * whole `chat.completion` as one `response` object.
 *
 * - `reasoning_content` (DeepSeek, xAI) or `reasoning` → a `reasoning` item with a
 *   `reasoning_text` part; `content` → a `message` item's `output_text`, `refusal` → its
 *   `refusal`; each tool call → a `function_call` item (call id and name from its first
 *   fragment) whose argument fragments are `function_call_arguments.delta`s. A change of kind
 *   closes the open item and opens the next.
 * - The upstream's usage (asked for by the translated request) rides on the final response;
 *   the chunk that carries it gives the client nothing else.
 * - An in-band `{"error": …}` → an `error` event, and nothing after it.
 * - The protocol's closing events repeat the whole output (each item's `…done` events, then
 *   `response.completed`), so the text is held until then: past `MAX_HELD_CHARS` the stream
 *   ends with an `error` event instead (a hostile or broken upstream's endless answer would
 *   otherwise hold the process's memory, and past V8's longest string fail it).
 */
import { randomBytes } from 'node:crypto';
import { UpstreamProtocolError } from '../../errors/index.ts';
import { formatEvent } from '../../sse/index.ts';
import { openaiError } from '../error-shapes.ts';
import { type JsonObject, asArray, asNumber, asString, isObject, isUnset } from './json.ts';
import { type AnthropicCounts, readChatCounts, responsesUsage } from './token-counts.ts';
import { firstChoice, parseChatChunk } from './chat-chunks.ts';
import type { StreamTranslator } from './types.ts';
import { signedCallId } from './thought-signatures.ts';

/** What the response object repeats of the request (the Responses API echoes its settings). */
export interface ResponsesEcho {
  readonly model: string;
  readonly instructions: unknown;
  readonly tools: unknown;
  readonly toolChoice: unknown;
  readonly parallelToolCalls: unknown;
  readonly temperature: unknown;
  readonly topP: unknown;
  readonly maxOutputTokens: unknown;
}

/** The echo of a Responses request body. */
export function responsesEcho(body: JsonObject, model: string): ResponsesEcho {
  return {
    model,
    instructions: body.instructions,
    tools: body.tools,
    toolChoice: body.tool_choice,
    parallelToolCalls: body.parallel_tool_calls,
    temperature: body.temperature,
    topP: body.top_p,
    maxOutputTokens: body.max_output_tokens,
  };
}

/**
 * The most output text a translated stream holds for its closing events: 8 Mi characters,
 * some 2 million tokens, over ten times the longest output any model is offered with. Held
 * four times over in the closing events, escaped as JSON, it stays well within one string.
 */
export const MAX_HELD_CHARS = 8 * 1024 * 1024;

export function chatStreamToResponses(
  echo: ResponsesEcho,
  maxHeldChars = MAX_HELD_CHARS,
): StreamTranslator {
  return new ChatToResponses(echo, maxHeldChars);
}

/** A whole `chat.completion` as a `response`. */
export function chatAnswerToResponses(json: unknown, echo: ResponsesEcho): JsonObject {
  // Not a chat completion (`null`, `42`, `[]`, no choice): the upstream's failure, not an
  // empty success.
  const choice = isObject(json) ? firstChoice(json) : undefined;
  if (!isObject(json) || !isObject(choice))
    throw new UpstreamProtocolError('openai', 'the answer is not a chat completion.');
  const answer = json;
  const message = isObject(choice.message) ? choice.message : {};
  const output: JsonObject[] = [];
  const reasoning = asString(message.reasoning_content) ?? asString(message.reasoning);
  if (reasoning) output.push(textItem('reasoning', newId('rs'), reasoning, 'completed'));
  const content = asString(message.content);
  const refusal = asString(message.refusal);
  if (content) output.push(textItem('text', newId('msg'), content, 'completed'));
  else if (refusal) output.push(textItem('refusal', newId('msg'), refusal, 'completed'));
  for (const call of asArray(message.tool_calls) ?? []) {
    if (!isObject(call)) continue;
    const fn = isObject(call.function) ? call.function : {};
    output.push(
      callItem(
        newId('fc'),
        signedCallId(asString(call.id) ?? newId('call'), call),
        asString(fn.name) ?? '',
        asString(fn.arguments) ?? '',
        'completed',
      ),
    );
  }
  const finish = choice.finish_reason;
  return responseObject(echo, {
    id: newId('resp'),
    createdAt: asNumber(answer.created) ?? nowSeconds(),
    model: asString(answer.model) || echo.model,
    status: finish === 'length' ? 'incomplete' : 'completed',
    output,
    counts: isObject(answer.usage) ? readChatCounts(answer.usage) : undefined,
  });
}

type ItemKind = 'reasoning' | 'text' | 'refusal';

/** Each kind's events are `response.<stem>.delta` and `response.<stem>.done`. */
const STEM: Readonly<Record<ItemKind, string>> = {
  reasoning: 'reasoning_text',
  text: 'output_text',
  refusal: 'refusal',
};

interface OpenText {
  readonly kind: ItemKind;
  readonly id: string;
  readonly outputIndex: number;
  text: string;
}

interface OpenCall {
  readonly id: string;
  readonly callId: string;
  readonly name: string;
  readonly outputIndex: number;
  args: string;
  done: boolean;
}

class ChatToResponses implements StreamTranslator {
  failure: UpstreamProtocolError | undefined;
  readonly #echo: ResponsesEcho;
  readonly #id = newId('resp');
  readonly #createdAt = nowSeconds();
  #model: string;
  #sequence = 0;
  #started = false;
  #done = false;
  /** Items finished so far with their output index, for the final response. */
  readonly #output: { readonly index: number; readonly item: JsonObject }[] = [];
  /** Items opened so far: the next one's output index. */
  #opened = 0;
  #text: OpenText | undefined;
  /**
   * Chat tool call index → its item. A Map: the index is the upstream's, any number (as an
   * array index, 1e8 made every pass over the calls a loop of 1e8 that froze the process).
   */
  readonly #calls = new Map<number, OpenCall>();
  #finish: unknown;
  #counts: AnthropicCounts | undefined;
  /** Characters of text and arguments held so far, and the most that may be. */
  #held = 0;
  readonly #maxHeld: number;

  constructor(echo: ResponsesEcho, maxHeld: number) {
    this.#echo = echo;
    this.#model = echo.model;
    this.#maxHeld = maxHeld;
  }

  event(_name: string | undefined, data: string): string {
    if (this.#done) return '';
    if (data === '[DONE]') return this.#complete();
    const chunk = parseChatChunk(data);
    if (typeof chunk === 'string') return this.#fail(chunk);
    if (!isUnset(chunk.error)) return this.#error(chunk.error);
    let out = '';
    const choice = firstChoice(chunk);
    if (!this.#started && choice !== undefined) out += this.#start(chunk);
    if (choice !== undefined) out += this.#choice(choice);
    if (this.#held > this.#maxHeld)
      return (
        out +
        this.#fail(
          `the answer is longer than ${this.#maxHeld} characters, more than a translated ` +
            'Responses stream holds for its final event.',
        )
      );
    if (isObject(chunk.usage)) this.#counts = readChatCounts(chunk.usage);
    return out;
  }

  end(): string {
    return this.#done ? '' : this.#complete();
  }

  #start(chunk: JsonObject): string {
    this.#started = true;
    this.#model = asString(chunk.model) || this.#model;
    const response = this.#response('in_progress');
    return (
      this.#event('response.created', { response }) +
      this.#event('response.in_progress', { response })
    );
  }

  #choice(choice: JsonObject): string {
    const delta = isObject(choice.delta) ? choice.delta : {};
    let out = '';
    const reasoning = asString(delta.reasoning_content) ?? asString(delta.reasoning);
    if (reasoning) out += this.#textDelta('reasoning', reasoning);
    const content = asString(delta.content);
    if (content) out += this.#textDelta('text', content);
    const refusal = asString(delta.refusal);
    if (refusal) out += this.#textDelta('refusal', refusal);
    for (const call of asArray(delta.tool_calls) ?? []) if (isObject(call)) out += this.#call(call);
    if (typeof choice.finish_reason === 'string') {
      this.#finish = choice.finish_reason;
      out += this.#closeText() + this.#closeCalls();
    }
    return out;
  }

  #textDelta(kind: ItemKind, delta: string): string {
    let out = '';
    let open = this.#text;
    if (open?.kind !== kind) {
      out += this.#closeText() + this.#closeCalls();
      open = {
        kind,
        id: newId(kind === 'reasoning' ? 'rs' : 'msg'),
        outputIndex: this.#nextIndex(),
        text: '',
      };
      this.#text = open;
      const item = textItem(kind, open.id, undefined, 'in_progress');
      out += this.#event('response.output_item.added', { output_index: open.outputIndex, item });
      out += this.#event('response.content_part.added', {
        ...this.#at(open),
        part: partOf(kind, ''),
      });
    }
    open.text += delta;
    this.#held += delta.length;
    const logprobs = kind === 'text' ? { logprobs: [] } : {};
    return (
      out + this.#event(`response.${STEM[kind]}.delta`, { ...this.#at(open), delta, ...logprobs })
    );
  }

  #closeText(): string {
    const open = this.#text;
    if (open === undefined) return '';
    this.#text = undefined;
    const { kind, text } = open;
    const part = partOf(kind, text);
    const item = textItem(kind, open.id, text, 'completed');
    this.#output.push({ index: open.outputIndex, item });
    return (
      this.#event(`response.${STEM[kind]}.done`, {
        ...this.#at(open),
        ...(kind === 'refusal' ? { refusal: text } : { text }),
        ...(kind === 'text' ? { logprobs: [] } : {}),
      }) +
      this.#event('response.content_part.done', { ...this.#at(open), part }) +
      this.#event('response.output_item.done', { output_index: open.outputIndex, item })
    );
  }

  #call(call: JsonObject): string {
    const index = asNumber(call.index) ?? 0;
    const fn = isObject(call.function) ? call.function : {};
    let out = '';
    let open = this.#calls.get(index);
    if (open === undefined) {
      out += this.#closeText();
      open = {
        id: newId('fc'),
        callId: signedCallId(asString(call.id) || newId('call'), call),
        name: asString(fn.name) ?? '',
        outputIndex: this.#nextIndex(),
        args: '',
        done: false,
      };
      this.#calls.set(index, open);
      out += this.#event('response.output_item.added', {
        output_index: open.outputIndex,
        item: callItem(open.id, open.callId, open.name, '', 'in_progress'),
      });
    }
    const args = asString(fn.arguments);
    if (!args || open.done) return out;
    open.args += args;
    this.#held += args.length;
    return (
      out +
      this.#event('response.function_call_arguments.delta', {
        item_id: open.id,
        output_index: open.outputIndex,
        delta: args,
      })
    );
  }

  #closeCalls(): string {
    let out = '';
    for (const call of this.#calls.values()) {
      if (call.done) continue;
      call.done = true;
      const item = callItem(call.id, call.callId, call.name, call.args, 'completed');
      this.#output.push({ index: call.outputIndex, item });
      out +=
        this.#event('response.function_call_arguments.done', {
          item_id: call.id,
          name: call.name,
          output_index: call.outputIndex,
          arguments: call.args,
        }) + this.#event('response.output_item.done', { output_index: call.outputIndex, item });
    }
    return out;
  }

  #nextIndex(): number {
    return this.#opened++;
  }

  #complete(): string {
    this.#done = true;
    let out = this.#started ? '' : this.#start({});
    out += this.#closeText() + this.#closeCalls();
    const incomplete = this.#finish === 'length';
    const response = this.#response(incomplete ? 'incomplete' : 'completed');
    return (
      out + this.#event(incomplete ? 'response.incomplete' : 'response.completed', { response })
    );
  }

  #response(status: 'in_progress' | 'completed' | 'incomplete'): JsonObject {
    return responseObject(this.#echo, {
      id: this.#id,
      createdAt: this.#createdAt,
      model: this.#model,
      status,
      output:
        status === 'in_progress'
          ? []
          : this.#output.toSorted((a, b) => a.index - b.index).map((o) => o.item),
      counts: status === 'in_progress' ? undefined : this.#counts,
    });
  }

  #at(open: OpenText): JsonObject {
    return { item_id: open.id, output_index: open.outputIndex, content_index: 0 };
  }

  #event(type: string, fields: JsonObject): string {
    const data = { type, ...fields, sequence_number: this.#sequence++ };
    return formatEvent({ event: type, data: JSON.stringify(data) });
  }

  #error(error: unknown): string {
    this.#done = true;
    const e = isObject(error) ? error : {};
    return this.#event('error', {
      code: asString(e.code) ?? asString(e.type) ?? 'upstream_error',
      message: asString(e.message) ?? 'The provider reported an error without a message.',
      param: asString(e.param) ?? null,
    });
  }

  #fail(message: string): string {
    this.#done = true;
    this.failure = new UpstreamProtocolError('openai', message);
    const { code, param } = openaiError(this.failure);
    return this.#event('error', { code, message, param });
  }
}

interface ResponseState {
  readonly id: string;
  readonly createdAt: number;
  readonly model: string;
  readonly status: 'in_progress' | 'completed' | 'incomplete';
  readonly output: readonly JsonObject[];
  readonly counts: AnthropicCounts | undefined;
}

/** The `response` object, with the request's settings echoed as the Responses API does. */
function responseObject(echo: ResponsesEcho, s: ResponseState): JsonObject {
  return {
    id: s.id,
    object: 'response',
    created_at: s.createdAt,
    status: s.status,
    error: null,
    incomplete_details: s.status === 'incomplete' ? { reason: 'max_output_tokens' } : null,
    instructions: echo.instructions ?? null,
    max_output_tokens: echo.maxOutputTokens ?? null,
    model: s.model,
    output: s.output,
    parallel_tool_calls: echo.parallelToolCalls ?? true,
    previous_response_id: null,
    store: false,
    temperature: echo.temperature ?? 1,
    text: { format: { type: 'text' } },
    tool_choice: echo.toolChoice ?? 'auto',
    tools: echo.tools ?? [],
    top_p: echo.topP ?? 1,
    truncation: 'disabled',
    metadata: {},
    // Absent until known: the schema has no null usage (OpenAI sends one; its SDK takes both).
    ...(s.counts === undefined ? {} : { usage: responsesUsage(s.counts) }),
  };
}

function messageItem(id: string, content: JsonObject[], status: string): JsonObject {
  return { id, type: 'message', status, role: 'assistant', content };
}

function messagePart(kind: 'text' | 'refusal', text: string): JsonObject {
  return kind === 'text'
    ? { type: 'output_text', annotations: [], logprobs: [], text }
    : { type: 'refusal', refusal: text };
}

function partOf(kind: ItemKind, text: string): JsonObject {
  return kind === 'reasoning' ? { type: 'reasoning_text', text } : messagePart(kind, text);
}

/** The item a text of `kind` is part of: without its part while in progress. */
function textItem(
  kind: ItemKind,
  id: string,
  text: string | undefined,
  status: string,
): JsonObject {
  if (kind === 'reasoning') return reasoningItem(id, text, status);
  return messageItem(id, text === undefined ? [] : [partOf(kind, text)], status);
}

function reasoningItem(id: string, text: string | undefined, status: string): JsonObject {
  return {
    id,
    type: 'reasoning',
    summary: [],
    content: text === undefined ? [] : [{ type: 'reasoning_text', text }],
    status,
  };
}

function callItem(
  id: string,
  callId: string,
  name: string,
  args: string,
  status: string,
): JsonObject {
  return { id, type: 'function_call', status, call_id: callId, name, arguments: args };
}

function newId(prefix: string): string {
  return `${prefix}_${randomBytes(16).toString('hex')}`;
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
