/**
 * Claude on Amazon Bedrock, spoken as Anthropic's own `AnthropicBedrock` client speaks it: a
 * message to `/model/<model>/invoke-with-response-stream` (or `/invoke`), the model and `stream`
 * out of the body and `anthropic_version` in it, each request signed with SigV4 for the
 * `bedrock` service. Its stream is Amazon's binary event stream, each chunk an Anthropic event
 * in base64: `sseOf` gives each back as the SSE event Anthropic's own API would have sent, so
 * everything after (the tap, usage, the client) sees Anthropic's stream.
 */
import { randomBytes } from 'node:crypto';
import { ConverseStreamToMessages, converseResponseToMessages } from '../dialects/index.ts';
import { type EventMessage, EventStreamDecoder } from './event-stream.ts';
import { type AwsCredentials, signV4 } from './sigv4.ts';
import { jsonObject } from './small-answer.ts';

/** A Bedrock upstream: its region, and its keys now (fetched, for temporary ones). */
export interface Bedrock {
  readonly region: string;
  /** Where its keys come from, for the log (`describeAwsSource`). */
  readonly source: string;
  /** Undefined with Bedrock API keys: the request carries one as a bearer token, unsigned. */
  readonly credentials: (() => Promise<AwsCredentials>) | undefined;
}

/** What `AnthropicBedrock` puts in a body that names none. */
export const BEDROCK_ANTHROPIC_VERSION = 'bedrock-2023-05-31';

/** Bedrock's content type for a stream, which Sluice turns into SSE. */
export const EVENT_STREAM_TYPE = 'application/vnd.amazon.eventstream';

/** The headers that sign a request to Bedrock with `credentials`, `now`. */
export function bedrockSignature(
  region: string,
  credentials: AwsCredentials,
  request: { method: string; origin: string; path: string; body: Buffer | undefined },
  now: Date = new Date(),
): Record<string, string> {
  return signV4(
    {
      method: request.method,
      url: new URL(request.path, request.origin),
      headers: { 'content-type': 'application/json' },
      body: request.body,
    },
    credentials,
    region,
    'bedrock',
    now,
  );
}

/** Bedrock's exceptions, as the Anthropic error types a client of Anthropic's API knows. */
const ERROR_TYPES: Readonly<Record<string, string>> = {
  throttlingException: 'rate_limit_error',
  serviceUnavailableException: 'overloaded_error',
  validationException: 'invalid_request_error',
  accessDeniedException: 'permission_error',
  modelStreamErrorException: 'api_error',
  modelTimeoutException: 'api_error',
  internalServerException: 'api_error',
};

/**
 * An HTTP error answer of Bedrock (`{"message": …}`, the exception's name in a header) in
 * Anthropic's shape, as the client of an Anthropic-family upstream reads errors: it was passed
 * on as it came, which SDKs could not read and whose ARNs named the AWS account and its roles.
 */
export function bedrockErrorBody(
  status: number,
  headers: Readonly<Record<string, string | string[] | undefined>>,
  body: Buffer,
): Buffer {
  const json = jsonObject(body.toString('utf8'));
  const said = json?.['message'] ?? json?.['Message'];
  const name = String(headers['x-amzn-errortype'] ?? '').split(':')[0] ?? '';
  const type =
    ERROR_TYPES[name.charAt(0).toLowerCase() + name.slice(1)] ??
    STATUS_TYPES[status] ??
    'api_error';
  const message =
    typeof said === 'string' ? withoutArns(said) : `Bedrock answered ${String(status)}.`;
  return Buffer.from(JSON.stringify({ type: 'error', error: { type, message } }));
}

const STATUS_TYPES: Readonly<Record<number, string>> = {
  400: 'invalid_request_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  503: 'overloaded_error',
};

