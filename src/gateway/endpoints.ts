import type { IncomingHttpHeaders } from 'node:http';
import type { ApiFamily } from '../config/index.ts';
import {
  anthropicMessages,
  type Dialect,
  openaiChat,
  openaiGeneric,
  openaiResponses,
} from '../dialects/index.ts';

export interface Endpoint {
  /** Which upstreams can serve it. */
  readonly family: ApiFamily;
  /** How its streams and errors are spelled. */
  readonly dialect: Dialect;
}

/**
 * The `/v1` path decides the API family and dialect; every path not named here is an OpenAI
 * endpoint passed through unchanged (models, embeddings, images, audio, files, batches, …).
 * `/v1/models` is both APIs' path: Anthropic's clients say which they mean with
 * `anthropic-version`.
 */
export function endpointFor(path: string, headers: IncomingHttpHeaders = {}): Endpoint {
  if (
    (path === '/v1/models' || path.startsWith('/v1/models/')) &&
    headers['anthropic-version'] !== undefined
  ) {
    return { family: 'anthropic', dialect: anthropicMessages };
  }
  if (path === '/v1/chat/completions' || path === '/v1/completions') {
    return { family: 'openai', dialect: openaiChat };
  }
  if (path === '/v1/responses' || path.startsWith('/v1/responses/')) {
    return { family: 'openai', dialect: openaiResponses };
  }
  if (path === '/v1/messages' || path.startsWith('/v1/messages/')) {
    return { family: 'anthropic', dialect: anthropicMessages };
  }
  return { family: 'openai', dialect: openaiGeneric };
}
