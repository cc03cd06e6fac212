/**
 * A request the client's API family cannot serve but the other can: a Chat Completions or
 * Responses request (or a Responses token count) for a model only an Anthropic upstream serves,
 * or a Messages request for a model only an OpenAI-family upstream serves — and a Responses
 * request for a model only upstreams without the Responses API serve (`responsesViaChat`). The request is translated once
 * (`dialects/translate/`), the upstream's stream event by event — metering reads the upstream's
 * own events, the client gets its own dialect, keepalives, backpressure and cancel as on any
 * relay.
 */
import type { ApiFamily } from '../config/index.ts';
import {
  anthropicMessages,
  chainTranslators,
  chatAnswerToResponses,
  chatErrorToMessages,
  chatRequestToMessages,
  chatResponseToMessages,
  messagesCountBody,
  chatStreamToMessages,
  type Dialect,
  messagesErrorToChat,
  messagesRequestToChat,
  messagesResponseToChat,
  messagesStreamToChat,
  openaiChat,
  chatStreamToResponses,
  isObject,
  responsesEcho,
  responsesRequestToChat,
  type StreamTranslator,
} from '../dialects/index.ts';
import { UpstreamProtocolError } from '../errors/index.ts';
import { ownUtf8, parseJsonObject } from '../http/index.ts';
import type { ParsedRequest } from './request.ts';

export interface Translation {
  /** The upstream's family and its dialect (what the tap reads). */
  readonly family: ApiFamily;
  readonly upstreamDialect: Dialect;
  /** Where the translated request goes, below the upstream's API root. */
  readonly path: string;
  readonly body: Buffer;
  /** For a streamed request: the upstream's events into the client's. */
  readonly stream: StreamTranslator | undefined;
  /** A whole JSON answer into the client's shape. */
  answer(json: unknown): unknown;
  /** An HTTP error body into the client's shape. */
  errorBody(body: Buffer): Buffer;
}

/** The translation for a request no upstream of its own family serves, if there is one. */
export function translationFor(parsed: ParsedRequest): Translation | undefined {
  if (!Buffer.isBuffer(parsed.body) || parsed.model === undefined) return undefined;
  const model = parsed.model;
  if (parsed.pathname === '/v1/chat/completions') {
    const json = parseJsonObject(parsed.body);
    // Sluice asked for usage on the client's behalf (`hideUsage`); the translator decides
    // whether the client sees it.
    const options = json.stream_options as { include_usage?: unknown } | undefined;
    const includeUsage = !parsed.hideUsage && options?.include_usage === true;
    if (parsed.hideUsage) delete json.stream_options;
    return {
      family: 'anthropic',
      upstreamDialect: anthropicMessages,
      path: '/v1/messages',
      body: ownUtf8(JSON.stringify(chatRequestToMessages(json))),
      stream: parsed.stream
        ? messagesStreamToChat({ model, includeUsage, created: Math.floor(Date.now() / 1000) })
        : undefined,
      answer: (answer) => messagesResponseToChat(answer, model),
      errorBody: (body) => jsonBody(messagesErrorToChat(jsonOf(body))),
    };
  }
  if (parsed.pathname === '/v1/responses') {
    // Through Chat Completions, the format both translations know: the request Responses →
    // Chat → Messages, the stream and the answer back Messages → Chat → Responses.
    const json = parseJsonObject(parsed.body);
    const echo = responsesEcho(json, model);
    return {
      family: 'anthropic',
      upstreamDialect: anthropicMessages,
      path: '/v1/messages',
      body: ownUtf8(JSON.stringify(chatRequestToMessages(responsesRequestToChat(json)))),
      stream: parsed.stream
        ? chainTranslators(
            messagesStreamToChat({
              model,
              includeUsage: true,
              created: Math.floor(Date.now() / 1000),
            }),
            chatStreamToResponses(echo),
          )
        : undefined,
      answer: (answer) => chatAnswerToResponses(messagesResponseToChat(answer, model), echo),
      errorBody: (body) => jsonBody(messagesErrorToChat(jsonOf(body))),
    };
  }
  if (parsed.pathname === '/v1/responses/input_tokens') {
    // Counted by Anthropic: the count body of the Messages request it would be.
    const chat = responsesRequestToChat(parseJsonObject(parsed.body), 'count');
    return {
      family: 'anthropic',
      upstreamDialect: anthropicMessages,
      path: '/v1/messages/count_tokens',
      body: ownUtf8(JSON.stringify(messagesCountBody(chatRequestToMessages(chat)))),
      stream: undefined,
      answer: (answer) => ({ object: 'response.input_tokens', input_tokens: countOf(answer) }),
      errorBody: (body) => jsonBody(messagesErrorToChat(jsonOf(body))),
    };
  }
  if (parsed.pathname === '/v1/messages') {
    const json = parseJsonObject(parsed.body);
    return {
      family: 'openai',
      upstreamDialect: openaiChat,
      path: '/v1/chat/completions',
      body: ownUtf8(JSON.stringify(messagesRequestToChat(json))),
      stream: parsed.stream ? chatStreamToMessages({ model }) : undefined,
      answer: (answer) => chatResponseToMessages(answer, model),
      errorBody: (body) => jsonBody(chatErrorToMessages(jsonOf(body))),
    };
  }
  return undefined;
}

/**
 * A Responses request for a model that only upstreams without the Responses API serve
 * (`"responses": false`): sent as a Chat Completions request, answered as a response. Nothing
 * is stored: the answer cannot be fetched or continued later (`previous_response_id` is refused).
 */
export function responsesViaChat(parsed: ParsedRequest): Translation | undefined {
  if (!Buffer.isBuffer(parsed.body) || parsed.model === undefined) return undefined;
  const json = parseJsonObject(parsed.body);
  const echo = responsesEcho(json, parsed.model);
  return {
    family: 'openai',
    upstreamDialect: openaiChat,
    path: '/v1/chat/completions',
    body: ownUtf8(JSON.stringify(responsesRequestToChat(json))),
    stream: parsed.stream ? chatStreamToResponses(echo) : undefined,
    answer: (answer) => chatAnswerToResponses(answer, echo),
    // One family: a Chat error body is already in the shape a Responses client reads.
    errorBody: (body) => body,
  };
}

const TRANSLATABLE: ReadonlyMap<string, ApiFamily> = new Map([
  ['/v1/chat/completions', 'anthropic'],
  ['/v1/responses', 'anthropic'],
  ['/v1/responses/input_tokens', 'anthropic'],
  ['/v1/messages', 'openai'],
  // Counted here (`local-count.ts`): OpenAI-family upstreams have no count route.
  ['/v1/messages/count_tokens', 'openai'],
]);

/** The family a request could be served by through translation, if its route translates. */
export function translatableTo(parsed: ParsedRequest): ApiFamily | undefined {
  return TRANSLATABLE.get(parsed.pathname);
}

/** Anthropic's count answer's number; anything else is not a count. */
function countOf(answer: unknown): number {
  const count = isObject(answer) ? answer.input_tokens : undefined;
  if (typeof count === 'number' && Number.isSafeInteger(count) && count >= 0) return count;
  throw new UpstreamProtocolError('anthropic', 'the answer is not a token count.');
}

function jsonOf(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return { error: { message: body.toString('utf8').slice(0, 500) } };
  }
}

function jsonBody(json: unknown): Buffer {
  return Buffer.from(JSON.stringify(json));
}
