/**
 * The body of a credential endpoint's answer (a token, a key, a role name): a few hundred bytes,
 * read whole only up to a cap, so a wrong or hostile endpoint cannot make Sluice hold megabytes.
 */
import type { Dispatcher } from 'undici';
import { UpstreamUnreachableError } from '../errors/index.ts';

const MAX_ANSWER_BYTES = 64 * 1024;

/** The answer as text; undefined past the cap. */
async function smallText(body: Dispatcher.ResponseData['body']): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    bytes += chunk.length;
    if (bytes > MAX_ANSWER_BYTES) {
      body.destroy();
      return undefined;
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** `text` as a JSON object, or undefined. */
export function jsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** The ways to a provider's credential endpoints, for one upstream. */
export interface CredentialWays {
  readonly upstream: string;
  /** For endpoints on this machine or its network (metadata services): never through a proxy. */
  readonly direct: Dispatcher;
  /** For the provider's token endpoints (STS, Entra, Google): the upstream's own way out. */
  readonly egress: Dispatcher;
}

/** A request to a credential endpoint (a token, keys, a role's name). */
export interface SmallAsk {
  readonly url: URL;
  readonly method: 'GET' | 'PUT' | 'POST';
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
  readonly timeoutMs: number;
}

/**
 * The status and text of `ask`'s answer; `where` names the endpoint in the
 * `UpstreamUnreachableError` for an answer that did not come (or came past the cap).
 */
export async function askSmall(
  dispatcher: Dispatcher,
  where: string,
  ask: SmallAsk,
): Promise<{ status: number; text: string }> {
  let status: number;
  let text: string | undefined;
  try {
    const response = await dispatcher.request({
      origin: ask.url.origin,
      path: ask.url.pathname + ask.url.search,
      method: ask.method,
      headers: ask.headers,
      ...(ask.body === undefined ? {} : { body: ask.body }),
      headersTimeout: ask.timeoutMs,
      bodyTimeout: ask.timeoutMs,
    });
    status = response.statusCode;
    text = await smallText(response.body);
  } catch (error) {
    throw new UpstreamUnreachableError(where, error);
  }
  if (text === undefined) throw new UpstreamUnreachableError(where, new Error('answer too large'));
  return { status, text };
}
