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
 */
export function endpointFor(path: string): Endpoint {
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
