/**
 * Claude on Amazon Bedrock, spoken as Anthropic's own `AnthropicBedrock` client speaks it: a
 * message to `/model/<model>/invoke-with-response-stream` (or `/invoke`), the model and `stream`
 * out of the body and `anthropic_version` in it, each request signed with SigV4 for the
 * `bedrock` service. Its stream is Amazon's binary event stream, each chunk an Anthropic event
 * in base64: `sseOf` gives each back as the SSE event Anthropic's own API would have sent, so
 * everything after (the tap, usage, the client) sees Anthropic's stream.
 */
import type { EventMessage } from './event-stream.ts';
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
        message: typeof said === 'string' ? said : `Bedrock: ${name}`,
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
  if (event === undefined || typeof type !== 'string') return '';
  // One line of data: JSON with a raw line break in its whitespace is written again.
  const data = json.includes('\n') || json.includes('\r') ? JSON.stringify(event) : json;
  return `event: ${type}\ndata: ${data}\n\n`;
}
