/**
 * The one place where an error becomes an HTTP response: the upstream's own error passes
 * through as it came; everything else is rendered in the client's dialect.
 */
import type { ServerResponse } from 'node:http';
import type { Dialect } from '../dialects/index.ts';
import { SluiceError, UpstreamHttpError } from '../errors/index.ts';
import { clientResponseHeaders } from '../gateway/headers.ts';

export function sendError(res: ServerResponse, error: SluiceError, dialect: Dialect): void {
  if (res.headersSent) {
    res.destroy(error);
    return;
  }
  if (error instanceof UpstreamHttpError) {
    const headers = clientResponseHeaders(error.upstreamHeaders);
    headers['content-length'] = error.body.length;
    res.writeHead(error.status, headers);
    res.end(error.body);
    return;
  }
  sendJson(res, error.status, dialect.errorBody(error), error.headers);
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Readonly<Record<string, string>> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

/** Anything thrown that is not a `SluiceError` is a bug: a 500 that says so, cause kept. */
export function toSluiceError(error: unknown): SluiceError {
  if (error instanceof SluiceError) return error;
  return new SluiceError(
    'internal',
    500,
    'internal_error',
    'Internal error in Sluice; see its log.',
    {
      cause: error,
    },
  );
}
