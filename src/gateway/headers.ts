/**
 * Which headers cross Sluice, both ways by allow-list. Requests: only what the providers' SDKs
 * need to be understood (the body's type, what the client accepts, API versions and betas,
 * idempotency, the SDKs' own `x-stainless-*` descriptions) plus the upstream's configured
 * headers and credentials — nothing about the end user (address, cookies, browser, origin,
 * CSRF token, CDN client headers) and nothing of Sluice's own hop (`x-sluice-*`). Responses:
 * an allow-list too, because an upstream's `Server`, `cf-ray`, `Alt-Svc` or HSTS would speak
 * for the wrong origin — and mislead the doctor about which hops are in front of Sluice.
 */
import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

const REQUEST_KEPT = new Set([
  'content-type',
  'accept',
  'openai-beta',
  'anthropic-version',
  'anthropic-beta',
  'idempotency-key',
]);
const REQUEST_KEPT_PREFIXES = ['x-stainless-'];

/** Who is calling, as the provider sees it: Sluice, not the user's browser or tool. */
const USER_AGENT = 'sluice';

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
/** Which provider account Sluice's key belongs to: the operator's, not a user's to know. */
const RESPONSE_DROPPED = new Set([
  'openai-organization',
  'openai-project',
  'anthropic-organization-id',
  'anthropic-workspace-id',
]);

/**
 * Headers for the upstream request: the allow-listed client headers, then Sluice's own.
 * `body` describes the body as sent upstream: its type when Sluice wrote it (JSON it
 * re-serialised), its length when the client's bytes are streamed through unchanged.
 * `caller` (a user's id) scopes an idempotency key: see `callersIdempotencyKey`.
 */
export function upstreamRequestHeaders(
  client: IncomingHttpHeaders,
  own: Readonly<Record<string, string>>,
  body: { readonly contentType?: string; readonly keepLength: boolean },
  caller: string,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(client)) {
    if (typeof value !== 'string') continue;
    if (REQUEST_KEPT.has(name) || REQUEST_KEPT_PREFIXES.some((p) => name.startsWith(p)))
      out[name] = value;
  }
  const idempotencyKey = out['idempotency-key'];
  if (idempotencyKey !== undefined)
    out['idempotency-key'] = callersIdempotencyKey(caller, idempotencyKey);
  if (body.contentType !== undefined) out['content-type'] = body.contentType;
  const length = client['content-length'];
  if (body.keepLength && length !== undefined) out['content-length'] = length;
  // Identity keeps bodies readable for usage accounting and event framing.
  out['accept-encoding'] = 'identity';
  out['user-agent'] = USER_AGENT;
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

/**
 * The idempotency key the provider sees: the client's, made the caller's own. The provider
 * replays the answer of an earlier request with the same key to anyone on the account, and
 * every user of Sluice is one account to it: another user's key (guessed, or a client that
 * derives keys from the request) must not replay someone else's answer. The same caller's
 * retry keeps its key.
 */
export function callersIdempotencyKey(caller: string, key: string): string {
  return `sluice-${createHash('sha256').update(`${caller}\u0000${key}`).digest('hex').slice(0, 48)}`;
}
