/**
 * `GET /metrics`, on the main port or on its own listener: the Bearer token when one is set
 * (`SLUICE_METRICS_TOKEN`), then the exposition text — of this process, or of every worker
 * together (`metrics-cluster.ts`). Refusals are thrown as `SluiceError`s for the caller's one
 * error path; nothing of the metrics is in them.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AuthenticationError, MethodNotAllowedError } from '../errors/index.ts';

/** The exposition text and its `Content-Type`. */
export interface Exposition {
  readonly contentType: string;
  readonly text: string;
}

export interface MetricsAccess {
  /** The metrics as they are at the moment of the scrape, read only once it is allowed. */
  readonly render: () => Promise<Exposition>;
  /** Asked for as `Authorization: Bearer <token>` when set. */
  readonly token: string | undefined;
}

export async function serveMetrics(
  req: IncomingMessage,
  res: ServerResponse,
  { render, token }: MetricsAccess,
): Promise<void> {
  if (token !== undefined && !bearerMatches(req.headers.authorization, token)) {
    const error = new AuthenticationError(
      '/metrics needs SLUICE_METRICS_TOKEN in the Authorization header: Bearer <token>.',
    );
    error.headers = { 'www-authenticate': 'Bearer realm="sluice-metrics"' };
    throw error;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD')
    throw new MethodNotAllowedError(['GET', 'HEAD'], '/metrics');
  const { contentType, text } = await render();
  res.writeHead(200, {
    'content-type': contentType,
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  });
  res.end(req.method === 'HEAD' ? undefined : text);
}

/**
 * Exactly `Bearer <token>`, as Prometheus sends it (`authorization: { credentials: … }`): any
 * other spelling is refused rather than interpreted. Compared as SHA-256 digests, in constant
 * time and whatever the lengths.
 */
export function bearerMatches(authorization: string | undefined, token: string): boolean {
  const prefix = 'Bearer ';
  if (authorization === undefined || !authorization.startsWith(prefix)) return false;
  return timingSafeEqual(digest(authorization.slice(prefix.length)), digest(token));
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
