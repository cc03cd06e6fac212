/**
 * Which headers cross Sluice. Requests: everything but hop-by-hop headers (RFC 9110 §7.6.1),
 * the client's Sluice credentials, its identity (cookies, forwarding headers: the provider has
 * no business with the user's IP) and the upstream account selectors the operator configures.
 * Responses: an allowlist, because an upstream's `Server`, `cf-ray`, `Alt-Svc` or HSTS would
 * speak for the wrong origin — and mislead the doctor about which hops are in front of Sluice.
 */
import type { IncomingHttpHeaders } from 'node:http';

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

const REQUEST_DROPPED = new Set([
  ...HOP_BY_HOP,
  'host',
  'authorization',
  'x-api-key',
  'cookie',
  'accept-encoding',
  'content-length',
  'expect',
  'forwarded',
  'x-forwarded-for',
  'x-forwarded-host',
  'x-forwarded-proto',
  'x-real-ip',
  'openai-organization',
  'openai-project',
]);

const RESPONSE_KEPT = new Set([
  'content-type',
  'content-length',
  'content-disposition',
  'content-encoding',
  'cache-control',
  'etag',
  'last-modified',
  'retry-after',
  'request-id',
  'x-request-id',
  'x-should-retry',
]);
const RESPONSE_KEPT_PREFIXES = ['x-ratelimit-', 'anthropic-', 'openai-'];
const RESPONSE_DROPPED = new Set(['openai-organization', 'openai-project']);

/** Headers for the upstream request; `keepLength` when the body is streamed through as sent. */
export function upstreamRequestHeaders(
  client: IncomingHttpHeaders,
  own: Readonly<Record<string, string>>,
  keepLength: boolean,
): Record<string, string | string[]> {
  const named = connectionTokens(client.connection);
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(client)) {
    if (value === undefined || REQUEST_DROPPED.has(name) || named.has(name)) continue;
    out[name] = value;
  }
  if (keepLength && client['content-length'] !== undefined)
    out['content-length'] = client['content-length'];
  // Identity keeps bodies readable for usage accounting and event framing.
  out['accept-encoding'] = 'identity';
  return Object.assign(out, own);
}

/** The upstream response headers a client may see (the kept ones are single-valued). */
export function clientResponseHeaders(
  upstream: Readonly<Record<string, string | string[] | undefined>>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(upstream)) {
    if (value === undefined || RESPONSE_DROPPED.has(name)) continue;
    if (RESPONSE_KEPT.has(name) || RESPONSE_KEPT_PREFIXES.some((p) => name.startsWith(p)))
      out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

function connectionTokens(value: string | string[] | undefined): Set<string> {
  const text = Array.isArray(value) ? value.join(',') : (value ?? '');
  return new Set(
    text
      .split(',')
      .map((t) => t.trim().toLowerCase())
      .filter(Boolean),
  );
}
