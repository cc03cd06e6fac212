/**
 * The one place where an error becomes an HTTP response: an upstream's own error passes through
 * as it came (with the headers the gateway let through); everything else is rendered by the
 * caller's dialect.
 */
import type { ServerResponse } from 'node:http';
import { InternalError, SluiceError, UpstreamHttpError } from '../errors/index.ts';

/** How a dialect spells an error body (`dialects/` implement it). */
export interface ErrorRenderer {
  errorBody(error: SluiceError): unknown;
}

export function sendError(res: ServerResponse, error: SluiceError, renderer: ErrorRenderer): void {
  if (res.headersSent) {
    res.destroy(error);
    return;
  }
  if (error instanceof UpstreamHttpError) {
    res.writeHead(error.status, { ...error.headers, 'content-length': error.body.length });
    res.end(error.body);
    return;
  }
  sendJson(res, error.status, renderer.errorBody(error), error.headers);
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
  return error instanceof SluiceError ? error : new InternalError(error);
}
