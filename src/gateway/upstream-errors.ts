import type { Timeouts } from '../config/index.ts';
import {
  describeCause,
  SluiceError,
  UpstreamAuthFailedError,
  UpstreamErrorTooLargeError,
  UpstreamHttpError,
  upstreamMessage,
  UpstreamProtocolError,
  UpstreamTimeoutError,
  UpstreamUnreachableError,
} from '../errors/index.ts';
import { withoutAccountIds } from './account-ids.ts';
import { clientResponseHeaders } from './headers.ts';

/**
 * What an undici failure means for the client: a connect failure is a 502, a timeout a 504
 * naming which one fired, a failure once the body flows a broken stream. The upstream's own
 * words stay in `cause` for the log.
 */
export function mapUpstreamError(
  upstream: string,
  error: unknown,
  timeouts: Timeouts,
  bodyStarted: boolean,
): SluiceError {
  if (error instanceof SluiceError) return error;
  const code = (error as { code?: unknown } | undefined)?.code;
  switch (code) {
    case 'UND_ERR_CONNECT_TIMEOUT':
      return new UpstreamTimeoutError(upstream, 'connect', timeouts.connectMs, error);
    case 'UND_ERR_HEADERS_TIMEOUT':
      return new UpstreamTimeoutError(upstream, 'first_byte', timeouts.firstByteMs, error);
    case 'UND_ERR_BODY_TIMEOUT':
      return new UpstreamTimeoutError(upstream, 'idle', timeouts.idleMs, error);
  }
  if (bodyStarted) {
    return new UpstreamProtocolError(
      upstream,
      `the connection broke mid-stream (${describeCause(error)}).`,
      error,
    );
  }
  return new UpstreamUnreachableError(upstream, error);
}

/** Statuses worth trying the next upstream for: its key, its limits or its health, not the request. */
export function isFailoverStatus(status: number): boolean {
  return status === 401 || status === 403 || status === 408 || status === 429 || status >= 500;
}

/**
 * An HTTP error answer of the upstream. 401 and 403 refuse Sluice's own provider key: the
 * client gets a 502 in Sluice's words (the provider's body can quote the masked key), the log
 * the provider's. Any other error passes through with the headers a client may see, and
 * without the provider account's ids (`withoutAccountIds`) — unless `body` is the start of a
 * longer one (`cut`), which as it is would be broken JSON: then the client gets the status in
 * its own dialect.
 */
export function upstreamHttpFailure(
  upstream: string,
  status: number,
  headers: Readonly<Record<string, string | string[] | undefined>>,
  body: Buffer,
  secrets: readonly string[] = [],
  cut = false,
): SluiceError {
  if (status === 401 || status === 403)
    return new UpstreamAuthFailedError(upstream, status, upstreamMessage(upstream, status, body));
  if (cut) {
    const start = withoutSecrets(body, secrets); // for the log
    const error = new UpstreamErrorTooLargeError(upstream, status, body.length, start);
    const retryAfter = headers['retry-after'];
    if (typeof retryAfter === 'string') error.headers = { 'retry-after': retryAfter };
    return error;
  }
  return new UpstreamHttpError(
    upstream,
    status,
    clientResponseHeaders(headers),
    withoutSecrets(withoutAccountIds(body), secrets),
  );
}

/**
 * `body` without the credentials Sluice sent (`secrets`: its credential headers' values), as a
 * provider or a relay may quote the key in any error, not only 401 and 403: the same Buffer
 * when it quotes none.
 */
function withoutSecrets(body: Buffer, secrets: readonly string[]): Buffer {
  const text = body.toString('utf8');
  let hidden = text;
  for (const value of secrets) {
    const secret = value.replace(/^Bearer /i, ''); // a header's value: the key after its scheme
    if (secret.length >= 8) hidden = hidden.replaceAll(secret, '(hidden)');
  }
  return hidden === text ? body : Buffer.from(hidden);
}
