/**
 * Calls to `/v1` from pages of other origins: chat apps that run in the browser (TypingMind,
 * Chatbox, Open WebUI's direct connections, an app on the official SDK with
 * `dangerouslyAllowBrowser`). `/v1` takes keys only, never a cookie, so a page allowed to call
 * it gets nothing it did not already hold: any origin by default (`*`), or the origins an
 * operator names, or none. A preflight (`OPTIONS` with `Origin` and
 * `Access-Control-Request-Method`, sent without the key) is answered here, before
 * authentication; every other `/v1` response to a request with an `Origin` carries the answer
 * for it.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** `*`, or the origins allowed (none when empty). */
export type CorsOrigins = '*' | readonly string[];

/** How long a browser may keep a preflight's answer. */
const MAX_AGE_S = 600;
const METHODS = 'GET, POST, DELETE';
/** An HTTP field name (RFC 9110 §5.1): what a requested header may be called. */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

export function isPreflight(req: IncomingMessage): boolean {
  return (
    req.method === 'OPTIONS' &&
    req.headers.origin !== undefined &&
    req.headers['access-control-request-method'] !== undefined
  );
}

/** Headers for the response to a request from `origin`, when that origin may read it. */
export function allowCors(res: ServerResponse, origins: CorsOrigins, origin: string): boolean {
  if (origins !== '*') res.setHeader('vary', 'Origin'); // the answer depends on who asks
  const allowed = origins === '*' ? '*' : origins.includes(origin) ? origin : undefined;
  if (allowed === undefined) return false;
  res.setHeader('access-control-allow-origin', allowed);
  // Request ids, rate limits, Sluice's own: everything a client reads (no credentials: `*` works).
  res.setHeader('access-control-expose-headers', '*');
  return true;
}

/**
 * 204 to a preflight: what may be sent, when the origin may send it; without those headers the
 * browser does not send the request. The requested headers are allowed as asked (a wildcard
 * would not cover `Authorization`), those that are not field names dropped.
 */
export function answerPreflight(req: IncomingMessage, res: ServerResponse, origins: CorsOrigins) {
  if (allowCors(res, origins, req.headers.origin ?? '')) {
    res.setHeader('access-control-allow-methods', METHODS);
    const asked = (req.headers['access-control-request-headers'] ?? '')
      .split(',')
      .map((name) => name.trim())
      .filter((name) => TOKEN.test(name));
    if (asked.length > 0) res.setHeader('access-control-allow-headers', asked.join(', '));
    res.setHeader('access-control-max-age', String(MAX_AGE_S));
  }
  res.writeHead(204);
  res.end();
}