/** An AWS ARN names the account and its roles and profiles: the operator's, not a user's. */
function withoutArns(text: string): string {
  return text.replace(/\barn:aws[a-z-]*:(?:[^\s"',]*[^\s"',.])?/g, '(hidden)');
}

/** One Bedrock message as an SSE event; nothing for a message that carries none. */
export function sseOf(message: EventMessage): string {
  const kind = message.headers.get(':message-type');
  if (kind === 'exception' || kind === 'error') {
    const name =
      message.headers.get(':exception-type') ?? message.headers.get(':error-code') ?? 'error';
    const said = jsonObject(message.payload.toString('utf8'))?.['message'];
    const error = {
      type: 'error',
      error: {
        type: ERROR_TYPES[name] ?? 'api_error',
        message: typeof said === 'string' ? withoutArns(said) : `Bedrock: ${name}`,
      },
    };
    return `event: error\ndata: ${JSON.stringify(error)}\n\n`;
  }
  if (message.headers.get(':event-type') !== 'chunk') return '';
  const bytes = jsonObject(message.payload.toString('utf8'))?.['bytes'];
  if (typeof bytes !== 'string') return '';
  const json = Buffer.from(bytes, 'base64').toString('utf8');
  const event = jsonObject(json);
  const type = event?.['type'];
  // The type becomes the `event:` line: one with a line break in it would write events of its
  // own into the stream.
  if (event === undefined || typeof type !== 'string' || !/^[a-z_]+$/.test(type)) return '';
  // One line of data: JSON with a raw line break in its whitespace is written again.
  const data = json.includes('\n') || json.includes('\r') ? JSON.stringify(event) : json;
  return `event: ${type}\ndata: ${data}\n\n`;
}

/**
 * Whether Bedrock serves `model` through Converse: every model but Anthropic's, which keep
 * Anthropic's own shape (`invoke`). An id that does not say (an application inference profile's
 * ARN) goes through Converse, which serves Claude too.
 */
export function isConverseModel(model: string): boolean {
  return !/(?:^|[./])anthropic\./.test(model);
}

/** What Sluice makes of a Bedrock answer before the client stream reads it. */
export interface Reshape {
  readonly contentType: string;
  /**
   * The answer is made at the end from the whole of the upstream's (a Converse answer): its
   * status and headers wait for it, so an answer that cannot be made is an HTTP error.
   */
  readonly whole: boolean;
  /** The client's text for one chunk of the answer; throws on a broken one. */
  push(chunk: Buffer): string;
  /** What is still owed at the end. */
  end(): string;
}

/** A whole Converse answer is a few KiB; one past this is not held to be translated. */
const MAX_WHOLE_BYTES = 16 * 1024 * 1024;

/**
 * How a Bedrock answer to `path` is turned into Anthropic's: an event stream into SSE (Claude's
 * events as they are, a Converse stream translated), a whole Converse answer into a Messages
 * answer; undefined when it goes as it is (Claude's whole answers, errors).
 */
export function bedrockReshape(path: string, contentType: unknown): Reshape | undefined {
  // Converse answers name no model and no id: the path gives one, and the other is made.
  const converse = /\/model\/([^/]+)\/converse(?:-stream)?$/.exec(path);
  const model = converse === null ? '' : decodeURIComponent(converse[1] ?? '');
  const id = () => `msg_bdrk_${randomBytes(12).toString('hex')}`;
  const type = typeof contentType === 'string' ? contentType.toLowerCase() : '';
  if (type.startsWith(EVENT_STREAM_TYPE)) {
    const frames = new EventStreamDecoder();
    const translator = converse === null ? undefined : new ConverseStreamToMessages(model, id());
    return {
      contentType: 'text/event-stream; charset=utf-8',
      whole: false,
      push(chunk) {
        let text = '';
        for (const message of frames.push(chunk)) text += reshaped(message, translator);
        return text;
      },
      end() {
        // A cut message is a cut stream: the usage in it (Converse's `metadata`) is lost.
        if (frames.pending > 0) throw new Error('the stream ended inside a message');
        return translator?.end() ?? '';
      },
    };
  }
  if (converse === null || !type.startsWith('application/json')) return undefined;
  const chunks: Buffer[] = [];
  let bytes = 0;
  return {
    contentType: 'application/json',
    whole: true,
    push(chunk) {
      bytes += chunk.length;
      if (bytes > MAX_WHOLE_BYTES) throw new Error('a whole answer past 16 MiB');
      chunks.push(chunk);
      return '';
    },
    end() {
      const body = jsonObject(Buffer.concat(chunks).toString('utf8'));
      if (body === undefined) throw new Error('a whole answer that is not a JSON object');
      return JSON.stringify(converseResponseToMessages(body, model, id()));
    },
  };
}

/** One event of Bedrock's stream as SSE: Claude's own, or a Converse event translated. */
function reshaped(message: EventMessage, converse: ConverseStreamToMessages | undefined): string {
  const kind = message.headers.get(':message-type');
  if (converse === undefined || kind === 'exception' || kind === 'error') return sseOf(message);
  const payload = jsonObject(message.payload.toString('utf8'));
  const type = message.headers.get(':event-type');
  return payload === undefined || type === undefined ? '' : converse.event(type, payload);
}
